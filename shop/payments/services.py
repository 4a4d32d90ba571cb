"""Payment writes. Network calls to a gateway never run inside a transaction or while a row lock is held:
we record intent in the database, talk to the gateway, then record the outcome (each step consistent alone).

Lock order, as everywhere: order -> payment.
"""

import logging
import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from shop.core.exceptions import ApplicationError, NotFound, ServiceUnavailable
from shop.core.idempotency import idempotency_key_reused
from shop.core.links import public_base_url
from shop.core.metrics import record_payment, record_webhook
from shop.core.tasks import enqueue_on_commit
from shop.discounts.services import redemption_consume
from shop.orders.locks import order_lock
from shop.orders.models import Order
from shop.orders.policy import Action, order_action_check, refund_action
from shop.orders.services import order_cancel_locked, order_mark_processing_locked, order_refund_notify
from shop.payments.methods import PaymentMethod, default_method, method_get

from .gateways import provider_get
from .models import Payment, PaymentMethodSetting, Refund, WebhookEvent
from .providers.base import (
    Customer,
    GatewayRejected,
    GatewayUnavailable,
    LineItem,
    PaymentProvider,
    PaymentRequest,
    PaymentStatus,
    ProviderPayment,
    RefundStatus,
    WebhookVerificationError,
)
from .providers.base import WebhookEvent as GatewayEvent
from .return_urls import return_url_for_order

logger = logging.getLogger(__name__)

PAYABLE_ORDER_STATUSES = (Order.Status.PENDING, Order.Status.PROCESSING)


def _gateway_call(provider: PaymentProvider, call, *args, **kwargs):
    """Run one gateway call, turning its failures into the API's answers: 503 (retry later) or 400."""
    try:
        return call(*args, **kwargs)
    except GatewayUnavailable as exc:
        raise ServiceUnavailable(
            f"{provider.display_name} could not be reached ({exc.message}). Nothing was charged; please try again.",
            code="gateway_unavailable",
        ) from exc
    except GatewayRejected as exc:
        raise ApplicationError(f"{provider.display_name} refused: {exc.message}", code="gateway_rejected") from exc


def _payment_lock(payment_id: int, *, user=None) -> tuple[Order, Payment]:
    """Lock the payment's order, then the payment (the house lock order). ``user`` limits to their own."""
    filters = {"pk": payment_id}
    if user is not None and not user.is_staff:
        filters["user"] = user
    order_id = Payment.objects.filter(**filters).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound("Payment not found.")
    order = order_lock(order_id=order_id)
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    return order, payment


def order_payment_recalculate(order: Order) -> None:
    """Recompute the order's payment facts from all its payments, with the order row locked.

    - ``paid_at``: set the first time captured payments cover the total (their amounts before refunds); never
      cleared, so "was this order paid?" (expiry, cancel rules, shipping) survives any refund.
    - ``is_fully_paid``: paid in full once and the shop still holds money for it; only a refund of everything
      turns it false again, a partial refund does not.
    - ``payment_status``: ``unpaid``; ``paid``; ``partially_refunded`` (some refunded, some kept);
      ``refunded`` (nothing kept).
    """
    payments = list(order.payments.all())
    captured = [payment for payment in payments if payment.status in Payment.CAPTURED]
    gross = sum((payment.amount for payment in captured), Decimal("0.00"))
    net = sum((payment.net_paid for payment in payments), Decimal("0.00"))
    refunded = any(payment.amount_refunded > 0 for payment in payments)
    if captured and gross >= order.total and order.paid_at is None:
        order.paid_at = timezone.now()
        # Its voucher use is consumed (a no-op for a cancelled order: its use was released, and stays so).
        redemption_consume(order_id=order.pk)
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


# --- Starting a payment ---------------------------------------------------------------------------------------

def _payment_request(payment: Payment, order: Order, *, return_url: str, base_url: str) -> PaymentRequest:
    address = getattr(order, "shipping_address", None)
    user = order.user
    return PaymentRequest(
        reference=f"pay_{payment.pk}",
        order_id=order.pk,
        amount=payment.amount,
        currency=payment.currency,
        customer=Customer(
            email=user.email, first_name=user.first_name, last_name=user.last_name,
            phone=getattr(address, "phone", ""), street=getattr(address, "address_line_1", ""),
            city=getattr(address, "city", ""), country=getattr(address, "country", ""),
            postal_code=getattr(address, "postal_code", ""), state=getattr(address, "state", ""),
        ),
        items=tuple(LineItem(item.product_name, item.unit_price, item.quantity) for item in order.items.all()),
        description=f"Order {order.order_key}",
        return_url=return_url_for_order(return_url=return_url, order_id=order.pk, order_key=order.order_key),
        notification_url=f"{base_url}/payments/webhooks/{payment.provider}/",
        public_base_url=base_url,
        idempotency_key=payment.idempotency_key,
        metadata={"order_id": str(order.pk), "order_key": order.order_key},
    )


def _reserve_attempt(*, order_id: int, user, provider: str, currency: str, idempotency_key: str,
                     method: PaymentMethod, reopen_id: int | None = None) -> Payment:
    """Under the order lock: the attempt this request pays with (see ``_reserve_attempt_locked``).

    A key saved meanwhile for this request under another transaction is replayed; for another request it raises
    ApplicationError 422 ``idempotency_key_reused``.
    """
    try:
        return _reserve_attempt_locked(order_id=order_id, user=user, provider=provider, currency=currency,
                                       idempotency_key=idempotency_key, method=method, reopen_id=reopen_id)
    except IntegrityError:
        # The same key for another order, saved meanwhile under that order's lock: replay it or refuse.
        existing = idempotency_key and _attempt_for_key(idempotency_key, order_id=order_id, provider=provider,
                                                        currency=currency)
        if not existing:
            raise
        return existing


