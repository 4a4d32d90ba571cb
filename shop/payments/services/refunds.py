"""Refunds: reserve the amount under the payment lock, ask the gateway, settle; and settling a pending refund
from a gateway's refund or chargeback event."""

import logging
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction

from shop.core.exceptions import ApplicationError, ServiceUnavailable
from shop.core.money import money_text
from shop.events.services import event_record
from shop.events.types import EventType
from shop.orders.models import Order
from shop.orders.policy import order_action_check, refund_action
from shop.orders.services import order_cancel_and_restock_locked, order_refund_notify

from ..errors import PaymentErrorCode
from ..gateways import configured_provider_get, provider_class
from ..locks import payment_lock_with_order, refund_lock
from ..models import Payment, Refund, RefundLine
from ..providers.base import (
    GatewayRejected,
    GatewayUnavailable,
    PaymentProvider,
    RefundNotice,
    RefundStatus,
)
from ..refund_split import RefundLineRequest, refund_split_amount, refund_split_lines
from ..transitions import payment_status_set_locked
from ._shared import REFUND, _flag, _gateway_call, _status_phrase, gateway_error_detail
from .state import PAYABLE_ORDER_STATUSES, order_payment_recalculate

logger = logging.getLogger(__name__)


def _refund_announce(refund_id: int, *, succeeded: bool, amount: Decimal, payment: Payment) -> None:
    """Record refund.succeeded or refund.failed in the outbox (the payment row, and so the refund, locked), the
    amount written with the payment currency's digits."""
    event_record(type=EventType.REFUND_SUCCEEDED if succeeded else EventType.REFUND_FAILED, resource_id=refund_id,
                 data={"amount": money_text(amount, payment.currency), "payment_id": payment.pk})


