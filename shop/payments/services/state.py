"""Applying the gateway's truth: a payment (and its order) moves to what the gateway says, and the order's
payment facts are recomputed from all its payments. ``payment_sync`` re-reads the gateway on request."""

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shop.core.enqueue import enqueue_on_commit
from shop.core.exceptions import ApplicationError, NotFound
from shop.core.metrics import record_payment
from shop.core.money import money_text
from shop.discounts.services import redemption_consume
from shop.events.services import event_record
from shop.events.types import EventType
from shop.orders.models import Order
from shop.orders.services import order_cancel_and_restock_locked, order_mark_processing_locked

from ..errors import PaymentErrorCode
from ..gateways import configured_provider_get, provider_class
from ..locks import payment_lock_with_order
from ..models import Payment, Refund
from ..providers.base import (
    GatewayRejected,
    PaymentProvider,
    PaymentStatus,
    ProviderPayment,
)
from ..tasks import refund_orphan_payment
from ..transitions import payment_status_set_locked
from ._shared import CHANGE, PAYABLE_ORDER_STATUSES, _flag, _gateway_call


def order_payment_recalculate(order: Order) -> None:
    """Recompute the order's payment facts from all its payments, with the order row locked.

    - ``paid_at``: set the first time captured payments cover the total (their amounts before refunds); never
      cleared, so "was this order paid?" (expiry, cancel rules, shipping) survives any refund.
    - ``is_fully_paid``: paid in full once and the shop still holds money for it; only a refund of everything
      turns it false again, a partial refund does not.
    - ``payment_status``: ``unpaid``; ``paid``; ``partially_refunded`` (some refunded, some kept);
      ``refunded`` (nothing kept).

    An order with nothing to pay (``total`` 0, placed paid with no payment: docs/PAYMENTS.md, "Nothing to pay")
    stays ``paid`` and fully paid while it is open; cancelled, its refund of 0 is done: ``refunded``, not fully
    paid any more.
    """
    if order.total == 0 and order.was_paid:
        cancelled = order.status == Order.Status.CANCELLED
        order.is_fully_paid = not cancelled
        order.payment_status = Order.PaymentStatus.REFUNDED if cancelled else Order.PaymentStatus.PAID
        order.needs_refund = False
        order.save(update_fields=["is_fully_paid", "payment_status", "needs_refund", "updated_at"])
        return
    payments = list(order.payments.all())
    captured = [payment for payment in payments if payment.status in Payment.CAPTURED]
    gross = sum((payment.amount for payment in captured), Decimal("0.00"))
    net = sum((payment.net_paid for payment in payments), Decimal("0.00"))
    refunded = any(payment.amount_refunded > 0 for payment in payments)
    if captured and gross >= order.total and order.paid_at is None:
        order.paid_at = timezone.now()
        # Its voucher use is consumed (a no-op for a cancelled order: its use was released, and stays so).
        redemption_consume(order_id=order.pk)
        event_record(type=EventType.ORDER_PAID, resource_id=order.pk,
                     data={"total": money_text(order.total, order.currency)})
    order.is_fully_paid = order.was_paid and net > 0
    if refunded and net <= 0:
        order.payment_status = Order.PaymentStatus.REFUNDED
    elif refunded and net < order.total:
        order.payment_status = Order.PaymentStatus.PARTIALLY_REFUNDED
    elif order.was_paid:
        # Also after an over-payment went back: what is kept still covers the order.
        order.payment_status = Order.PaymentStatus.PAID
    else:
        order.payment_status = Order.PaymentStatus.UNPAID
    order.needs_refund = _holds_money_to_return(order, net)
    order.save(update_fields=["is_fully_paid", "payment_status", "paid_at", "needs_refund", "updated_at"])


def _holds_money_to_return(order: Order, net: Decimal) -> bool:
    """``needs_refund``: the shop keeps money it must give back — any at all for a cancelled order, or more than
    the total for an open one (a second attempt paid too). A refund counts as soon as the gateway accepted it
    (``amount_refunded``); one that later fails comes back into ``net`` and sets this again."""
    if order.status == Order.Status.CANCELLED:
        return net > 0
    return net > order.total


def _gateway_amount_differs(payment: Payment, state: ProviderPayment) -> bool:
    """The gateway reports another amount or currency than the payment's (never for a provider that holds no
    amounts: ``holds_funds_locally``, our row is the ledger)."""
    if provider_class(payment.provider).holds_funds_locally:
        return False
    return state.amount != payment.amount or (state.currency or "").upper() != payment.currency.upper()


def _absorb_gateway_refunds(payment: Payment, gateway_refunded: Decimal) -> None:
    """Raise ``amount_refunded`` to what the gateway reports refunded, never lower it. Payment locked.

    The rule: refunds we created are counted from our ``Refund`` rows, and only their settlement
    (``_refund_settle_locked``) ever lowers ``amount_refunded``. A payment re-read may only add refunds made
    outside the shop (the gateway's dashboard). A re-read is taken before the lock, so it can be older than
    a settlement that already released a failed refund (a ``charge.refunded`` read just before
    ``refund.failed`` was applied): the gateway's figure is therefore reduced by our refunds that reached
    the gateway and failed before it may raise ours, so a refund we know failed is never counted again.
    The cost, only when a refund of ours failed *and* someone refunds outside the shop: the outside refund
    is under-counted by up to the failed amount, on a payment already flagged for a person.
    """
    if gateway_refunded <= payment.amount_refunded:
        return  # the common case costs no query
    failed = Refund.objects.filter(payment=payment, status=Refund.Status.FAILED).exclude(provider_refund_id="")
    failed_total = sum((refund.amount for refund in failed), Decimal("0"))
    ceiling = min(gateway_refunded - failed_total, payment.amount)
    if ceiling > payment.amount_refunded:
        payment.amount_refunded = ceiling