def _reserve_attempt_locked(*, order_id: int, user, provider: str, currency: str, idempotency_key: str,
                            method: PaymentMethod, reopen_id: int | None = None) -> Payment:
    """Under the order lock: the attempt this request pays with.

    The one its ``idempotency_key`` names; else this order's open (pending) attempt with the provider; else the
    failed attempt ``reopen_id`` whose gateway object takes a new try (checked by the caller, re-checked here
    under the lock); else a new attempt. A failed attempt is never overwritten: it stays, with its message.
    """
    with transaction.atomic():
        order = order_lock(order_id=order_id, **({} if user is None else {"user": user}))
        if order is None:
            raise NotFound("Order not found.")
        if order.status not in PAYABLE_ORDER_STATUSES:
            raise ApplicationError(
                f"Order {order.pk} is {order.status}; only pending or processing orders can be paid.",
                code="order_not_payable",
            )
        if order.was_paid:  # a partial refund does not open the order to a second payment
            raise ApplicationError("This order is already paid.", code="order_paid")
        refusal = method.refusal(total=order.total, currency=currency)
        if refusal:
            raise ApplicationError(refusal, code="method_unavailable")
        if idempotency_key:
            existing = _attempt_for_key(idempotency_key, order_id=order.pk, provider=provider, currency=currency)
            if existing is not None:
                return existing
        if not method.is_online and order.payment_method not in ("", method.id):
            # Switching a placed online order to cash on delivery would keep its payment deadline (the expiry
            # sweep would cancel it) and let it ship unpaid under its old method: refused, documented.
            raise ApplicationError(
                f"This order is paid by {order.payment_method}; {method.name} can only be chosen at checkout.",
                code="method_switch_refused",
                extra={"errors": {"payment_method": [f"Choose {order.payment_method} or another online method."]}})
        if not method.is_online and order.payment_method == "":
            # Placed without a method (DEFAULT_PAYMENT_METHOD=none): choosing cash on delivery now makes it a
            # cash order, with no payment deadline, under this lock.
            order.payment_method, order.payment_deadline = method.id, None
            order.save(update_fields=["payment_method", "payment_deadline", "updated_at"])
        reusable = (
            Payment.objects.select_for_update()
            .filter(order=order, provider=provider, status=Payment.Status.PENDING, amount=order.total,
                    currency=currency)
            .order_by("-id").first()
        )
        if reusable is not None:
            return reusable
        if reopen_id is not None:
            reopened = Payment.objects.select_for_update().filter(
                pk=reopen_id, order=order, status=Payment.Status.FAILED, amount=order.total).first()
            if reopened is not None:
                reopened.status = Payment.Status.PENDING  # the failure message stays: the last try's outcome
                reopened.save(update_fields=["status", "updated_at"])
                _attempt_opened_locked(order, reopened, method)
                return reopened
        payment = Payment(
            order=order, user_id=order.user_id, provider=provider, amount=order.total, currency=currency,
            idempotency_key=idempotency_key or f"order-{order.pk}-{uuid.uuid4().hex}",
        )
        # Field validation only, as order_checkout does: the order and its user come from the row locked above,
        # and the database enforces the unique keys and the amount checks race-free. The full version cost 12
        # statements of a checkout's 48 (a SELECT per foreign key and unique field, and a SAVEPOINT + SELECT +
        # RELEASE per check constraint): bench/README.md, "Profiling".
        payment.full_clean(exclude=["order", "user"], validate_unique=False, validate_constraints=False)
        payment.save()
        return payment


def _attempt_for_key(idempotency_key: str, *, order_id: int, provider: str, currency: str) -> Payment | None:
    """The attempt already recorded under ``idempotency_key``, or None. The attempt row holds the whole request
    (order, provider, currency), so it is its own fingerprint: a key reused for a different request is the 422
    ``idempotency_key_reused`` (shop/core/idempotency.py), never another request's payment."""
    existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None and (existing.order_id, existing.provider, existing.currency) != (
            order_id, provider, currency):
        raise idempotency_key_reused()
    return existing


