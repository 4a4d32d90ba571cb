"""Starting a payment: reserve the attempt under the order lock, call the gateway outside any transaction,
then record its answer (each step consistent alone)."""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from shop.core.exceptions import ApplicationError, NotFound, ServiceUnavailable
from shop.core.idempotency import idempotency_key_reused, request_in_progress
from shop.core.links import public_base_url
from shop.orders.errors import OrderErrorCode
from shop.orders.locks import order_lock
from shop.orders.models import Order
from shop.orders.services import order_created_announce
from shop.payments.methods import PaymentMethod, default_method, method_offered, method_refused

from ..errors import PaymentErrorCode
from ..gateways import offered_provider_get
from ..locks import order_active_payments_lock, order_payments_lock, payment_lock_with_order
from ..models import Payment, PaymentKey
from ..providers.base import (
    Customer,
    LineItem,
    PaymentProvider,
    PaymentRequest,
)
from ..return_urls import return_url_for_order
from ..transitions import payment_status_set_locked
from ._shared import PAYABLE_ORDER_STATUSES, _gateway_call
from .cancel import _attempt_close_locked

logger = logging.getLogger(__name__)

# --- Starting a payment ---------------------------------------------------------------------------------------

def _payment_request(payment: Payment, order: Order, *, return_url: str, base_url: str) -> PaymentRequest:
    address = getattr(order, "shipping_address", None)
    user = order.user
    # A guest's order has no user: the e-mail it keeps, the name on its shipping address.
    first_name, _, last_name = (getattr(address, "full_name", "") or "").partition(" ")
    if user is not None:
        first_name, last_name = user.first_name, user.last_name
    return PaymentRequest(
        reference=f"pay_{payment.pk}",
        order_id=order.pk,
        amount=payment.amount,
        currency=payment.currency,
        customer=Customer(
            email=user.email if user is not None else order.email, first_name=first_name, last_name=last_name,
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


OPENING_ELSEWHERE = ("Another request is opening this order's payment with the payment gateway right now. Nothing was "
                     "done for this one; send the same request again in a few seconds.")


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
        if existing.awaits_gateway():
            raise request_in_progress() from None  # that request is still opening it (see the locked path)
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
        existing = _attempt_for_key(idempotency_key, order_id=order.pk, provider=provider,
                                    currency=currency) if idempotency_key else None
        if existing is not None and existing.provider_payment_id:
            # A request answered before, sent again: the attempt it opened, as it stands now (paid, failed,
            # cancelled), whatever the order has become since, as an idempotent retry must answer; the answer
            # shows no way to pay an attempt that is no longer open. One never opened at the gateway is tried
            # again below, only if the order can still be paid.
            return existing
        if existing is not None and existing.awaits_gateway():
            # The request that reserved it is still waiting on the gateway: its answer is not known yet, and
            # opening the attempt again would make a second checkout at the gateway.
            raise request_in_progress()
        if order.status not in PAYABLE_ORDER_STATUSES:
            raise ApplicationError(
                f"Order {order.pk} is {order.status}; only pending or processing orders can be paid.",
                code=PaymentErrorCode.ORDER_NOT_PAYABLE,
            )
        if order.was_paid:  # a partial refund does not open the order to a second payment
            raise ApplicationError("This order is already paid.", code=OrderErrorCode.ORDER_PAID)
        refusal = method.refusal(total=order.total, currency=currency)
        if refusal:
            raise method_refused(refusal)
        if existing is not None:
            return existing
        if not method.is_online and order.payment_method not in ("", method.id):
            # Switching a placed online order to cash on delivery would keep its payment deadline (the expiry
            # sweep would cancel it) and let it ship unpaid under its old method: refused, documented.
            raise ApplicationError(
                f"This order is paid by {order.payment_method}; {method.name} can only be chosen at checkout.",
                code=PaymentErrorCode.METHOD_SWITCH_REFUSED,
                extra={"errors": {"payment_method": [f"Choose {order.payment_method} or another online method."]}})
        if not method.is_online and order.payment_method == "":
            # Placed without a method (DEFAULT_PAYMENT_METHOD=none): choosing cash on delivery now makes it a
            # cash order, with no payment deadline, under this lock.
            order.payment_method, order.payment_deadline = method.id, None
            order.save(update_fields=["payment_method", "payment_deadline", "updated_at"])
        open_attempts = order_payments_lock(order=order, provider=provider, status=Payment.Status.PENDING,
                                            amount=order.total, currency=currency)
        if open_attempts:
            attempt = open_attempts[-1]  # the latest
            if attempt.awaits_gateway():
                # Another request (the checkout's, or another create-intent) is opening it right now: never a second
                # gateway checkout for one attempt (both would be answered, the customer could pay either).
                raise request_in_progress(OPENING_ELSEWHERE)
            if idempotency_key:
                # This key now names that attempt: sent again after it succeeded, failed or was cancelled, it
                # answers the same attempt, as a retry must, never a new one (a fresh-eyes tester's retry after a
                # failed payment opened a second attempt). A key saved meanwhile for another order's request under
                # that order's lock is the IntegrityError _reserve_attempt replays or refuses.
                PaymentKey.objects.create(key=idempotency_key, payment=attempt)
            return attempt
        if reopen_id is not None:
            failed = order_payments_lock(order=order, pk=reopen_id, status=Payment.Status.FAILED, amount=order.total)
            if failed:
                reopened = failed[0]
                # The failure message stays: the last try's outcome.
                payment_status_set_locked(reopened, to=Payment.Status.PENDING)
                reopened.save(update_fields=["status", "updated_at"])
                _attempt_opened_locked(order, reopened, method)
                return reopened
        payment = Payment(
            order=order, user_id=order.user_id, provider=provider, amount=order.total, currency=currency,
            idempotency_key=idempotency_key or f"order-{order.pk}-{uuid.uuid4().hex}",
        )
        # Field validation only, as order_create does: the order and its user come from the row locked above,
        # and the database enforces the unique keys and the amount checks race-free. The full version cost 12
        # statements of a checkout's 48 (a SELECT per foreign key and unique field, and a SAVEPOINT + SELECT +
        # RELEASE per check constraint): bench/README.md, "Profiling".
        payment.full_clean(exclude=["order", "user"], validate_unique=False, validate_constraints=False)
        payment.save()
        if idempotency_key:
            # Recorded beside the bound keys too, so one unique index covers every key: the same key sent at the
            # same moment for another order, which finds an attempt open and binds the key to it, is refused by
            # it (one key never names two attempts), not only by this row's own unique column.
            PaymentKey.objects.create(key=idempotency_key, payment=payment)
        return payment


def _attempt_for_key(idempotency_key: str, *, order_id: int, provider: str, currency: str) -> Payment | None:
    """The attempt already recorded under ``idempotency_key``, or None. The attempt row holds the whole request
    (order, provider, currency), so it is its own fingerprint: a key reused for a different request is the 422
    ``idempotency_key_reused`` (shop/core/idempotency.py), never another request's payment."""
    # The key is an attempt's own, or one bound to an attempt it found open (PaymentKey): one query either way.
    # (Attempts recorded before PaymentKey existed have their key only in their own column.)
    existing = Payment.objects.filter(Q(idempotency_key=idempotency_key) | Q(
        pk__in=PaymentKey.objects.filter(key=idempotency_key).values("payment_id"))).first()
    if existing is not None and (existing.order_id, existing.provider, existing.currency) != (
            order_id, provider, currency):
        raise idempotency_key_reused()
    return existing


def payment_reserve_for_checkout(*, order: Order, method: PaymentMethod, idempotency_key: str) -> Payment:
    """The attempt a new order pays with, reserved inside the checkout's own transaction (``order_create``'s
    ``placed``), which inserted the order a moment before: no other attempt can exist for it, the checkout has
    just checked ``method``'s limits against its total, and the database enforces the unique key. Spares
    ``payment_start`` its own transaction (order lock, key and open-attempt lookups) for a checkout; hand the
    answer to ``payment_start(reserved=...)`` once the checkout has committed."""
    payment = Payment(order=order, user_id=order.user_id, provider=offered_provider_get(method.provider).identifier,
                      amount=order.total, currency=settings.SHOP_CURRENCY.upper(), idempotency_key=idempotency_key)
    payment.full_clean(exclude=["order", "user"], validate_unique=False, validate_constraints=False)
    payment.save()
    return payment


def payment_start(*, order_id: int, user, method_id: str, currency: str | None = None,
                  idempotency_key: str = "", client_idempotency_key: str = "", return_url: str = "",
                  base_url: str = "", announce_order: bool = False, method: PaymentMethod | None = None,
                  reserved: Payment | None = None) -> Payment:
    """Open a payment attempt for the order with the method named by ``method_id`` (code or number).

    Every new gateway checkout is a new ``Payment`` row; an open attempt, or a failed one whose gateway object
    can take a new try (``PaymentProvider.reusable_after_failure``), is answered instead. 400 naming
    ``payment_method`` if it names no method (``invalid_payment_method``), or one not offered or whose limits
    refuse the order (``method_unavailable``), as checkout answers; 503 (nothing changed but the attempt's
    recorded failure) if the gateway is down, refuses to answer usefully, or answers a payment id another payment
    already holds.

    ``idempotency_key`` is one of ours (e.g. ``checkout-<order_key>``); ``client_idempotency_key`` is one the
    API caller chose, scoped to ``user`` (two customers' keys never meet, and never meet ours). The same key
    again with the same order, method and currency returns the same attempt; with anything else it raises
    ApplicationError 422 ``idempotency_key_reused``.

    ``return_url``: where a hosted page sends the customer back (already checked by ``return_url_check``;
    ``""``: ``PAYMENT_RETURN_URL``). ``base_url``: this API's public base as the customer reached it
    (``shop.core.links.public_base_url(request)``; ``""``: the configured one), for webhook URLs and the sandbox
    page. An open attempt is reused as it was opened (its checkout URL and return URL unchanged).

    ``method``: the method ``method_id`` names, when the caller has looked it up already in this request.
    ``reserved``: the attempt ``payment_reserve_for_checkout`` reserved for a new order in the checkout's committed
    transaction (with its order loaded): it is opened at the gateway without being looked up again.
    """
    if client_idempotency_key:
        idempotency_key = f"client-{user.pk if user is not None else 'staff'}-{client_idempotency_key}"
    if not method_id:
        method_id = _method_of_order(order_id=order_id, user=user)
    if method is None:
        method = method_offered(method_id)  # 400 invalid_payment_method or method_unavailable, as checkout's
    provider = offered_provider_get(method.provider)
    currency = (currency or settings.SHOP_CURRENCY).upper()
    if currency != settings.SHOP_CURRENCY:
        raise ApplicationError(f"Orders are priced in {settings.SHOP_CURRENCY}; pay in that currency.",
                               code=PaymentErrorCode.CURRENCY_MISMATCH)
    if not provider.supports_currency(currency):
        raise ApplicationError(f"{provider.display_name} does not accept {currency}.",
                               code=PaymentErrorCode.UNSUPPORTED_CURRENCY)
    if reserved is not None:
        payment, order = reserved, reserved.order  # the checkout's new order, its items and address loaded
    else:
        payment = _reserve_attempt(
            order_id=order_id, user=user, provider=provider.identifier, currency=currency,
            idempotency_key=idempotency_key, method=method,
            reopen_id=None if idempotency_key else _reopenable(provider, order_id, user, currency))
        if payment.provider_payment_id:
            # Opened at the gateway already: the open attempt (the client reuses its client_secret / checkout_url),
            # a reopened one, or the attempt an idempotency key names, answered as it is.
            return payment
        order = (Order.objects.select_related("user", "shipping_address").prefetch_related("items")
                 .get(pk=payment.order_id))
    try:
        gateway_request = _payment_request(payment, order, return_url=return_url,
                                           base_url=(base_url or public_base_url()).rstrip("/"))
        result = _gateway_call(provider, provider.create_payment, gateway_request)
    except ApplicationError as exc:
        # The customer's words (``_gateway_call``): failure_message is shown on the order; the gateway's own words
        # were logged.
        _attempt_fail(payment_id=payment.pk, message=exc.message)
        raise
    try:
        with transaction.atomic():
            order, payment = payment_lock_with_order(payment_id=payment.pk, order_id=payment.order_id)
            payment.provider_payment_id = result.provider_payment_id
            payment.provider_invoice_id = result.provider_invoice_id
            payment.client_secret = result.client_secret
            payment.checkout_url = result.checkout_url
            payment_status_set_locked(payment, to=Payment.Status.PENDING)
            payment.failure_message = ""
            payment.save()
            _attempt_opened_locked(order, payment, method)
            if announce_order:  # a checkout's order is announced once its payment has opened
                order_created_announce(order)
    except IntegrityError:
        # The gateway answered an id another payment of ours already holds (a misbehaving or replayed gateway).
        # Never attach one gateway payment to two of ours: this attempt fails like any other gateway failure.
        logger.error("%s answered payment id %s, which payment %s cannot take: already held by another payment",
                     provider.display_name, result.provider_payment_id, payment.pk)
        message = (f"{provider.display_name} gave an answer we could not use. Nothing was charged; please try "
                   "again in a few minutes.")
        _attempt_fail(payment_id=payment.pk, message=message)
        raise ServiceUnavailable(message, code=PaymentErrorCode.GATEWAY_BAD_RESPONSE) from None
    return payment


def _attempt_fail(*, payment_id: int, message: str) -> None:
    """The gateway could not open the attempt: it fails with ``message``, under the order -> payment locks."""
    with transaction.atomic():
        _order, payment = payment_lock_with_order(payment_id=payment_id)
        payment_status_set_locked(payment, to=Payment.Status.FAILED)
        payment.failure_message = message[:500]
        payment.save(update_fields=["status", "failure_message", "updated_at"])


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
        raise ApplicationError("Choose a payment method for this order.", code=PaymentErrorCode.PAYMENT_METHOD_REQUIRED,
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
    for other in order_active_payments_lock(order=order):
        if other.pk != payment.pk:
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