def _orphan_reason(order: Order) -> str:
    """Why money arriving now for ``order`` (locked) cannot be kept, or "": cancelled, or already paid."""
    if order.status == Order.Status.CANCELLED:
        return "paid after the order was cancelled"
    if order.was_paid:
        return "paid again for an order another payment already paid"
    return ""


def _apply(order: Order, payment: Payment, state: ProviderPayment) -> str:
    """Move ``payment`` (and its order) to what the gateway says, with both rows locked. Returns what happened."""
    status = state.status
    if status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED, PaymentStatus.PARTIALLY_REFUNDED):
        if payment.status not in Payment.CAPTURED:
            if _gateway_amount_differs(payment, state):
                _flag(payment, f"gateway reports {state.amount} {state.currency}, expected "
                               f"{money_text(payment.amount, payment.currency)} {payment.currency}; not marked paid")
                payment.save()
                return "flagged_mismatch"
            payment_status_set_locked(payment, to=Payment.Status.SUCCEEDED)
            payment.succeeded_at = timezone.now()
            payment.failure_message = ""
            event_record(type=EventType.PAYMENT_SUCCEEDED, resource_id=payment.pk,
                         data={"amount": money_text(payment.amount, payment.currency), "currency": payment.currency})
            orphan_reason = _orphan_reason(order)
            if orphan_reason:
                # Money the order cannot keep: it was cancelled (stock gone back) or another attempt already
                # paid it (whichever success arrives second is the over-payment). It goes back automatically;
                # ``needs_refund`` says so until the refund is accepted (order_payment_recalculate).
                _flag(payment, f"{orphan_reason}; refund queued")
                enqueue_on_commit(refund_orphan_payment, payment.pk)
            elif order.status == Order.Status.PENDING:
                order_mark_processing_locked(order, reason="payment_succeeded")
        _absorb_gateway_refunds(payment, state.amount_refunded or Decimal("0"))
        if payment.amount_refunded >= payment.amount:
            payment_status_set_locked(payment, to=Payment.Status.REFUNDED)
        elif payment.amount_refunded > 0:
            payment_status_set_locked(payment, to=Payment.Status.PARTIALLY_REFUNDED)
        payment.save()
        order_payment_recalculate(order)
        return payment.status
    if payment.status in Payment.CAPTURED or payment.status == Payment.Status.CANCELLED:
        return "ignored_stale"  # a late failure or cancel never overrides money already taken or a closed attempt
    if status == PaymentStatus.FAILED:
        if payment.status != Payment.Status.FAILED:
            event_record(type=EventType.PAYMENT_FAILED, resource_id=payment.pk,
                         data={"failure_message": (state.failure_message or "The payment failed.")[:500]})
        payment_status_set_locked(payment, to=Payment.Status.FAILED)
        payment.failure_message = (state.failure_message or "The payment failed.")[:500]
        if payment.provider in settings.PAYMENT_FAILURE_RELEASES_ORDER:
            # This method's policy: a failed payment ends the order (stock released) instead of waiting for a
            # retry until the payment deadline.
            payment.save()
            if order.status in PAYABLE_ORDER_STATUSES and not order.was_paid:  # a stale attempt fails: paid goes on
                order_cancel_and_restock_locked(order, by=None, reason=Order.CancelReason.PAYMENT_FAILED,
                                    note=f"The payment failed: {payment.failure_message}")
            return payment.status
    elif status == PaymentStatus.PROCESSING:
        payment_status_set_locked(payment, to=Payment.Status.PROCESSING)
    elif status == PaymentStatus.CANCELLED:
        payment_status_set_locked(payment, to=Payment.Status.CANCELLED)
        payment.save()
        if order.status in PAYABLE_ORDER_STATUSES and not order.was_paid:
            order_cancel_and_restock_locked(order, by=None, reason=Order.CancelReason.PAYMENT_CANCELLED,
                                note="The payment was cancelled at the gateway.")
        return payment.status
    else:
        return "ignored_pending"
    payment.save()
    return payment.status


def payment_apply_state(*, payment_id: int, state: ProviderPayment) -> str:
    with transaction.atomic():
        order, payment = payment_lock_with_order(payment_id=payment_id)
        before = payment.status
        outcome = _apply(order, payment, state)
    if payment.status != before:
        record_payment(payment.provider, payment.status)
    return outcome


def payment_sync(*, payment_id: int, user=None) -> Payment:
    """Ask the gateway for the payment's true state and apply it (``POST /payments/sync-status/``)."""
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None or (user is not None and not user.is_staff and payment.user_id != user.pk):
        raise NotFound("Payment not found.")
    if not payment.provider_payment_id:
        raise ApplicationError("This payment was never opened at the gateway.", code=PaymentErrorCode.NOT_STARTED)
    provider = configured_provider_get(payment.provider)
    if provider.binds_payment_id_from_webhook and not payment.provider_invoice_id:
        return payment  # IntaSend: no invoice to read until the customer pays; its first webhook brings the id
    state = _gateway_call(provider, _retrieve_if_paid, provider, payment.provider_payment_id, action=CHANGE)
    if state is None:
        return payment  # the customer has not paid yet: nothing at the gateway to apply
    payment_apply_state(payment_id=payment.pk, state=state)
    return Payment.objects.get(pk=payment.pk)


def _retrieve_if_paid(provider: PaymentProvider, provider_payment_id: str) -> ProviderPayment | None:
    try:
        return provider.retrieve_payment(provider_payment_id)
    except GatewayRejected as exc:
        if exc.code in provider.not_paid_yet_codes:  # e.g. Paymob: no transaction before the customer paid
            return None
        raise