def payment_start(*, order_id: int, user, method_id: str, currency: str | None = None,
                  idempotency_key: str = "", client_idempotency_key: str = "", return_url: str = "",
                  base_url: str = "") -> Payment:
    """Open a payment attempt for the order with the method named by ``method_id`` (code or number).

    Every new gateway checkout is a new ``Payment`` row; an open attempt, or a failed one whose gateway object
    can take a new try (``PaymentProvider.reusable_after_failure``), is answered instead. 400 if the method is
    not offered or its limits refuse the order; 503 (nothing changed but the attempt's recorded failure) if the
    gateway is down, refuses to answer usefully, or answers a payment id another payment already holds.

    ``idempotency_key`` is one of ours (e.g. ``checkout-<order_key>``); ``client_idempotency_key`` is one the
    API caller chose, scoped to ``user`` (two customers' keys never meet, and never meet ours). The same key
    again with the same order, method and currency returns the same attempt; with anything else it raises
    ApplicationError 422 ``idempotency_key_reused``.

    ``return_url``: where a hosted page sends the customer back (already checked by ``return_url_check``;
    ``""``: ``PAYMENT_RETURN_URL``). ``base_url``: this API's public base as the customer reached it
    (``shop.core.links.public_base_url(request)``; ``""``: the configured one), for webhook URLs and the sandbox
    page. An open attempt is reused as it was opened (its checkout URL and return URL unchanged).
    """
    if client_idempotency_key:
        idempotency_key = f"client-{user.pk if user is not None else 'staff'}-{client_idempotency_key}"
    if not method_id:
        method_id = _method_of_order(order_id=order_id, user=user)
    method = method_get(method_id)
    if method is None:
        raise ApplicationError(f"Payment method '{method_id}' is not available.", code="method_unavailable")
    provider = provider_get(method.provider)
    currency = (currency or settings.SHOP_CURRENCY).upper()
    if currency != settings.SHOP_CURRENCY:
        raise ApplicationError(f"Orders are priced in {settings.SHOP_CURRENCY}; pay in that currency.",
                               code="currency_mismatch")
    if not provider.supports_currency(currency):
        raise ApplicationError(f"{provider.display_name} does not accept {currency}.", code="unsupported_currency")
    payment = _reserve_attempt(order_id=order_id, user=user, provider=provider.identifier, currency=currency,
                               idempotency_key=idempotency_key, method=method,
                               reopen_id=None if idempotency_key else _reopenable(provider, order_id, user, currency))
    if payment.provider_payment_id:
        # Opened at the gateway already: the open attempt (the client reuses its client_secret / checkout_url),
        # a reopened one, or the attempt an idempotency key names, answered as it is.
        return payment
    order = Order.objects.select_related("user", "shipping_address").prefetch_related("items").get(pk=payment.order_id)
    try:
        gateway_request = _payment_request(payment, order, return_url=return_url,
                                           base_url=(base_url or public_base_url()).rstrip("/"))
        result = _gateway_call(provider, provider.create_payment, gateway_request)
    except ApplicationError as exc:
        Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.FAILED, failure_message=exc.message[:500])
        raise
    try:
        with transaction.atomic():
            order = order_lock(order_id=payment.order_id)  # lock order: order -> payment
            payment = Payment.objects.select_for_update().get(pk=payment.pk)
            payment.provider_payment_id = result.provider_payment_id
            payment.provider_invoice_id = result.provider_invoice_id
            payment.client_secret = result.client_secret
            payment.checkout_url = result.checkout_url
            payment.status = Payment.Status.PENDING
            payment.failure_message = ""
            payment.save()
            _attempt_opened_locked(order, payment, method)
    except IntegrityError:
        # The gateway answered an id another payment of ours already holds (a misbehaving or replayed gateway).
        # Never attach one gateway payment to two of ours: this attempt fails like any other gateway failure.
        logger.error("%s answered payment id %s, which payment %s cannot take: already held by another payment",
                     provider.display_name, result.provider_payment_id, payment.pk)
        message = (f"{provider.display_name} answered with a payment id that belongs to another payment. "
                   "Nothing was charged; please try again.")
        Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.FAILED, failure_message=message[:500])
        raise ServiceUnavailable(message, code="gateway_bad_response") from None
    return payment


def _method_of_order(*, order_id: int, user) -> str:
    """The method a create-intent without ``payment_method`` pays with: the order's own (the one it was placed
    or last opened with), else the shop's default (``default_method``). 404 for someone else's order; 400
    ``payment_method_required`` when neither names a method."""
    filters = {} if user is None or user.is_staff else {"user": user}
    order_method = Order.objects.filter(pk=order_id, **filters).values_list("payment_method", flat=True).first()
    if order_method is None:
        raise NotFound("Order not found.")
    if order_method:
        return order_method
    default = default_method()
    if default is None:
        raise ApplicationError("Choose a payment method for this order.", code="payment_method_required",
                               extra={"errors": {"payment_method": ["This field is required."]}})
    return default.id


def _attempt_opened_locked(order: Order, payment: Payment, method: PaymentMethod) -> None:
    """A new attempt is open at the gateway (order and payment locked): it becomes the order's one way to pay.

    The order's other open attempts (another provider's, or an earlier amount's) are closed, and cancelled at
    the gateway where it can (one order, one open attempt: two open checkouts are how an order gets paid twice).
    ``Order.payment_method`` follows the attempt, so the shipping rule and the expiry sweep judge the order by
    how it is being paid now; an order moving from cash on delivery to an online method gets its payment
    deadline (moving to a direct method after checkout is refused in ``_reserve_attempt_locked``).
    """
    for other in Payment.objects.select_for_update().filter(order=order, status__in=Payment.ACTIVE).exclude(
            pk=payment.pk):
        _attempt_close_locked(other)
    fields = []
    if order.payment_method != method.id:
        order.payment_method = method.id
        fields.append("payment_method")
    if method.is_online and order.payment_deadline is None and not order.was_paid:
        order.payment_deadline = timezone.now() + timedelta(minutes=settings.ORDER_PAYMENT_TIMEOUT_MINUTES)
        fields.append("payment_deadline")
    if fields:
        order.save(update_fields=[*fields, "updated_at"])


def _reopenable(provider: PaymentProvider, order_id: int, user, currency: str) -> int | None:
    """The order's latest failed attempt with ``provider`` whose gateway object can take a new try (a Stripe
    PaymentIntent back in ``requires_payment_method``), or None. Asks the gateway, so outside any transaction;
    a gateway that cannot answer means a new attempt."""
    candidate = (
        Payment.objects.filter(order_id=order_id, provider=provider.identifier, status=Payment.Status.FAILED,
                               currency=currency, amount=F("order__total"), **({} if user is None else {"user": user}))
        .exclude(provider_payment_id="").order_by("-id").values_list("pk", "provider_payment_id").first()
    )
    if candidate is None:
        return None
    try:
        reusable = _gateway_call(provider, provider.reusable_after_failure, candidate[1])
    except ApplicationError:
        return None
    return candidate[0] if reusable else None


# --- Applying the gateway's truth -------------------------------------------------------------------------------

def _flag(payment: Payment, reason: str) -> None:
    payment.flagged = True
    payment.flag_reason = reason[:255]
    logger.warning("payment %s flagged: %s", payment.pk, reason)


# Providers that hold no amounts: our Payment row is the ledger (cash on delivery's retrieve/cancel answer
# amount 0 and currency ""), so there is nothing on the gateway side to compare against.
LOCAL_LEDGER_PROVIDERS = frozenset({"cod"})