def payment_refund(*, payment_id: int, user, amount: Decimal | None = None, reason: str = "",
                   lines: Sequence[RefundLineRequest] | None = None, shipping: bool | None = None) -> Refund:
    """Refund all or part of a captured payment; returns the ``Refund`` this call created (its ``payment`` the
    payment as this call left it), never another caller's. The amount is reserved under the payment lock before
    the gateway is called, so concurrent refunds can never return more than was paid.

    By line: ``lines`` (units of order lines) and/or ``shipping`` refund exactly what is left of those, from the
    order's stored prices (``refund_split.refund_split_lines``). ``None`` means "not asked"; anything else, even
    ``[]`` or ``False``, makes it a refund by line, so ``lines=[]`` without ``shipping=True`` refunds nothing
    (400 ``nothing_to_refund`` naming ``lines``), never everything. With neither, ``amount`` (default: all that
    is left) is spread over the lines with its tax (``refund_split_amount``). Either way the refund stores its
    tax, its tax lines and one ``RefundLine`` per line, and no line is refunded more than it cost (400 naming
    ``lines``). ``lines`` or ``shipping`` with ``amount`` is refused (400 ``refund_lines_or_amount``).

    ``user`` None is the system (automatic refunds). Who may refund what, and when, is the policy's
    (``shop.orders.policy``): a customer only in full, only their own order, only before it ships (403
    ``partial_refund_staff_only``, 400 ``not_cancellable``), checked under the locks before anything moves.
    A refund that leaves the shop holding nothing for an open order cancels it (stock restored once); a partial
    refund keeps the order going and never turns it unpaid.
    """
    with transaction.atomic():
        order, payment = payment_lock_with_order(payment_id=payment_id, user=user)
        split = None
        if lines is not None or shipping is not None:
            if amount is not None:
                raise ApplicationError("Send either lines (and shipping) or an amount, not both.",
                                       code=PaymentErrorCode.REFUND_LINES_OR_AMOUNT,
                                       extra={"errors": {"amount": ["Not with lines."]}})
            split = refund_split_lines(order=order, lines=lines or [], shipping=bool(shipping))
            amount = split.amount
        # A customer's refund is all that is left of the payment: any other amount is a partial refund, the
        # shop's decision (the policy's refund_action says which one this is).
        order_action_check(actor=user, order=order, action=refund_action(payment=payment, amount=amount))
        if not payment.can_be_refunded:
            raise ApplicationError(f"This payment {_status_phrase(payment)}; only money taken and not yet refunded "
                                   "can be refunded.",
                                   code=PaymentErrorCode.NOT_REFUNDABLE)
        amount = payment.refundable_amount if amount is None else amount
        if amount <= 0:
            raise ApplicationError("Refund amount must be positive.", code=PaymentErrorCode.INVALID_AMOUNT)
        if amount > payment.refundable_amount:
            raise ApplicationError(
                f"Refund amount {money_text(amount, payment.currency)} exceeds what is left to refund "
                f"({money_text(payment.refundable_amount, payment.currency)}).",
                code=PaymentErrorCode.REFUND_EXCEEDS_BALANCE,
            )
        refusal = provider_class(payment.provider).amount_refusal(amount, payment.currency)
        if refusal:
            field = "amount" if split is None else "lines"
            hint = "" if split is None else " Refund these lines by an amount in those steps instead."
            raise ApplicationError(f"{refusal}{hint}", code=PaymentErrorCode.AMOUNT_NOT_IN_STEPS,
                                   extra={"errors": {field: [refusal]}})
        # Before anything is reserved (no I/O: providers are built from settings): a gateway this server cannot
        # call (its keys gone) is a 503 that leaves the payment as it was, not an amount reserved for good.
        provider = configured_provider_get(payment.provider)
        split = split or refund_split_amount(order=order, amount=amount)
        refund = Refund.objects.create(payment=payment, amount=amount, reason=reason, requested_by=user,
                                       tax=split.tax, tax_lines=split.tax_lines)
        RefundLine.objects.bulk_create(split.rows(refund))
        payment.amount_refunded += amount
        payment.save(update_fields=["amount_refunded", "updated_at"])
        # The order says at once what the reservation leaves kept: staff cannot ship an order whose money is
        # on its way back while the gateway is being asked (the shipping rule reads is_fully_paid under this lock).
        order_payment_recalculate(order)
    try:
        result = _gateway_call(provider, provider.refund_payment, payment.provider_payment_id, amount=amount,
                               currency=payment.currency, reason=reason, idempotency_key=f"refund-{refund.pk}",
                               action=REFUND)
    except ApplicationError as exc:
        with transaction.atomic():
            order, payment = payment_lock_with_order(payment_id=payment_id)
            payment.amount_refunded -= amount
            payment.save(update_fields=["amount_refunded", "updated_at"])
            order_payment_recalculate(order)
            # The gateway's own words: a refund's failure_message is for staff (the admin, staff's webhooks).
            Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.FAILED,
                                                       failure_message=gateway_error_detail(exc)[:500])
            _refund_announce(refund.pk, succeeded=False, amount=amount, payment=payment)
        raise
    if result.status == RefundStatus.FAILED:
        # Refused in the create answer itself (a closed card account): the reserved amount goes back, the
        # customer is told, and nothing else changes.
        message = (result.failure_message or "the gateway refused it")[:500]
        with transaction.atomic():
            order, payment = payment_lock_with_order(payment_id=payment_id)
            payment.amount_refunded -= amount
            payment.save(update_fields=["amount_refunded", "updated_at"])
            order_payment_recalculate(order)
            Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.FAILED, failure_message=message,
                                                       provider_refund_id=result.provider_refund_id)
            _refund_announce(refund.pk, succeeded=False, amount=amount, payment=payment)
        raise ApplicationError(f"The refund failed at {provider.display_name}: {message}.",
                               code=PaymentErrorCode.REFUND_FAILED)
    with transaction.atomic():
        order, payment = payment_lock_with_order(payment_id=payment_id)
        refund.status, refund.provider_refund_id = result.status, result.provider_refund_id
        refund.save(update_fields=["status", "provider_refund_id", "updated_at"])
        refund.payment = payment
        if result.status == RefundStatus.SUCCEEDED:  # pending ones are announced when they settle
            _refund_announce(refund.pk, succeeded=True, amount=amount, payment=payment)
        fully = payment.amount_refunded >= payment.amount
        payment_status_set_locked(payment, to=Payment.Status.REFUNDED if fully else Payment.Status.PARTIALLY_REFUNDED)
        payment.save(update_fields=["status", "updated_at"])
        order_payment_recalculate(order)
        # Cancel only when nothing is kept for the order any more (a second, duplicate payment may still be).
        if fully and order.status in PAYABLE_ORDER_STATUSES and order.payment_status == Order.PaymentStatus.REFUNDED:
            order_cancel_and_restock_locked(order, by=user, reason=Order.CancelReason.REFUNDED,
                                            note="Payment refunded.")
        elif order.status != Order.Status.CANCELLED:
            # The order goes on (a partial refund, or one after delivery): the customer is told what comes back.
            # A cancelled order's e-mail already says what is refunded or on its way.
            order_refund_notify(order, refund_id=refund.pk)
    return refund


@transaction.atomic
def payment_flag(*, payment_id: int, reason: str) -> None:
    """Flag a payment for a person (``reason``: what to do), under the order -> payment locks."""
    _order, payment = payment_lock_with_order(payment_id=payment_id)
    _flag(payment, reason)
    payment.save(update_fields=["flagged", "flag_reason", "updated_at"])


