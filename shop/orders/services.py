"""Order writes: checkout, the status pipeline, cancellation, expiry, shipments.

Lock order (see ``locks.py``): cart -> stock rows -> order -> payment. Stock only moves through
``shop.catalog.stock``.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from shop.accounts.models import Address
from shop.cart.locks import cart_lock
from shop.cart.models import CartItem
from shop.cart.services import cart_clear, purchasable_resolve
from shop.catalog.models import Product, ProductVariant
from shop.catalog.stock import StockLine, stock_deduct, stock_restore
from shop.core.exceptions import ApplicationError, NotFound
from shop.core.idempotency import check_replay, request_fingerprint
from shop.core.metrics import record_checkout
from shop.core.tasks import enqueue_on_commit
from shop.discounts.calculation import DiscountLine
from shop.discounts.selectors import discounts_evaluate
from shop.discounts.services import order_discounts_apply, order_voucher_code, redemption_release
from shop.payments.methods import default_method, method_get

from .locks import order_lock
from .models import (
    Order,
    OrderAddress,
    OrderItem,
    OrderStatusChange,
    Shipment,
    ShipmentEvent,
    ShippingMethod,
)
from .policy import Action, order_action_check, order_fulfilment_check
from .transitions import CANCELLABLE, ORDER_STATUS_OF_TRACKING, TRACKING_WITHOUT_ORDER_MOVE, can_transition

logger = logging.getLogger(__name__)
CENT = Decimal("0.01")
MAX_ORDER_TOTAL = Decimal("1e10")  # the money columns hold 12 digits, 2 of them decimals
ADDRESS_FIELDS = ("full_name", "phone", "email", "address_line_1", "address_line_2", "city", "state", "postal_code",
                  "country")


@dataclass(frozen=True)
class LineRequest:
    """One line of a direct order: a product or a variant (or both, when they must match) and a quantity."""

    quantity: int
    product_id: int | None = None
    variant_id: int | None = None


@dataclass(frozen=True)
class _Line:
    product: Product
    variant: ProductVariant | None
    quantity: int
    unit_price: Decimal


def _notify(order: Order, kind: str) -> None:
    from .tasks import send_order_email

    enqueue_on_commit(send_order_email, order.pk, kind)


def _cancel_active_payments(order: Order) -> None:
    """Hook for the payments app: cancel every active payment of ``order`` (no payment outlives its order).

    Called with the order row locked, inside the cancelling transaction, after stock is restored and the order
    is marked cancelled (lock order: ... -> order -> payment).
    """
    from shop.payments.services import payments_cancel_for_order

    payments_cancel_for_order(order)


def _record_status(order: Order, *, from_status: str, to_status: str, by=None, reason: str = "", note: str = ""):
    OrderStatusChange.objects.create(order=order, from_status=from_status, to_status=to_status, changed_by=by,
                                     reason=reason, note=note[:500])


def _shipment_event(shipment: Shipment, *, status: str, message: str, location: str = "",
                    occurred_at: datetime | None = None) -> ShipmentEvent:
    occurred_at = occurred_at or timezone.now()
    event = ShipmentEvent(shipment=shipment, status=status, message=message, location=location,
                          occurred_at=occurred_at)
    event.full_clean(exclude=["shipment"])
    event.save()
    shipment.status = status
    fields = ["status", "updated_at"]
    if status == Shipment.Status.DELIVERED and shipment.delivered_at is None:
        shipment.delivered_at = occurred_at
        fields.append("delivered_at")
    shipment.save(update_fields=fields)
    return event


# --- Checkout -------------------------------------------------------------------------------------------------

def _payment_method_resolve(payment_method: str | None):
    if not payment_method:
        return None
    method = method_get(payment_method)
    if method is None:
        raise ApplicationError(f"Payment method '{payment_method}' is not available.", code="invalid_payment_method",
                               extra={"errors": {"payment_method": ["Unknown or disabled payment method."]}})
    return method


def _shipping_method_resolve(shipping_method_id: int | None) -> ShippingMethod | None:
    if shipping_method_id is None:
        return None
    method = ShippingMethod.objects.filter(pk=shipping_method_id, is_active=True).first()
    if method is None:
        raise ApplicationError(f"Shipping method {shipping_method_id} is not available.",
                               code="invalid_shipping_method",
                               extra={"errors": {"shipping_method": ["Unknown or inactive shipping method."]}})
    return method


def _address_snapshot(*, user, shipping_address, address_field: str = "shipping_address") -> dict | None:
    """Copy the address out of whatever the client sent: free text, an address-book id, or an inline object.
    ``address_field``: the request field that carried it (``address`` for the checkout-alias clients), which an
    error names."""
    if shipping_address is None or shipping_address == "":
        return None
    if isinstance(shipping_address, str):
        return {"address_line_1": shipping_address.strip()}
    if isinstance(shipping_address, int):
        address = Address.objects.filter(pk=shipping_address, user=user).first()
        if address is None:
            raise ApplicationError("Address not found in your address book.", code="address_not_found",
                                   extra={"errors": {address_field: ["Address not found."]}})
        return {"source_address_id": address.pk, **{field: getattr(address, field) for field in ADDRESS_FIELDS}}
    return {field: shipping_address.get(field, "") or "" for field in ADDRESS_FIELDS}


def _cart_lines(cart) -> list[_Line]:
    items = list(CartItem.objects.filter(cart=cart).select_related("product", "variant").order_by("id"))
    if not items:
        raise ApplicationError("Your cart is empty.", code="cart_empty")
    # A product may have gained variants since it was put in the cart: it must now be bought as one of them.
    plain = {item.product_id for item in items if item.variant_id is None}
    with_variants = set(ProductVariant.objects.filter(product_id__in=plain).values_list("product_id", flat=True))
    for item in items:
        if item.variant_id is None and item.product_id in with_variants:
            raise ApplicationError(f"'{item.product.name}' now comes in variants: choose one in your cart.",
                                   code="variant_required")
    return [_Line(item.product, item.variant, item.quantity, item.price_snapshot) for item in items]


def _direct_lines(lines: list[LineRequest]) -> list[_Line]:
    if not lines:
        raise ApplicationError("An order needs at least one item.", code="items_required")
    resolved = []
    for line in lines:
        product, variant = purchasable_resolve(product_id=line.product_id, variant_id=line.variant_id)
        price = variant.price if variant is not None else product.price
        resolved.append(_Line(product, variant, line.quantity, price))
    return resolved


def _order_for_key(*, user, idempotency_key: str, fingerprint: str) -> Order | None:
    """This user's earlier order under ``idempotency_key`` (keys are per user), or None. Raises the 422
    ``idempotency_key_reused`` when that order was placed by a different request."""
    existing = Order.objects.filter(user=user, idempotency_key=idempotency_key).first()
    if existing is not None:
        check_replay(stored_fingerprint=existing.idempotency_fingerprint, fingerprint=fingerprint)
    return existing


def order_checkout(
    *,
    user,
    lines: list[LineRequest] | None = None,
    shipping_address: str | int | dict | None = None,
    shipping_method_id: int | None = None,
    payment_method: str | None = None,
    notes: str = "",
    expected_total: Decimal | None = None,
    idempotency_key: str | None = None,
    address_field: str = "shipping_address",
    voucher: str | None = None,
) -> tuple[Order, bool]:
    """Place an order from the cart (``lines=None``) or from ``lines`` (a direct order; the cart is untouched).

    One transaction: lock the cart, take stock, write the order, its items, address snapshot, shipment and
    history, empty the cart. Any refusal rolls all of it back. Returns ``(order, created)``; with an
    ``idempotency_key`` already used by this user for the same request it returns that earlier order and
    ``created=False``; used for a different request (other lines, address, method, notes...) it raises
    ApplicationError 422 ``idempotency_key_reused`` and changes nothing. "The same request" is the same
    arguments to this function, whichever endpoint or spelling carried them; a cart checkout's request is its
    arguments, not the cart's contents (a retry finds the cart already emptied). ``address_field`` is only the
    name errors give the address (the field the client sent it in).

    ``voucher``: a voucher code for this order (a cart checkout without one uses the cart's code, if any). Sales
    and the voucher are taken off the total, and the voucher's use is reserved in this transaction
    (``shop.discounts.services.order_discounts_apply``): a code that cannot be used is a 400 with its refusal code
    naming ``voucher`` that changes nothing (the cart keeps its lines and code).
    """
    fingerprint = ""
    if idempotency_key:
        arguments = {
            "lines": lines, "shipping_address": shipping_address, "shipping_method_id": shipping_method_id,
            "payment_method": payment_method or None, "notes": notes, "expected_total": expected_total,
        }
        if voucher:  # only when given, so the fingerprints of requests without one stay what they were
            arguments["voucher"] = voucher.strip().lower()
        fingerprint = request_fingerprint("order_checkout", arguments)
        existing = _order_for_key(user=user, idempotency_key=idempotency_key, fingerprint=fingerprint)
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            return _checkout(user=user, lines=lines, shipping_address=shipping_address,
                             shipping_method_id=shipping_method_id, payment_method=payment_method, notes=notes,
                             expected_total=expected_total, idempotency_key=idempotency_key,
                             fingerprint=fingerprint, address_field=address_field, voucher=voucher)
    except IntegrityError:
        # Two requests with the same key got past the lookup: the unique constraint let one order through.
        if idempotency_key:
            existing = _order_for_key(user=user, idempotency_key=idempotency_key, fingerprint=fingerprint)
            if existing is not None:
                return existing, False
        raise


def _checkout(*, user, lines, shipping_address, shipping_method_id, payment_method, notes, expected_total,
              idempotency_key, fingerprint, address_field="shipping_address", voucher=None) -> tuple[Order, bool]:
    # The cart lock serialises one user's checkouts (cart or direct), so the key check below is race-free.
    cart = cart_lock(user=user)
    if idempotency_key:
        existing = _order_for_key(user=user, idempotency_key=idempotency_key, fingerprint=fingerprint)
        if existing is not None:
            return existing, False
    method = _payment_method_resolve(payment_method)
    shipping = _shipping_method_resolve(shipping_method_id)
    address = _address_snapshot(user=user, shipping_address=shipping_address, address_field=address_field)
    from_cart = lines is None
    resolved = _cart_lines(cart) if from_cart else _direct_lines(lines)

    subtotal = sum((line.unit_price * line.quantity for line in resolved), Decimal("0")).quantize(CENT)
    shipping_fee = shipping.fee_for(subtotal) if shipping else Decimal("0.00")
    discounts = discounts_evaluate(
        lines=[DiscountLine(key=index, product_id=line.product.pk, variant_id=line.variant.pk if line.variant else None,
                            category_id=line.product.category_id, unit_price=line.unit_price, quantity=line.quantity)
               for index, line in enumerate(resolved)],
        code=voucher if voucher else (cart.voucher_code if from_cart else None), email=user.email,
        shipping_price=shipping_fee if shipping else None, at_checkout=True,
    )
    total = (subtotal + shipping_fee - discounts.discounts.total).quantize(CENT)
    if total >= MAX_ORDER_TOTAL:
        raise ApplicationError("This order is too large to place in one go.", code="order_too_large")
    refusal = method.refusal(total=total, currency=settings.SHOP_CURRENCY) if method else None
    if refusal:
        raise ApplicationError(refusal, code="invalid_payment_method",
                               extra={"errors": {"payment_method": [refusal]}})
    if expected_total is not None and expected_total.quantize(CENT) != total:
        raise ApplicationError(f"The order total is {total}, not {expected_total}: review your cart and retry.",
                               code="total_mismatch", extra={"total": str(total)})

    # Stock before any write (every line is validated before anything changes): a losing checkout in a rush for a hot
    # product fails here, cheaply. Measured against taking stock last (shorter hot-row lock): no difference
    # visible on the shared bench machine, so the simpler, fail-fast order stays (bench/README.md).
    stock_deduct(lines=[StockLine(line.product.pk, line.quantity, line.variant.pk if line.variant else None)
                        for line in resolved])

    now = timezone.now()
    needs_online_payment = method is None or method.is_online
    # Written straight as processing (checkout moves pending -> processing; the history shows both).
    order = Order(
        user=user, status=Order.Status.PROCESSING, subtotal=subtotal, shipping_fee=shipping_fee, total=total,
        shipping_method=shipping, notes=notes, payment_method=method.id if method else "",
        payment_deadline=now + timedelta(minutes=settings.ORDER_PAYMENT_TIMEOUT_MINUTES)
        if needs_online_payment else None,
        idempotency_key=idempotency_key or "", idempotency_fingerprint=fingerprint,
    )
    order.full_clean(validate_unique=False, validate_constraints=False)  # the database enforces those, race-free
    order.save()
    OrderItem.objects.bulk_create([
        OrderItem(
            order=order, product=line.product, variant=line.variant, product_name=line.product.name,
            variant_description=line.variant.name if line.variant else "",
            sku=line.variant.sku if line.variant else "", barcode=line.variant.barcode if line.variant else "",
            quantity=line.quantity, unit_price=line.unit_price, line_total=(line.unit_price * line.quantity),
            created_at=now,
        )
        for line in resolved
    ])
    # The voucher's use is reserved here, after the order row exists (a guarded UPDATE on its counters); no use
    # left raises, and the whole checkout rolls back. Cash on delivery consumes it at once.
    order_discounts_apply(order=order, evaluation=discounts, email=user.email, consume=not needs_online_payment)
    if address is not None:
        snapshot = OrderAddress(order=order, **address)
        snapshot.full_clean(exclude=["order"])
        snapshot.save()
    shipment = Shipment.objects.create(order=order, status=Shipment.Status.ORDER_PLACED)
    ShipmentEvent.objects.create(shipment=shipment, status=Shipment.Status.ORDER_PLACED, message="Order placed",
                                 occurred_at=now)
    OrderStatusChange.objects.bulk_create([
        OrderStatusChange(order=order, from_status="", to_status=Order.Status.PENDING, changed_by=user,
                          reason="created", created_at=now),
        OrderStatusChange(order=order, from_status=Order.Status.PENDING, to_status=Order.Status.PROCESSING,
                          changed_by=user, reason="checkout", created_at=now),
    ])
    if from_cart:
        CartItem.objects.filter(cart=cart).delete()
        if cart.voucher_code:
            cart.voucher_code = ""
            cart.save(update_fields=["voucher_code", "updated_at"])
    _notify(order, "confirmation")
    return order, True


# --- Status pipeline, cancellation, expiry ----------------------------------------------------------------------

def _restock_lines(order: Order) -> list[StockLine]:
    lines = []
    for item in order.items.all():
        if item.product_id is None or (item.sku and item.variant_id is None):
            continue  # the product or variant row is gone: there is nothing left to put the units back on
        lines.append(StockLine(item.product_id, item.quantity, item.variant_id))
    return lines


def _cancel_locked(order: Order, *, by, reason: str, note: str = "") -> None:
    """Cancel an order whose row the caller holds locked and whose status it checked under that lock."""
    previous = order.status
    lines = _restock_lines(order)
    if lines:
        stock_restore(lines=lines)
    now = timezone.now()
    order.status = Order.Status.CANCELLED
    order.cancel_reason = reason
    order.cancelled_at = now
    order.save(update_fields=["status", "cancel_reason", "cancelled_at", "updated_at"])
    _record_status(order, from_status=previous, to_status=Order.Status.CANCELLED, by=by, reason=reason, note=note)
    shipment = Shipment.objects.filter(order=order).first()
    if shipment is not None:
        _shipment_event(shipment, status=Shipment.Status.CANCELLED, message="Order cancelled", occurred_at=now)
    redemption_release(order_id=order.pk)  # its voucher use goes back, once (lock order: order -> stock -> voucher)
    _cancel_active_payments(order)
    if reason != Order.CancelReason.PAYMENT_UNAVAILABLE:  # an undone checkout: the client was told at once
        _notify(order, "expired" if reason == Order.CancelReason.EXPIRED else "cancelled")


@transaction.atomic
def order_cancel(*, order_id: int, by, owner=None, reason: str = Order.CancelReason.CUSTOMER, note: str = "") -> Order:
    """Cancel a pending or processing order and put its stock back, exactly once.

    ``owner`` restricts the lookup to that user's orders (404 otherwise). Who may cancel is the policy's
    (``policy.py``, asked for ``by``): customers cannot cancel an order that was paid (400 ``order_paid``, also
    after a partial refund) — staff can, and the payments hook refunds what was kept.
    """
    filters = {"user": owner} if owner is not None else {}
    order = order_lock(order_id=order_id, **filters)
    if order is None:
        raise NotFound("Order not found.")
    order_action_check(actor=by, order=order, action=Action.CANCEL)
    _cancel_locked(order, by=by, reason=reason, note=note)
    return order


@transaction.atomic
def order_set_status(*, order_id: int, status: str, by, note: str = "") -> Order:
    """Staff moves an order along the pipeline; anything outside ``ALLOWED_TRANSITIONS`` is refused.

    Raises ``ApplicationError`` (``invalid_status``, ``invalid_transition``) or ``NotFound``. Shipping and
    delivering also record the matching tracking event on the shipment (delivering stamps ``delivered_at``).
    Cancelling asks the cancel policy (400 ``not_cancellable`` past processing, as every cancel endpoint
    answers); shipping or delivering an order still waiting for its online payment is 400 ``order_not_paid``
    (``policy.order_fulfilment_check``), whichever path moves it (this endpoint, a tracking event, the admin).
    """
    if status not in Order.Status.values:
        raise ApplicationError(f"'{status}' is not an order status.", code="invalid_status",
                               extra={"errors": {"status": [f"Choose one of {', '.join(Order.Status.values)}."]}})
    order = order_lock(order_id=order_id)
    if order is None:
        raise NotFound("Order not found.")
    _set_status_locked(order, status=status, by=by, note=note)
    return order


def _set_status_locked(order: Order, *, status: str, by, note: str = "", event: dict | None = None) -> None:
    """Move a locked order to ``status`` if the pipeline allows it. ``event``: the tracking event to record
    (status, message, location, occurred_at); by default one saying "Order shipped" / "Order delivered"."""
    if status == Order.Status.CANCELLED:
        order_action_check(actor=by, order=order, action=Action.CANCEL)
    if not can_transition(order.status, status):
        raise ApplicationError(f"Cannot change an order from {order.status} to {status}.", code="invalid_transition")
    if status == Order.Status.CANCELLED:
        _cancel_locked(order, by=by, reason=Order.CancelReason.STAFF, note=note)
        return
    if status in (Order.Status.SHIPPED, Order.Status.DELIVERED):
        order_fulfilment_check(order=order, goods_left=status == Order.Status.DELIVERED)
    previous = order.status
    order.status = status
    order.save(update_fields=["status", "updated_at"])
    _record_status(order, from_status=previous, to_status=status, by=by, reason="staff", note=note)
    shipment = Shipment.objects.filter(order=order).first()
    if shipment is not None and status in (Order.Status.SHIPPED, Order.Status.DELIVERED):
        if event is None:
            shipment_status = Shipment.Status.SHIPPED if status == Order.Status.SHIPPED else Shipment.Status.DELIVERED
            event = {"status": shipment_status, "message": f"Order {status}"}
        _shipment_event(shipment, **event)
    if status in (Order.Status.SHIPPED, Order.Status.DELIVERED):
        _notify(order, status)


@transaction.atomic
def order_ship(*, order_id: int, by, carrier: str = "", tracking_number: str = "", tracking_url: str = "",
               note: str = "") -> Order:
    """Ship a processing order with its tracking details, in one transaction: the same two services the staff
    API runs (``order_set_status`` to ``shipped``, then ``shipment_update``), so either both happen or neither.

    Raises what they raise: ``invalid_transition`` unless the order is processing, a validation error for a
    malformed tracking URL, ``NotFound``.
    """
    order = order_set_status(order_id=order_id, status=Order.Status.SHIPPED, by=by, note=note)
    details = {"carrier": carrier, "tracking_number": tracking_number, "tracking_url": tracking_url}
    shipment_update(order_id=order_id, data={field: value for field, value in details.items() if value})
    return order


def _expirable(order: Order, now: datetime) -> bool:
    """Open, past its deadline, and never paid: a paid order never expires, whatever was refunded since."""
    return (order.status in CANCELLABLE and not order.was_paid and order.payment_deadline is not None
            and order.payment_deadline <= now)


@transaction.atomic
def order_expire(*, order_id: int, now: datetime | None = None, skip_locked: bool = False) -> bool:
    """Cancel an unpaid order whose payment deadline has passed (reason ``expired``). True if it expired now.

    Everything is re-checked under the row lock: an order that was ever paid in full (``paid_at``; a partial
    or full refund does not clear it), a cancelled or a shipped order never expires.
    """
    now = now or timezone.now()
    order = order_lock(order_id=order_id, skip_locked=skip_locked)
    if order is None or not _expirable(order, now):
        return False
    _cancel_locked(order, by=None, reason=Order.CancelReason.EXPIRED, note="Not paid before the payment deadline.")
    return True


def expire_unpaid_orders(*, now: datetime | None = None, limit: int = 500) -> int:
    """Expire every overdue unpaid order, each in its own short transaction; orders busy elsewhere wait a round."""
    now = now or timezone.now()
    candidates = list(
        Order.objects.filter(status__in=CANCELLABLE, paid_at__isnull=True, payment_deadline__lte=now)
        .order_by("payment_deadline", "pk").values_list("pk", flat=True)[:limit]
    )
    return sum(order_expire(order_id=pk, now=now, skip_locked=True) for pk in candidates)


# --- Shipments ------------------------------------------------------------------------------------------------

def _shipment_lock(order_id: int) -> Shipment:
    order = order_lock(order_id=order_id)
    if order is None:
        raise NotFound("Order not found.")
    shipment = Shipment.objects.filter(order=order).first()
    if shipment is None:
        shipment = Shipment.objects.create(order=order)
    shipment.order = order  # the locked row, not a second read
    return shipment


@transaction.atomic
def shipment_update(*, order_id: int, data: dict) -> Shipment:
    """Staff set carrier, tracking number/url, estimated delivery (``data``: any of those four).

    Refused (``ApplicationError``, 400) for a cancelled order (``order_cancelled``: nothing ships, so it has no
    tracking). A delivered order's carrier, tracking number and URL may still be corrected (a typo the customer
    needs fixed to follow a return or claim), but not its estimated delivery (``order_delivered``: it arrived).
    """
    shipment = _shipment_lock(order_id)
    if shipment.order.status == Order.Status.CANCELLED:
        raise ApplicationError("The order is cancelled: its shipment gets no tracking details.",
                               code="order_cancelled")
    if shipment.order.status == Order.Status.DELIVERED and "estimated_delivery_at" in data:
        raise ApplicationError("The order is delivered: it has no estimated delivery any more.",
                               code="order_delivered",
                               extra={"errors": {"estimated_delivery_at": ["Not on a delivered order."]}})
    allowed = ("carrier", "tracking_number", "tracking_url", "estimated_delivery_at")
    for field in allowed:
        if field in data:
            setattr(shipment, field, data[field])
    shipment.full_clean(exclude=["order"])
    shipment.save()
    return shipment


def _tracking_refusal(order: Order, status: str) -> ApplicationError | None:
    """Why a tracking event with ``status`` cannot be recorded on ``order`` now, or None if it can."""
    if order.status == Order.Status.CANCELLED:
        return ApplicationError("The order is cancelled: its shipment cannot move.", code="order_cancelled")
    if order.status == Order.Status.DELIVERED:
        return ApplicationError("The order is delivered: its shipment cannot move.", code="order_delivered")
    label = Shipment.Status(status).label
    if status == Shipment.Status.CANCELLED:
        return ApplicationError("A shipment is cancelled by cancelling its order.", code="invalid_shipment_status",
                                extra={"errors": {"status": ["Cancel the order instead."]}})
    target = ORDER_STATUS_OF_TRACKING.get(status)
    if target is not None:
        if target == order.status or can_transition(order.status, target):
            return None
        return ApplicationError(
            f"'{label}' means the order is {target}, and an order cannot go from {order.status} to {target}.",
            code="invalid_transition", extra={"errors": {"status": [f"Not while the order is {order.status}."]}},
        )
    if order.status not in TRACKING_WITHOUT_ORDER_MOVE.get(status, frozenset()):
        return ApplicationError(f"The order is {order.status}: '{label}' would move its shipment backwards.",
                                code="invalid_shipment_status",
                                extra={"errors": {"status": [f"Not while the order is {order.status}."]}})
    return None


@transaction.atomic
def shipment_event_add(*, order_id: int, status: str, message: str = "", location: str = "",
                       occurred_at: datetime | None = None, by=None) -> ShipmentEvent:
    """Staff record a tracking event; the shipment takes its status, and the order follows through its pipeline.

    In transit, out for delivery or shipped on a processing order ships it; delivered on a shipped order delivers
    it (``delivered_at`` stamped, history row, customer email). ``message`` is shown to the customer with the event
    (empty: the status's label, e.g. "In transit"). Refused (``ApplicationError``) when the order's
    pipeline refuses that move, for a cancelled or delivered order, for a step backwards (packed after shipping)
    and for ``CANCELLED`` (cancel the order instead).
    """
    shipment = _shipment_lock(order_id)
    order = shipment.order
    if status not in Shipment.Status.values:
        raise ApplicationError(f"'{status}' is not a shipment status.", code="invalid_shipment_status",
                               extra={"errors": {"status": [f"Choose one of {', '.join(Shipment.Status.values)}."]}})
    refusal = _tracking_refusal(order, status)
    if refusal is not None:
        raise refusal
    note = message
    message = message or Shipment.Status(status).label  # customers read events: "In transit", never blank
    target = ORDER_STATUS_OF_TRACKING.get(status)
    if target is not None and target != order.status:
        _set_status_locked(order, status=target, by=by, note=note,
                           event={"status": status, "message": message, "location": location,
                                  "occurred_at": occurred_at})
        return shipment.events.order_by("-id").first()
    return _shipment_event(shipment, status=status, message=message, location=location, occurred_at=occurred_at)


# --- Shipping methods (staff) ---------------------------------------------------------------------------------

@transaction.atomic
def shipping_method_save(*, data: dict, method: ShippingMethod | None = None) -> ShippingMethod:
    method = method or ShippingMethod()
    for field in ("name", "price", "free_over", "is_active"):
        if field in data:
            setattr(method, field, data[field])
    method.full_clean()
    method.save()
    return method


@transaction.atomic
def shipping_method_deactivate(*, method: ShippingMethod) -> None:
    """Retire a method without deleting it: past orders still point at it."""
    method.is_active = False
    method.save(update_fields=["is_active", "updated_at"])


# --- For the payments app: the caller already holds the order row lock ----------------------------------------

def order_cancel_locked(order: Order, *, by, reason: str, note: str = "") -> None:
    """Cancel a locked pending/processing order (stock restored once); payments call this on cancel or refund."""
    if order.status not in CANCELLABLE:
        raise ApplicationError(f"Order cannot be cancelled: it is already {order.status}.", code="not_cancellable")
    _cancel_locked(order, by=by, reason=reason, note=note)


def order_refund_notify(order: Order, *, refund_id: int) -> None:
    """Tell the customer, after commit, what a refund gives back (``refund:<id>`` e-mail, sent once). For refunds
    that leave the order open; a refund that cancels it is told by the cancellation e-mail."""
    _notify(order, f"refund:{refund_id}")


def order_mark_processing_locked(order: Order, *, reason: str) -> None:
    """A payment succeeded on a pending order: move it on to processing (the payment webhook's transition)."""
    if order.status != Order.Status.PENDING:
        return
    order.status = Order.Status.PROCESSING
    order.save(update_fields=["status", "updated_at"])
    _record_status(order, from_status=Order.Status.PENDING, to_status=Order.Status.PROCESSING, reason=reason)


# --- Checkout that also starts the payment --------------------------------------------------------------------

def order_place(*, user, lines: list[LineRequest] | None = None, payment_method: str | None = None,
                return_url: str = "", base_url: str = "", **checkout):
    """Checkout, then open the payment with the chosen method. Returns ``(order, created, payment)``.

    ``payment_method`` is a method code or number; without one, the shop's default method is used
    (``shop.payments.methods.default_method``: ``DEFAULT_PAYMENT_METHOD``, else the first active method), and no
    payment is opened when there is none. A direct order (``lines``) also empties the user's cart once it is
    placed and its payment opened. ``return_url`` and ``base_url`` go to ``payment_start`` (where a hosted
    payment page sends the customer back; this API's public base as the customer reached it).

    The gateway is called after the order commits (no row lock is held across the network). If it cannot
    start the payment (down, 5xx, refused), the checkout is undone: the order is cancelled with its stock
    restored, the cart refilled as it was, and the error (503 or 400) goes to the client; the failed attempt
    stays recorded on the cancelled order.
    """
    from shop.payments.models import Payment
    from shop.payments.services import payment_start

    if not payment_method:
        default = default_method()
        payment_method = default.id if default else None
    try:
        order, created = order_checkout(user=user, lines=lines, payment_method=payment_method, **checkout)
    except ApplicationError as exc:
        record_checkout(exc.code)
        raise
    record_checkout("placed" if created else "replayed")
    if not created:
        payment = Payment.objects.filter(order=order).order_by("-id").first() if order.payment_method else None
        return order, created, payment
    payment = None
    if order.payment_method:
        try:
            payment = payment_start(order_id=order.pk, user=user, method_id=order.payment_method,
                                    idempotency_key=f"checkout-{order.order_key}", return_url=return_url,
                                    base_url=base_url)
        except ApplicationError as exc:
            order_checkout_undo(order_id=order.pk, refill_cart=lines is None)
            record_checkout(f"undone_{exc.code}")
            # The order stays visible, cancelled (``payment_unavailable``), as the record of what happened; the
            # answer says so, so "nothing changed" is never claimed for an order the customer can see.
            exc.message = (f"{exc.message} Order {order.order_key} was cancelled and its stock released"
                           f"{'; your cart is as it was' if lines is None else ''}.")
            exc.extra = {**exc.extra, "order_id": order.pk, "order_status": Order.Status.CANCELLED}
            raise
    if lines is not None:
        # A direct order empties the cart too ("on successful create, the user's cart is cleared"), once its
        # payment has opened: an undone checkout leaves the cart as it was.
        cart_clear(user=user)
    return order, created, payment


@transaction.atomic
def order_checkout_undo(*, order_id: int, refill_cart: bool) -> None:
    """Take back a checkout whose payment could not start: stock restored once, cart lines as they were."""
    order = Order.objects.get(pk=order_id)
    cart = cart_lock(user=order.user)  # lock order: cart -> stock -> order
    order = order_lock(order_id=order_id)
    if order.status not in CANCELLABLE:
        return
    _cancel_locked(order, by=None, reason=Order.CancelReason.PAYMENT_UNAVAILABLE,
                   note="The payment could not be started; the checkout was undone.")
    order.idempotency_key = order.idempotency_fingerprint = ""  # a retry with the same key places a fresh order
    order.save(update_fields=["idempotency_key", "idempotency_fingerprint", "updated_at"])
    if not refill_cart:
        return
    code = order_voucher_code(order_id=order.pk)
    if code and not cart.voucher_code:
        cart.voucher_code = code
        cart.save(update_fields=["voucher_code", "updated_at"])
    for item in order.items.all():
        if item.product_id is None:
            continue
        line, created = CartItem.objects.get_or_create(
            cart=cart, product_id=item.product_id, variant_id=item.variant_id,
            defaults={"quantity": item.quantity, "price_snapshot": item.unit_price},
        )
        if not created:
            line.quantity += item.quantity
            line.save(update_fields=["quantity", "updated_at"])