def _gateway_amount_differs(payment: Payment, state: ProviderPayment) -> bool:
    if payment.provider in LOCAL_LEDGER_PROVIDERS:
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
                _flag(payment, f"gateway reports {state.amount} {state.currency}, expected {payment.amount} "
                               f"{payment.currency}; not marked paid")
                payment.save()
                return "flagged_mismatch"
            payment.status = Payment.Status.SUCCEEDED
            payment.succeeded_at = timezone.now()
            payment.failure_message = ""
            orphan_reason = _orphan_reason(order)
            if orphan_reason:
                # Money the order cannot keep: it was cancelled (stock gone back) or another attempt already
                # paid it (whichever success arrives second is the over-payment). It goes back automatically;
                # ``needs_refund`` says so until the refund is accepted (order_payment_recalculate).
                _flag(payment, f"{orphan_reason}; refund queued")
                from .tasks import refund_orphan_payment

                enqueue_on_commit(refund_orphan_payment, payment.pk)
            elif order.status == Order.Status.PENDING:
                order_mark_processing_locked(order, reason="payment_succeeded")
        _absorb_gateway_refunds(payment, state.amount_refunded or Decimal("0"))
        if payment.amount_refunded >= payment.amount:
            payment.status = Payment.Status.REFUNDED
        elif payment.amount_refunded > 0:
            payment.status = Payment.Status.PARTIALLY_REFUNDED
        payment.save()
        order_payment_recalculate(order)
        return payment.status
    if payment.status in Payment.CAPTURED or payment.status == Payment.Status.CANCELLED:
        return "ignored_stale"  # a late failure or cancel never overrides money already taken or a closed attempt
    if status == PaymentStatus.FAILED:
        payment.status = Payment.Status.FAILED
        payment.failure_message = (state.failure_message or "The payment failed.")[:500]
        if payment.provider in settings.PAYMENT_FAILURE_RELEASES_ORDER:
            # This method's policy: a failed payment ends the order (stock released) instead of waiting for a
            # retry until the payment deadline.
            payment.save()
            if order.status in PAYABLE_ORDER_STATUSES and not order.was_paid:  # a stale attempt fails: paid goes on
                order_cancel_locked(order, by=None, reason=Order.CancelReason.PAYMENT_FAILED,
                                    note=f"The payment failed: {payment.failure_message}")
            return payment.status
    elif status == PaymentStatus.PROCESSING:
        payment.status = Payment.Status.PROCESSING
    elif status == PaymentStatus.CANCELLED:
        payment.status = Payment.Status.CANCELLED
        payment.save()
        if order.status in PAYABLE_ORDER_STATUSES and not order.was_paid:
            order_cancel_locked(order, by=None, reason=Order.CancelReason.PAYMENT_CANCELLED,
                                note="The payment was cancelled at the gateway.")
        return payment.status
    else:
        return "ignored_pending"
    payment.save()
    return payment.status


def payment_apply_state(*, payment_id: int, state: ProviderPayment) -> str:
    with transaction.atomic():
        order, payment = _payment_lock(payment_id)
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
        raise ApplicationError("This payment was never opened at the gateway.", code="not_started")
    if payment.provider in BINDS_ID_FROM_WEBHOOK and not payment.provider_invoice_id:
        return payment  # IntaSend: no invoice to read until the customer pays; its first webhook brings the id
    provider = provider_get(payment.provider)
    state = _gateway_call(provider, _retrieve_if_paid, provider, payment.provider_payment_id)
    if state is None:
        return payment  # the customer has not paid yet: nothing at the gateway to apply
    payment_apply_state(payment_id=payment.pk, state=state)
    return Payment.objects.get(pk=payment.pk)


# A read before the customer paid: Paymob has no transaction for the order yet.
NOT_PAID_YET = frozenset({"no_transaction"})


def _retrieve_if_paid(provider: PaymentProvider, provider_payment_id: str) -> ProviderPayment | None:
    try:
        return provider.retrieve_payment(provider_payment_id)
    except GatewayRejected as exc:
        if exc.code in NOT_PAID_YET:
            return None
        raise


# --- Webhooks ---------------------------------------------------------------------------------------------------
#
# Identifiers, per gateway (``Payment.provider_payment_id`` is always the id the gateway's retrieve/refund take;
# ``provider_invoice_id`` keeps the hosted-checkout session the customer was sent to):
# - Stripe: the PaymentIntent id; no invoice id.
# - Paymob: Paymob's numeric order id (``intention_order_id``, signed into every callback as ``obj.order.id``);
#   the intention id (``pi_...``) in ``provider_invoice_id``.
# - IntaSend: creating a checkout returns only the checkout id, so the payment starts with the checkout id in
#   ``provider_payment_id`` and an empty ``provider_invoice_id``. The invoice exists once the customer pays and
#   reaches us in the first webhook, matched by our reference (``api_ref`` = ``pay_<pk>``): that invoice id then
#   becomes ``provider_payment_id`` and the checkout id moves to ``provider_invoice_id`` (``_payment_bind``).
# - Sandbox ``sbx_...``, cash on delivery ``cod_pay_<pk>``: their own ids.

# Gateways whose create answer names a checkout and whose webhooks name the payment itself (see above).
BINDS_ID_FROM_WEBHOOK = frozenset({"intasend"})
# Gateways whose webhooks are signed per message (HMAC / signature): when the gateway cannot be re-read, the
# verified event itself may be acted on. IntaSend's static challenge is not enough for that.
SIGNED_WEBHOOKS = frozenset({"stripe", "paymob", "sandbox"})


def _find_payment(provider: str, event: GatewayEvent) -> Payment | None:
    if event.provider_payment_id:
        found = Payment.objects.filter(provider=provider, provider_payment_id=event.provider_payment_id).first()
        if found is not None:
            return found
    if event.reference.startswith("pay_") and event.reference[4:].isdigit():
        return Payment.objects.filter(provider=provider, pk=int(event.reference[4:])).first()
    return None