def refund_notice_settle(*, payment_id: int, provider: PaymentProvider, notice: RefundNotice) -> str | None:
    """Settle our pending Refund a verified webhook names (``notice``), after the payment itself was re-read.

    A notice that settles the refund itself (IntaSend's completed or cancelled chargeback) is applied as it is;
    one that is only a trigger (Stripe's refund events) is confirmed by reading the refund from the gateway. A
    failed refund means the customer did not get the money back: the amount is released from
    ``amount_refunded`` and the payment flagged for a person (the order may already be cancelled and restocked).
    A refund the shop did not create (made in the gateway's dashboard) or already settled is left alone: the
    payment re-read that ran before this already did what it always does with it. None: nothing settled.
    """
    refund_id = notice.provider_refund_id
    if notice.status is not None:
        return _refund_settle(payment_id=payment_id, provider_refund_id=refund_id, status=notice.status,
                              flag_reason=notice.failed_reason or f"refund {refund_id} failed")
    if not Refund.objects.filter(payment_id=payment_id, provider_refund_id=refund_id,
                                 status=Refund.Status.PENDING).exists():
        return None
    try:
        state = provider.retrieve_refund(refund_id)
    except GatewayUnavailable as exc:
        raise ServiceUnavailable(f"Could not read refund {refund_id} from {provider.display_name}; retry later.",
                                 code=PaymentErrorCode.GATEWAY_UNAVAILABLE) from exc
    except GatewayRejected as exc:
        logger.warning("payment %s: %s cannot show refund %s (%s); left pending", payment_id,
                       provider.display_name, refund_id, exc.message)
        return None
    if state.status not in (RefundStatus.SUCCEEDED, RefundStatus.FAILED):
        return None  # still pending at the gateway
    return _refund_settle(payment_id=payment_id, provider_refund_id=refund_id, status=state.status,
                          failure_message=state.failure_message, gateway_payment_id=state.provider_payment_id,
                          flag_reason=f"refund {refund_id} failed ({state.failure_message or 'no reason given'})")


def _refund_settle(*, payment_id: int, provider_refund_id: str, status: str, failure_message: str = "",
                   gateway_payment_id: str = "", flag_reason: str) -> str | None:
    """Settle the payment's PENDING Refund with this gateway id, under the order -> payment locks.

    None when there is no such pending refund (unknown to the shop, or already settled): idempotent. A refund
    the gateway says belongs to another payment (``gateway_payment_id``) is never settled here.
    """
    with transaction.atomic():
        order, payment = payment_lock_with_order(payment_id=payment_id)
        if gateway_payment_id and gateway_payment_id != payment.provider_payment_id:
            logger.warning("refund %s belongs to %s, not payment %s; not settled", provider_refund_id,
                           gateway_payment_id, payment_id)
            return None
        refund = refund_lock(payment=payment, provider_refund_id=provider_refund_id, status=Refund.Status.PENDING)
        if refund is None:
            return None
        return _refund_settle_locked(order, payment, refund, status=status, failure_message=failure_message,
                                     flag_reason=flag_reason)


def _refund_settle_locked(order: Order, payment: Payment, refund: Refund, *, status: str, failure_message: str,
                          flag_reason: str) -> str:
    """A pending refund's outcome, with order, payment and refund locked.

    Succeeded: only the refund row changes (its amount was counted in ``amount_refunded`` when it was asked for).
    Failed (Stripe's failed or canceled, IntaSend's cancelled chargeback): the customer got nothing back, so the
    amount leaves ``amount_refunded``, the payment and order payment statuses are recomputed, and the payment is
    flagged for a person. Nothing else is undone: a full refund cancelled the order and restored its stock,
    and a failed refund never un-cancels it or moves stock; the order is marked ``needs_refund`` instead
    (the shop still holds money for a cancelled order).
    """
    refund.status = Refund.Status.SUCCEEDED if status == Refund.Status.SUCCEEDED else Refund.Status.FAILED
    if refund.status == Refund.Status.FAILED:
        refund.failure_message = (failure_message or "The refund failed at the gateway.")[:500]
    refund.save(update_fields=["status", "failure_message", "updated_at"])
    _refund_announce(refund.pk, succeeded=refund.status == Refund.Status.SUCCEEDED, amount=refund.amount,
                     payment=payment)
    if refund.status == Refund.Status.FAILED:
        payment.amount_refunded = max(payment.amount_refunded - refund.amount, Decimal("0.00"))
        if payment.amount_refunded >= payment.amount:
            payment_status_set_locked(payment, to=Payment.Status.REFUNDED)
        elif payment.amount_refunded > 0:
            payment_status_set_locked(payment, to=Payment.Status.PARTIALLY_REFUNDED)
        else:
            payment_status_set_locked(payment, to=Payment.Status.SUCCEEDED)
        _flag(payment, f"{flag_reason}: {money_text(refund.amount, payment.currency)} {payment.currency} was not "
                       "refunded")
        payment.save()
        if order.status == Order.Status.CANCELLED and not order.needs_refund:
            order.needs_refund = True
            order.save(update_fields=["needs_refund", "updated_at"])
        order_payment_recalculate(order)
    return f"refund_{refund.status}"