def webhook_process(*, provider_name: str, event: GatewayEvent) -> str:
    """Act once on a verified event: dedupe by id, re-read the payment's state from the gateway, apply it.

    An event whose processing failed (503: the gateway could not be re-read) stays unprocessed, so the
    gateway's redelivery is processed rather than answered "duplicate".
    """
    record, created = WebhookEvent.objects.get_or_create(
        provider=provider_name, event_id=event.event_id,
        defaults={"event_type": event.event_type, "provider_payment_id": event.provider_payment_id,
                  "payload": dict(event.raw) if event.raw else {}},
    )
    if not created and record.processed_at is not None:
        return "duplicate"
    outcome = _webhook_outcome(provider_name, event)
    WebhookEvent.objects.filter(pk=record.pk).update(processed_at=timezone.now(), outcome=outcome[:255])
    return outcome


def _state_from_event(payment: Payment, event: GatewayEvent) -> ProviderPayment:
    return ProviderPayment(
        provider_payment_id=event.provider_payment_id or payment.provider_payment_id, status=event.status,
        amount=event.amount if event.amount is not None else payment.amount,
        currency=event.currency or payment.currency, failure_message=event.failure_message,
    )


def _webhook_outcome(provider_name: str, event: GatewayEvent) -> str:
    if event.status is None and not (event.provider_payment_id or event.reference):
        return f"ignored: {event.event_type} is not about a payment"
    payment = _find_payment(provider_name, event)
    if payment is None:
        logger.warning("webhook %s/%s names no known payment (%s)", provider_name, event.event_id,
                       event.provider_payment_id or event.reference)
        return "ignored: unknown payment"
    provider = provider_get(provider_name)
    bind = (provider_name in BINDS_ID_FROM_WEBHOOK and bool(event.provider_payment_id)
            and event.provider_payment_id != payment.provider_payment_id)
    gateway_id = event.provider_payment_id if bind else payment.provider_payment_id
    try:
        # Also for events with no state of their own (a refund/void/chargeback callback): the re-read says
        # what the payment now is.
        state = provider.retrieve_payment(gateway_id)
    except GatewayUnavailable as exc:
        if exc.code != "not_configured" or provider_name not in SIGNED_WEBHOOKS:
            raise ServiceUnavailable(f"Could not confirm the event with {provider.display_name}; retry later.",
                                     code="gateway_unavailable") from exc
        # Reads are not configured (Paymob without PAYMOB_API_KEY): the callback's HMAC authenticated the
        # transaction it carries, so act on that. An event with no state of its own needs a read: skip it.
        if event.status is None:
            return f"ignored: {event.event_type} needs a read from {provider.display_name}, which is not configured"
        state = _state_from_event(payment, event)
    except (GatewayRejected, NotImplementedError) as exc:
        if provider_name not in SIGNED_WEBHOOKS:
            # Only a shared challenge vouches for this event, and the gateway does not know what it names:
            # never act on it. A 503 lets a genuine but early event be redelivered.
            raise ServiceUnavailable(f"{provider.display_name} does not confirm this event yet; retry later.",
                                     code="gateway_unconfirmed") from exc
        if event.status is None:
            return f"ignored: {event.event_type} could not be confirmed"
        # A signed event the gateway cannot show yet (Paymob's inquiry lags its callback): act on the event.
        state = _state_from_event(payment, event)
    if bind:
        return _payment_bind(payment_id=payment.pk, gateway_id=gateway_id, state=state)
    outcome = payment_apply_state(payment_id=payment.pk, state=state)
    if provider_name == "intasend" and event.event_type.startswith("chargeback."):
        return _chargeback_settle(payment_id=payment.pk, payload=event.raw) or outcome
    if provider_name == "stripe" and event.event_type in STRIPE_REFUND_EVENTS:
        return _stripe_refund_settle(payment_id=payment.pk, provider=provider, event=event) or outcome
    return outcome


# An IntaSend refund is a chargeback that starts PENDING and is settled later; its webhook says how.
_CHARGEBACK_SETTLED = {"COMPLETED": Refund.Status.SUCCEEDED, "COMPLETE": Refund.Status.SUCCEEDED,
                       "CANCELLED": Refund.Status.FAILED}


def _chargeback_settle(*, payment_id: int, payload) -> str | None:
    """Settle our pending Refund from a (challenge-verified, invoice re-read) chargeback webhook.

    A cancelled chargeback means the customer did not get the money back: the amount is released from
    ``amount_refunded`` and the payment flagged for a person (the order may already be cancelled and restocked).
    """
    chargeback_id = str(payload.get("chargeback_id") or "") if isinstance(payload, dict) else ""
    settled = _CHARGEBACK_SETTLED.get(str(payload.get("status") or "").upper()) if chargeback_id else None
    if settled is None:
        return None
    return _refund_settle(payment_id=payment_id, provider_refund_id=chargeback_id, status=settled,
                          flag_reason=f"chargeback {chargeback_id} was cancelled")


# Stripe events whose object is a refund: its status may have moved (pending -> succeeded / failed / canceled).
STRIPE_REFUND_EVENTS = frozenset({"refund.updated", "refund.failed", "charge.refund.updated"})


def _stripe_refund_settle(*, payment_id: int, provider: PaymentProvider, event: GatewayEvent) -> str | None:
    """Settle our pending Refund named by a (signature-verified) Stripe refund event, from a re-read of it.

    A refund the shop did not create (made in Stripe's dashboard) or already settled is left alone: the
    payment re-read that ran before this already did what it always does with it.
    """
    data = event.raw.get("data") if isinstance(event.raw, dict) else None
    obj = data.get("object") if isinstance(data, dict) else None
    refund_id = str(obj.get("id") or "") if isinstance(obj, dict) and obj.get("object") == "refund" else ""
    if not refund_id or not Refund.objects.filter(payment_id=payment_id, provider_refund_id=refund_id,
                                                  status=Refund.Status.PENDING).exists():
        return None
    try:
        state = provider.retrieve_refund(refund_id)
    except GatewayUnavailable as exc:
        raise ServiceUnavailable(f"Could not read refund {refund_id} from {provider.display_name}; retry later.",
                                 code="gateway_unavailable") from exc
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
        order, payment = _payment_lock(payment_id)
        if gateway_payment_id and gateway_payment_id != payment.provider_payment_id:
            logger.warning("refund %s belongs to %s, not payment %s; not settled", provider_refund_id,
                           gateway_payment_id, payment_id)
            return None
        refund = Refund.objects.select_for_update().filter(payment=payment, provider_refund_id=provider_refund_id,
                                                           status=Refund.Status.PENDING).first()
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
    if refund.status == Refund.Status.FAILED:
        payment.amount_refunded = max(payment.amount_refunded - refund.amount, Decimal("0.00"))
        if payment.amount_refunded >= payment.amount:
            payment.status = Payment.Status.REFUNDED
        elif payment.amount_refunded > 0:
            payment.status = Payment.Status.PARTIALLY_REFUNDED
        else:
            payment.status = Payment.Status.SUCCEEDED
        _flag(payment, f"{flag_reason}: {refund.amount} {payment.currency} was not refunded")
        payment.save()
        if order.status == Order.Status.CANCELLED and not order.needs_refund:
            order.needs_refund = True
            order.save(update_fields=["needs_refund", "updated_at"])
        order_payment_recalculate(order)
    return f"refund_{refund.status}"


def _invoice_reference(state: ProviderPayment) -> str:
    """The reference IntaSend echoes in a re-read invoice (``api_ref``), from the provider's audit copy."""
    invoice = state.raw.get("invoice") if isinstance(state.raw, dict) else None
    return str(invoice.get("api_ref") or "") if isinstance(invoice, dict) else ""


def _payment_bind(*, payment_id: int, gateway_id: str, state: ProviderPayment) -> str:
    """Attach the gateway's payment id (IntaSend's invoice) to the payment our reference named, then apply.

    The invoice was re-read from the gateway; it must echo this payment's reference, or a webhook naming one
    payment could attach another payment's invoice to it.
    """
    if _invoice_reference(state) != f"pay_{payment_id}":
        logger.warning("payment %s: invoice %s carries reference %r, not ours; not bound", payment_id, gateway_id,
                       _invoice_reference(state))
        return "ignored: the invoice belongs to another payment"
    with transaction.atomic():
        order, payment = _payment_lock(payment_id)
        if payment.provider_payment_id != gateway_id:
            if payment.status in Payment.CAPTURED:
                # Money was already taken on another invoice: never move the payment off it.
                if state.status == PaymentStatus.SUCCEEDED:
                    _flag(payment, f"a second invoice {gateway_id} was paid for this payment; refund it by hand")
                    payment.save(update_fields=["flagged", "flag_reason", "updated_at"])
                    return "flagged_second_charge"
                return "ignored_stale"
            if not payment.provider_invoice_id:
                payment.provider_invoice_id = payment.provider_payment_id  # the checkout id
            payment.provider_payment_id = gateway_id
            payment.save(update_fields=["provider_payment_id", "provider_invoice_id", "updated_at"])
        return _apply(order, payment, state)


def webhook_receive(*, provider_name: str, body: bytes, headers, query) -> str:
    provider = provider_get(provider_name)
    try:
        event = provider.parse_webhook(body=body, headers=headers, query=query)
    except WebhookVerificationError as exc:
        record_webhook(provider_name, "bad_signature")
        raise ApplicationError(f"Webhook rejected: {exc.message}", code="invalid_signature") from exc
    outcome = webhook_process(provider_name=provider.identifier, event=event)
    record_webhook(provider_name, outcome.split(":")[0])
    return outcome


# --- Cancelling and refunding -------------------------------------------------------------------------------------

# The gateway has nothing open to cancel: IntaSend has no cancel API (its checkout just lapses), Paymob cannot
# cancel an unpaid intention (it expires). Our side closing the attempt is the whole cancellation; should the
# customer still pay, the success lands on a cancelled order and is refunded (``_apply``).
NOTHING_TO_CANCEL = frozenset({"not_cancellable"})


def payment_gateway_cancel(*, provider: PaymentProvider, provider_payment_id: str) -> str:
    """Tell the gateway an attempt is abandoned. 400 if it refuses for a reason people must see (e.g. already
    paid), 503 if it cannot be reached; "nothing to cancel" when only our side holds the attempt open."""
    try:
        provider.cancel_payment(provider_payment_id)
    except GatewayRejected as exc:
        if exc.code in NOTHING_TO_CANCEL:
            logger.info("%s has nothing to cancel for %s: %s", provider.display_name, provider_payment_id,
                        exc.message)
            return "nothing to cancel at the gateway"
        raise ApplicationError(f"{provider.display_name} refused: {exc.message}", code="gateway_rejected") from exc
    except GatewayUnavailable as exc:
        if exc.code == "not_configured":
            # Cancelling needs a credential this server lacks (Paymob's api_key): close our side anyway; an
            # unpaid attempt lapses, a paid one arrives on a cancelled order and is flagged for a refund.
            logger.warning("%s cancel of %s skipped: %s", provider.display_name, provider_payment_id, exc.message)
            return "not configured to cancel at the gateway"
        raise ServiceUnavailable(
            f"{provider.display_name} could not be reached ({exc.message}). Nothing was changed; please try again.",
            code="gateway_unavailable",
        ) from exc
    return "cancelled"


def payment_cancel(*, payment_id: int, user) -> Payment:
    """Cancel an open payment at the gateway, then its order (stock restored): no order waits on it.

    An order that was paid keeps going: only the stale attempt closes. The policy (``shop.orders.policy``,
    ``CLOSE_ATTEMPT``) is asked before the gateway is told anything.
    """
    payment = Payment.objects.select_related("order").filter(pk=payment_id).first()
    if payment is None or (not user.is_staff and payment.user_id != user.pk):
        raise NotFound("Payment not found.")
    if payment.status not in Payment.ACTIVE:
        raise ApplicationError(f"This payment {_status_phrase(payment)}; only a pending or processing payment can be "
                               "cancelled.",
                               code="not_cancellable")
    order_action_check(actor=user, order=payment.order, action=Action.CLOSE_ATTEMPT)
    if payment.provider_payment_id:
        provider = provider_get(payment.provider)
        payment_gateway_cancel(provider=provider, provider_payment_id=payment.provider_payment_id)
    with transaction.atomic():
        order, payment = _payment_lock(payment_id)
        if payment.status in Payment.ACTIVE:
            payment.status = Payment.Status.CANCELLED
            payment.save()
        if order.status in PAYABLE_ORDER_STATUSES and not order.was_paid:
            order_cancel_locked(order, by=user, reason=Order.CancelReason.PAYMENT_CANCELLED,
                                note="Payment cancelled by the customer.")
    return payment


def payments_cancel_for_order(order: Order) -> None:
    """The orders app's hook: called with the order locked while it is being cancelled.

    Open attempts are closed here at once; the gateway is told after commit, by a retried task. Money already
    captured (staff cancelling a paid order) goes back: the stock was restored, so the payment is refunded in
    full after commit. That is the routine outcome of a staff cancel, so nothing is flagged: ``needs_refund`` is
    true until the refund is accepted, and a refund that fails flags the payment then (``payment_refund``).
    """
    from .tasks import refund_orphan_payment

    kept = False
    for payment in Payment.objects.select_for_update().filter(order=order):
        if payment.status in Payment.ACTIVE:
            _attempt_close_locked(payment)
        elif payment.net_paid > 0:
            kept = True
            enqueue_on_commit(refund_orphan_payment, payment.pk)
    if kept:
        order_payment_recalculate(order)


def _attempt_close_locked(payment: Payment) -> None:
    """Close an open attempt (order and payment locked); the gateway is told after commit by a retried task
    (Stripe cancels the PaymentIntent; IntaSend and an unpaid Paymob intention have nothing to cancel and lapse).
    Should the customer still pay it, the money is an over-payment and goes back (``_apply``)."""
    from .tasks import cancel_payment_at_gateway

    payment.status = Payment.Status.CANCELLED
    payment.save(update_fields=["status", "updated_at"])
    if payment.provider_payment_id:
        enqueue_on_commit(cancel_payment_at_gateway, payment.pk)


def payment_refund(*, payment_id: int, user, amount: Decimal | None = None, reason: str = "") -> Payment:
    """Refund all or part of a captured payment. The amount is reserved under the payment lock before the
    gateway is called, so concurrent refunds can never return more than was paid.

    ``user`` None is the system (automatic refunds). Who may refund what, and when, is the policy's
    (``shop.orders.policy``): a customer only in full, only their own order, only before it ships (403
    ``partial_refund_staff_only``, 400 ``not_cancellable``), checked under the locks before anything moves.
    A refund that leaves the shop holding nothing for an open order cancels it (stock restored once); a partial
    refund keeps the order going and never turns it unpaid.
    """
    with transaction.atomic():
        order, payment = _payment_lock(payment_id, user=user)
        # A customer's refund is all that is left of the payment: any other amount is a partial refund, the
        # shop's decision (the policy's refund_action says which one this is).
        order_action_check(actor=user, order=order, action=refund_action(payment=payment, amount=amount))
        if not payment.can_be_refunded:
            raise ApplicationError(f"This payment {_status_phrase(payment)}; only money taken and not yet refunded "
                                   "can be refunded.",
                                   code="not_refundable")
        amount = payment.refundable_amount if amount is None else amount
        if amount <= 0:
            raise ApplicationError("Refund amount must be positive.", code="invalid_amount")
        if amount > payment.refundable_amount:
            raise ApplicationError(
                f"Refund amount {amount} exceeds what is left to refund ({payment.refundable_amount}).",
                code="refund_exceeds_balance",
            )
        refund = Refund.objects.create(payment=payment, amount=amount, reason=reason, requested_by=user)
        payment.amount_refunded += amount
        payment.save(update_fields=["amount_refunded", "updated_at"])
        # The order says at once what the reservation leaves kept: staff cannot ship an order whose money is
        # on its way back while the gateway is being asked (the shipping rule reads is_fully_paid under this lock).
        order_payment_recalculate(order)
    provider = provider_get(payment.provider)
    try:
        result = _gateway_call(provider, provider.refund_payment, payment.provider_payment_id, amount=amount,
                               currency=payment.currency, reason=reason, idempotency_key=f"refund-{refund.pk}")
    except ApplicationError as exc:
        with transaction.atomic():
            order, payment = _payment_lock(payment_id)
            payment.amount_refunded -= amount
            payment.save(update_fields=["amount_refunded", "updated_at"])
            order_payment_recalculate(order)
            Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.FAILED, failure_message=exc.message[:500])
        raise
    if result.status == RefundStatus.FAILED:
        # Refused in the create answer itself (a closed card account): the reserved amount goes back, the
        # customer is told, and nothing else changes.
        message = (result.failure_message or "the gateway refused it")[:500]
        with transaction.atomic():
            order, payment = _payment_lock(payment_id)
            payment.amount_refunded -= amount
            payment.save(update_fields=["amount_refunded", "updated_at"])
            order_payment_recalculate(order)
            Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.FAILED, failure_message=message,
                                                       provider_refund_id=result.provider_refund_id)
        raise ApplicationError(f"The refund failed at {provider.display_name}: {message}.", code="refund_failed")
    with transaction.atomic():
        order, payment = _payment_lock(payment_id)
        Refund.objects.filter(pk=refund.pk).update(status=result.status, provider_refund_id=result.provider_refund_id)
        fully = payment.amount_refunded >= payment.amount
        payment.status = Payment.Status.REFUNDED if fully else Payment.Status.PARTIALLY_REFUNDED
        payment.save(update_fields=["status", "updated_at"])
        order_payment_recalculate(order)
        # Cancel only when nothing is kept for the order any more (a second, duplicate payment may still be).
        if fully and order.status in PAYABLE_ORDER_STATUSES and order.payment_status == Order.PaymentStatus.REFUNDED:
            order_cancel_locked(order, by=user, reason=Order.CancelReason.REFUNDED, note="Payment refunded.")
        elif order.status != Order.Status.CANCELLED:
            # The order goes on (a partial refund, or one after delivery): the customer is told what comes back.
            # A cancelled order's e-mail already says what is refunded or on its way.
            order_refund_notify(order, refund_id=refund.pk)
    return payment


@transaction.atomic
def payment_flag(*, payment_id: int, reason: str) -> None:
    """Flag a payment for a person (``reason``: what to do), under the order -> payment locks."""
    _order, payment = _payment_lock(payment_id)
    _flag(payment, reason)
    payment.save(update_fields=["flagged", "flag_reason", "updated_at"])


_STATUS_PHRASES = {
    Payment.Status.PENDING: "is pending",
    Payment.Status.PROCESSING: "is processing",
    Payment.Status.SUCCEEDED: "has already succeeded",
    Payment.Status.FAILED: "failed",
    Payment.Status.CANCELLED: "was cancelled",
    Payment.Status.REFUNDED: "was refunded",
    Payment.Status.PARTIALLY_REFUNDED: "was partly refunded",
}


def _status_phrase(payment: Payment) -> str:
    """``"has already succeeded"``, ``"was cancelled"`` ...: a payment's status as the verb of a sentence."""
    return _STATUS_PHRASES.get(payment.status, f"is {payment.status}")


def payment_collect_check(payment: Payment | None, *, order: Order | None = None) -> None:
    """Refuse (``ApplicationError``) what ``payment_collect`` refuses, without locks: for pages that preview an
    action (the admin's confirmation page). ``None``: the order has no payment at all (400 ``not_cod``).
    ``order``: the payment's order when the caller holds it (locked), else it is read. An order already paid
    online is 400 ``order_paid``: taking the cash too would be an over-payment."""
    if payment is None or payment.provider != "cod":
        raise ApplicationError("Only cash-on-delivery payments are collected by hand; this order has none.",
                               code="not_cod")
    if payment.status not in Payment.CAPTURED and (order or payment.order).was_paid:
        raise ApplicationError("This order is already paid; the cash must not be taken.", code="order_paid")
    if payment.status not in Payment.ACTIVE:
        if payment.status in Payment.CAPTURED:
            message = f"This cash-on-delivery payment {_status_phrase(payment)}: the cash was collected before."
        else:
            message = f"This cash-on-delivery payment {_status_phrase(payment)}: there is no cash to collect."
        raise ApplicationError(message, code="not_collectable")


def payment_collect(*, payment_id: int, user) -> Payment:
    """Staff record cash collected on delivery: the payment succeeds and the order counts as paid."""
    with transaction.atomic():
        order, payment = _payment_lock(payment_id)
        payment_collect_check(payment, order=order)
        _apply(order, payment, ProviderPayment(provider_payment_id=payment.provider_payment_id,
                                               status=PaymentStatus.SUCCEEDED, amount=payment.amount,
                                               currency=payment.currency))
    return payment


def payment_sandbox_outcome(*, payment_id: int, user, succeed: bool) -> str:
    """The sandbox's 'customer paid / card declined' button, through the same path as a verified webhook.

    ``user``: the caller, limited to their own payments (staff: any); ``None`` when the caller was authorised
    otherwise (the hosted page's signed token, bound to this payment). Returns the webhook outcome.
    """
    from .sandbox import SandboxProvider

    payment = Payment.objects.filter(pk=payment_id, provider="sandbox").first()
    if payment is None or (user is not None and not user.is_staff and payment.user_id != user.pk):
        raise NotFound("Payment not found.")
    provider = provider_get("sandbox")
    assert isinstance(provider, SandboxProvider)
    if not payment.provider_payment_id:
        raise ApplicationError("This payment was never opened.", code="not_started")
    if payment.status not in Payment.ACTIVE:
        # A real gateway cannot decline a charge it already took (or one that was closed) either.
        raise ApplicationError(f"This payment {_status_phrase(payment)}; only an open sandbox payment can succeed "
                               "or fail.",
                               code="not_open")
    event = _gateway_call(
        provider, provider.set_outcome, payment.provider_payment_id,
        status=PaymentStatus.SUCCEEDED if succeed else PaymentStatus.FAILED,
    )
    return webhook_process(provider_name="sandbox", event=event)


# --- Payment method settings (staff) ------------------------------------------------------------------------------

@transaction.atomic
def payment_method_setting_save(*, number: int, data: dict) -> PaymentMethodSetting:
    """Staff switch a registry method on or off, rename it, or limit it (``data``: any of ``is_active``, ``name``,
    ``min_order_total``, ``max_order_total`` (Decimal or None), ``currencies`` (list of ISO 4217 codes)).

    404 for a number the registry does not know; 400 naming the field when the limits do not validate, and
    400 ``unsupported_currency`` naming ``currencies`` (with the provider's list) for a currency the provider
    itself does not take (``PaymentMethod.currencies`` in the registry; empty = any).
    """
    from .methods import BY_NUMBER

    method = BY_NUMBER.get(number)
    if method is None:
        raise NotFound("Payment method not found.")
    PaymentMethodSetting.objects.get_or_create(pk=number, defaults={"code": method.id})
    setting = PaymentMethodSetting.objects.select_for_update().get(pk=number)
    for field in ("is_active", "name", "min_order_total", "max_order_total"):
        if field in data:
            setattr(setting, field, data[field])
    if "currencies" in data:
        codes = [code.upper() for code in data["currencies"]]
        unsupported = [code for code in codes if method.currencies and code not in method.currencies]
        if unsupported:
            message = (f"{method.name} does not take {', '.join(unsupported)}; it takes "
                       f"{', '.join(method.currencies)}.")
            raise ApplicationError(message, code="unsupported_currency", extra={"errors": {"currencies": [message]}})
        setting.currencies = ",".join(codes)
    setting.full_clean()
    setting.save()
    return setting
