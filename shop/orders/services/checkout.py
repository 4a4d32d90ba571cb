"""Checkout: an order placed from the cart or from lines, in one transaction (cart lock, stock, order rows),
and undoing one whose payment could not start."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from shop.accounts.models import Address
from shop.cart.errors import CartErrorCode
from shop.cart.locks import cart_lock, carts_lock, guest_cart_lock
from shop.cart.models import ORDER_MAX_LINES, Cart, CartItem
from shop.cart.pricing import held_unit_price, line_is_buyable
from shop.cart.selectors import purchasables_get
from shop.cart.services import too_many_lines_error
from shop.cart.tokens import cart_token_hash
from shop.catalog.models import ProductVariant
from shop.catalog.stock import StockLine, stock_deduct
from shop.core.countries import country_code
from shop.core.exceptions import ApplicationError, Conflict
from shop.core.idempotency import check_replay, request_fingerprint
from shop.core.money import MONEY_LIMIT, money_text
from shop.core.prefetch import rows_as_prefetched
from shop.discounts.calculation import DiscountLine
from shop.discounts.selectors import Evaluation, discounts_evaluate
from shop.discounts.services import order_discounts_apply, order_voucher_code, refusal_error
from shop.events.services import event_record
from shop.events.types import EventType
from shop.pricing.selectors import tax_rates_configured

from ..actors import GuestBuyer
from ..errors import OrderErrorCode
from ..hooks import PaymentMethodFacts, payment_method_offered
from ..locks import order_lock
from ..models import (
    Order,
    OrderAddress,
    OrderItem,
    OrderStatusChange,
    Shipment,
    ShipmentEvent,
    ShippingMethod,
)
from ..pricing import CheckoutLine, checkout_price, order_item_price_fields, order_price_fields, shipping_fee
from ..transitions import CANCELLABLE
from ._shared import order_created_announce
from .cancel import _cancel_and_restock_locked

MAX_ORDER_TOTAL = MONEY_LIMIT  # the money columns hold ten whole digits (shop.core.money.MONEY_COLUMN)
# An order whose total is 0 (a voucher took everything, shipping included) opens no payment: no gateway is asked to
# charge 0 (Stripe, Paymob and IntaSend refuse it). It is placed paid, as a payment covering its total would leave
# it (``shop.payments.services.state.order_payment_recalculate``), with no method and no payment deadline.
_PAID_AS_PLACED = {"payment_status": Order.PaymentStatus.PAID, "is_fully_paid": True}
NOTHING_TO_PAY = "Nothing to pay: the order total is 0, so no payment was opened and the order is paid."
ADDRESS_FIELDS = ("full_name", "phone", "email", "address_line_1", "address_line_2", "city", "state", "postal_code",
                  "country")


@dataclass(frozen=True)
class LineRequest:
    """One line of a direct order: a product or a variant (or both, when they must match) and a quantity."""

    quantity: int
    product_id: int | None = None
    variant_id: int | None = None


# --- Checkout -------------------------------------------------------------------------------------------------

def _payment_method_resolve(payment_method: str | None) -> PaymentMethodFacts | None:
    """The offered method ``payment_method`` names; 400 ``invalid_payment_method`` (no such method) or
    ``method_unavailable`` (not offered now), as every endpoint taking a method answers (``hooks``)."""
    if not payment_method:
        return None
    return payment_method_offered(payment_method)


def _shipping_method_resolve(shipping_method_id: int | None) -> ShippingMethod | None:
    if shipping_method_id is None:
        return None
    method = ShippingMethod.objects.filter(pk=shipping_method_id, is_active=True).first()
    if method is None:
        raise ApplicationError(f"Shipping method {shipping_method_id} is not available.",
                               code=OrderErrorCode.INVALID_SHIPPING_METHOD,
                               extra={"errors": {"shipping_method": ["Unknown or inactive shipping method."]}})
    return method


ADDRESS_HOW = ("Send `shipping_address` as an object: full_name, address_line_1, city and country (an ISO 3166-1 "
               "code such as US, or its English name) are required; phone, email, address_line_2, state (an ISO "
               "3166-2 subdivision code such as CA, for a regional tax rate) and postal_code are optional. Or send "
               "`address`: the id of an entry in your address book (GET /auth/addresses/).")
SHIPPING_METHODS_HOW = ("GET /orders/shipping-methods/ lists them (id, name, price, free_over): send one's id as "
                        "`shipping_method`.")


def _address_snapshot(*, user, shipping_address, address_field: str = "shipping_address") -> dict | None:
    """Copy the address out of whatever the client sent: an address-book id or an inline object (``None``: none
    was sent). ``address_field``: the request field that carried it (``address`` for the checkout-alias clients),
    which an error names.

    The address is where the order ships and what it is taxed by (its country and region, docs/PRICING.md), so it
    must be complete whatever carried it: a full name, line 1, a city and a country this shop knows. Free text
    (the string the first order API took) is refused rather than guessed at: taken as line 1 it left the order
    with no country, taxed at 0 and shipped nowhere. 400 ``address_incomplete``, saying what to send."""
    if shipping_address is None or shipping_address == "":
        return None
    if isinstance(shipping_address, str):
        raise ApplicationError(
            f"A shipping address is given in parts, not as one line of text. {ADDRESS_HOW}",
            code=OrderErrorCode.ADDRESS_INCOMPLETE,
            extra={"errors": {address_field: ["Free text is not an address: send an object (full_name, "
                                              "address_line_1, city, country, ...) or an address-book id."]}})
    if isinstance(shipping_address, int):
        address = Address.objects.filter(pk=shipping_address, user=user).first()
        if address is None:
            raise ApplicationError("Address not found in your address book.", code=OrderErrorCode.ADDRESS_NOT_FOUND,
                                   extra={"errors": {address_field: ["Address not found."]}})
        snapshot = {"source_address_id": address.pk, **{field: getattr(address, field) for field in ADDRESS_FIELDS}}
        where = f"Address {address.pk} in your address book"
    else:
        snapshot = {field: shipping_address.get(field, "") or "" for field in ADDRESS_FIELDS}
        where = "The shipping address"
    snapshot["country"] = country_code(str(snapshot["country"]))  # the inline form's is one already
    missing = [part for part in OrderAddress.REQUIRED_PARTS if not str(snapshot[part]).strip()]
    if missing:
        names = ", ".join(missing)
        known = " (a country this shop knows)" if "country" in missing else ""
        fix = (f"Complete it (PATCH /auth/addresses/{snapshot['source_address_id']}/) or send another. "
               if "source_address_id" in snapshot else "")
        raise ApplicationError(f"{where} has no {names}{known}. {fix}{ADDRESS_HOW}",
                               code=OrderErrorCode.ADDRESS_INCOMPLETE,
                               extra={"errors": {address_field: [f"Missing: {names}."]}})
    return snapshot


def _destination_check(*, shipping: ShippingMethod | None, address: dict | None) -> None:
    """Refuse a checkout that would ship nowhere, or not be taxed where it goes.

    - No shipping method while the shop offers one and ``SHIPPING_METHOD_REQUIRED`` is on: 400
      ``shipping_method_required`` (every product of this catalog is shipped; a shop that never ships sets it off,
      and a shop with no active method is never asked for one). One query, only when no method was named.
    - A shipping method with no address: 400 ``address_required`` (there is nowhere to ship to).
    - No address, no ``SHOP_COUNTRY``, and tax rates configured: 400 ``address_required``. Taxes follow the
      address's country, else the shop's (docs/PRICING.md); with neither the order would be taxed at 0 only
      because its place is unknown. A shop with no rates at all still taxes nothing, as it always did.
    """
    if (shipping is None and settings.SHIPPING_METHOD_REQUIRED
            and ShippingMethod.objects.filter(is_active=True).exists()):
        raise ApplicationError(f"Choose a shipping method. {SHIPPING_METHODS_HOW}",
                               code=OrderErrorCode.SHIPPING_METHOD_REQUIRED,
                               extra={"errors": {"shipping_method": [
                                   f"This field is required. {SHIPPING_METHODS_HOW}"]}})
    if address is not None:
        return
    if shipping is not None:
        raise ApplicationError(f"A shipping method needs an address to ship to. {ADDRESS_HOW}",
                               code=OrderErrorCode.ADDRESS_REQUIRED,
                               extra={"errors": {"shipping_address": ["This field is required with a shipping "
                                                                      "method."]}})
    if not settings.SHOP_COUNTRY and tax_rates_configured():
        raise ApplicationError(f"This order is taxed by where it goes, and this shop has no country of its own to "
                               f"tax it at instead: give a shipping address. {ADDRESS_HOW}",
                               code=OrderErrorCode.ADDRESS_REQUIRED,
                               extra={"errors": {"shipping_address": ["This field is required: it says where the "
                                                                      "order is taxed."]}})


def _cart_lines(cart) -> list[CheckoutLine]:
    items = list(CartItem.objects.filter(cart=cart).select_related("product", "variant").order_by("id"))
    if not items:
        raise ApplicationError("Your cart is empty.", code=OrderErrorCode.CART_EMPTY)
    # A product deleted or deactivated since it was put in the cart cannot be bought: every such line is named
    # together, with the code adding it or a direct checkout answers, before anything is priced or moved.
    unavailable = [item for item in items if not line_is_buyable(item)]
    if unavailable:
        raise ApplicationError(
            " ".join(f"'{_line_name(item)}' is no longer available." for item in unavailable),
            code=CartErrorCode.PRODUCT_UNAVAILABLE,
            extra={"unavailable_items": [{"id": item.pk, "product_id": item.product_id,
                                          "variant_id": item.variant_id, "name": _line_name(item)}
                                         for item in unavailable]})
    # A cart filled before adding refused a line past ORDER_MAX_LINES holds more than an order may: the customer
    # chooses what goes, told how many, before anything is priced or moved.
    if len(items) > ORDER_MAX_LINES:
        raise too_many_lines_error(len(items))
    # A product may have gained variants since it was put in the cart: it must now be bought as one of them.
    plain = {item.product_id for item in items if item.variant_id is None}
    with_variants = set(ProductVariant.objects.filter(product_id__in=plain).values_list("product_id", flat=True))
    for item in items:
        if item.variant_id is None and item.product_id in with_variants:
            raise ApplicationError(f"'{item.product.name}' now comes in variants: choose one in your cart.",
                                   code=CartErrorCode.VARIANT_REQUIRED)
    now = timezone.now()  # the price hold: the held price, or the catalog's once it ran out (shop/cart/pricing.py)
    return [CheckoutLine(item.product, item.variant, item.quantity, held_unit_price(item, now=now)) for item in items]


def _line_name(item: CartItem) -> str:
    return f"{item.product.name} ({item.variant.name})" if item.variant is not None else item.product.name


def _direct_lines(lines: list[LineRequest]) -> list[CheckoutLine]:
    if not lines:
        raise ApplicationError("An order needs at least one item.", code=OrderErrorCode.ITEMS_REQUIRED)
    found = purchasables_get(lines=[(line.product_id, line.variant_id) for line in lines])  # 2 queries at most
    return [CheckoutLine(product, variant, line.quantity, variant.price if variant is not None else product.price)
            for line, (product, variant) in zip(lines, found, strict=True)]


def _buyer_filter(user, guest: GuestBuyer | None) -> dict:
    """Whose orders an Idempotency-Key is looked up among: the user's, or a guest's from that guest cart."""
    if guest is None:
        return {"user": user}
    return {"user__isnull": True, "guest_cart__token_hash": cart_token_hash(guest.cart_token)}


def _order_for_key(*, user, idempotency_key: str, fingerprint: str, guest: GuestBuyer | None = None) -> Order | None:
    """This buyer's earlier order under ``idempotency_key`` (keys are per user, a guest's per guest cart), or None.
    Raises the 422 ``idempotency_key_reused`` when that order was placed by a different request, an undone
    checkout's too (``_checkout_undone``: the key still names its request)."""
    existing = Order.objects.filter(**_buyer_filter(user, guest), idempotency_key=idempotency_key).first()
    if existing is not None:
        check_replay(stored_fingerprint=existing.idempotency_fingerprint, fingerprint=fingerprint)
    return existing


def _checkout_undone(order: Order) -> bool:
    """Whether ``order`` is a checkout undone because its payment could not start (``order_create_undo``).

    Its key is kept and still names its request, so the same key with another request is the 422, as
    create-intent's is after a gateway failure; the same request again is the retry a 503 asks for and places
    the order anew (the key moves to it, under the cart lock: ``_checkout``). A 503 is not replayed, unlike a
    result Stripe saved for its key: nothing of the first request stands (order cancelled, stock and cart
    restored, nothing charged), so answering the same failure again would only force the client onto a new key,
    which protects nothing."""
    return order.status == Order.Status.CANCELLED and order.cancel_reason == Order.CancelReason.PAYMENT_UNAVAILABLE


def order_create(
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
    guest: GuestBuyer | None = None,
    method: PaymentMethodFacts | None = None,
    placed: Callable[[Order], None] | None = None,
) -> tuple[Order, bool]:
    """Place an order from the cart (``lines=None``) or from ``lines`` (a direct order, which this function leaves
    the cart alone for: ``shop.payments.checkout.order_place_and_pay``, which also opens the payment, empties the
    user's cart and drops its voucher code once the direct order is placed and its payment opened).

    One transaction: lock the cart, take stock, write the order, its items, address snapshot, shipment and
    history, empty the cart. Any refusal rolls all of it back. Returns ``(order, created)``; with an
    ``idempotency_key`` already used by this user for the same request it returns that earlier order and
    ``created=False``; used for a different request (other lines, address, method, notes...) it raises
    ApplicationError 422 ``idempotency_key_reused`` and changes nothing. "The same request" is the same
    arguments to this function, whichever endpoint or spelling carried them; a cart checkout's request is its
    arguments, not the cart's contents (a retry finds the cart already emptied). ``address_field`` is only the
    name errors give the address (the field the client sent it in). ``guest`` (with ``user=None``): a guest's
    checkout of the guest cart its token opens (404 otherwise); the order has no user and keeps ``guest.email``.

    A total of 0 (a voucher took everything, shipping included) opens no payment: the order is written paid
    (``paid_at``, ``is_fully_paid``, ``payment_status`` paid) with no ``payment_method`` and no deadline, its voucher
    use consumed, order.created and order.paid announced; ``payment_method`` must still name an offered method,
    but its order-total limits do not apply.

    ``voucher``: a voucher code for this order (a cart checkout without one uses the cart's code, if any). Sales
    and the voucher are priced in (``shop.discounts``), and the voucher's use is reserved in this transaction
    (``shop.discounts.services.order_discounts_apply``), counted against its per-customer limit by the buyer's
    e-mail (a guest's ``guest.email``): a code that cannot be used is a 400 with its refusal code naming
    ``voucher`` that changes nothing (the cart keeps its lines and code).

    ``method``: the method ``payment_method`` names, when the caller has already looked it up (staff's settings are
    then read once per request). ``placed(order)`` is called inside the transaction with a new order, once every
    row is written (the payments side reserves the order's payment attempt there); what it raises rolls the
    checkout back. The order returned holds the rows it wrote (items, address, shipment with its event, history,
    discounts) as prefetched: no query to read them (``shop.orders.selectors.order_of_checkout`` answers from them).
    """
    fingerprint = ""
    if idempotency_key:
        arguments = {
            "lines": lines, "shipping_address": shipping_address, "shipping_method_id": shipping_method_id,
            "payment_method": payment_method or None, "notes": notes, "expected_total": expected_total,
            **({"email": guest.email} if guest else {}),
        }
        if voucher:  # only when given, so the fingerprints of requests without one stay what they were
            arguments["voucher"] = voucher.strip().lower()
        # "order_checkout": the name fingerprints were first stored under; keys saved before the rename still match.
        fingerprint = request_fingerprint("order_checkout", arguments)
        existing = _order_for_key(user=user, idempotency_key=idempotency_key, fingerprint=fingerprint, guest=guest)
        if existing is not None and not _checkout_undone(existing):
            return existing, False
    try:
        with transaction.atomic():
            return _checkout(user=user, lines=lines, shipping_address=shipping_address,
                             shipping_method_id=shipping_method_id, payment_method=payment_method, notes=notes,
                             expected_total=expected_total, idempotency_key=idempotency_key,
                             fingerprint=fingerprint, address_field=address_field, voucher=voucher,
                             guest=guest, method=method, placed=placed)
    except IntegrityError:
        # Two requests with the same key got past the lookup: the unique constraint let one order through.
        if idempotency_key:
            existing = _order_for_key(user=user, idempotency_key=idempotency_key, fingerprint=fingerprint,
                                      guest=guest)
            if existing is not None and not _checkout_undone(existing):
                return existing, False
        raise


def _discounts(*, lines: list[CheckoutLine], code: str | None, email: str, fee) -> Evaluation:
    """Sales and the voucher ``code`` on the checkout's lines (keyed by index, as the pipeline's), refused at once
    (400 naming ``voucher``) when the code cannot be used: before any stock moves."""
    evaluation = discounts_evaluate(
        lines=[DiscountLine(key=index, product_id=line.product.pk, variant_id=line.variant.pk if line.variant else None,
                            category_id=line.product.category_id, unit_price=line.unit_price, quantity=line.quantity)
               for index, line in enumerate(lines)],
        code=code, email=email, shipping_price=fee, at_checkout=True,
    )
    if evaluation.refusal is not None:
        raise refusal_error(evaluation.refusal, field="voucher")
    return evaluation


def _checkout(*, user, lines, shipping_address, shipping_method_id, payment_method, notes, expected_total,
              idempotency_key, fingerprint, address_field="shipping_address", voucher=None,
              guest: GuestBuyer | None = None, method: PaymentMethodFacts | None = None,
              placed: Callable[[Order], None] | None = None) -> tuple[Order, bool]:
    # The cart lock serialises one buyer's checkouts (cart or direct), so the key check below is race-free.
    cart = guest_cart_lock(token=guest.cart_token) if guest else cart_lock(user=user)
    if idempotency_key:
        existing = _order_for_key(user=user, idempotency_key=idempotency_key, fingerprint=fingerprint, guest=guest)
        if existing is not None and not _checkout_undone(existing):
            return existing, False
        if existing is not None:
            # The same request again after its checkout was undone (a 503): the key moves to the order placed now,
            # under the cart lock, so concurrent retries place one order (the others find it here) and the key
            # always names one live order. The cart lock before the order row's: the house's lock order.
            Order.objects.filter(pk=existing.pk).update(idempotency_key="", updated_at=timezone.now())
    if method is None:
        method = _payment_method_resolve(payment_method)
    shipping = _shipping_method_resolve(shipping_method_id)
    address = _address_snapshot(user=user, shipping_address=shipping_address, address_field=address_field)
    from_cart = lines is None
    resolved = _cart_lines(cart) if from_cart else _direct_lines(lines)
    _destination_check(shipping=shipping, address=address)  # after the lines: an empty cart is told first

    email = guest.email if guest else user.email  # the buyer's: a voucher's per-customer limit counts by it
    found = _discounts(lines=resolved, code=voucher or (cart.voucher_code if from_cart else None), email=email,
                       fee=shipping_fee(lines=resolved, shipping_method=shipping))
    price = checkout_price(lines=resolved, shipping_method=shipping, address=address,
                           line_discounts=[found.discounts.line_discounts[index] for index in range(len(resolved))],
                           order_discount=found.discounts.order_discount,
                           shipping_discount=found.discounts.shipping_discount)
    total = price.total
    # The subtotal too: a discount can bring a total under the limit whose lines (unit price x quantity) are not.
    if max(total, price.subtotal) >= MAX_ORDER_TOTAL:
        # What to fix, as the cart's own refusal says it: the amount, the limit, and which field to change.
        message = (f"This order comes to {money_text(max(total, price.subtotal), price.currency)}, more than one "
                   f"order can hold (it must stay below {money_text(MAX_ORDER_TOTAL, price.currency)}): lower the "
                   "quantities, or place it as several orders.")
        raise ApplicationError(message, code=CartErrorCode.ORDER_TOO_LARGE,
                               extra={} if from_cart else {"errors": {"items": [message]}})
    # Nothing to pay (a voucher took everything, shipping included): no gateway is asked for 0, so the method's
    # limits do not apply; the order is placed paid (docs/PAYMENTS.md, "Nothing to pay").
    free = total == 0
    refusal = method.refusal(total=total, currency=settings.SHOP_CURRENCY) if method and not free else None
    if refusal:
        raise ApplicationError(refusal, code=OrderErrorCode.METHOD_UNAVAILABLE,
                               extra={"errors": {"payment_method": [refusal]}})
    if expected_total is not None and expected_total != total:
        shown = money_text(total, price.currency)
        raise Conflict(f"The order total is {shown}, not {money_text(expected_total, price.currency)}: review your "
                       "cart and retry.", code=OrderErrorCode.TOTAL_MISMATCH,
                       extra={"total": shown, "currency": price.currency})

    # Stock before any write (every line is validated before anything changes): a losing checkout in a rush for a hot
    # product fails here, cheaply. Measured against taking stock last (shorter hot-row lock): no difference
    # visible on the shared bench machine, so the simpler, fail-fast order stays (bench/README.md).
    stock_deduct(lines=[StockLine(line.product.pk, line.quantity, line.variant.pk if line.variant else None)
                        for line in resolved])

    now = timezone.now()
    needs_online_payment = not free and (method is None or method.is_online)
    # Written straight as processing (checkout moves pending -> processing; the history shows both).
    order = Order(
        user=user, email=email, guest_cart=cart if guest else None,
        status=Order.Status.PROCESSING, **order_price_fields(price), shipping_method=shipping,
        notes=notes, payment_method=method.id if method and not free else "",
        payment_deadline=now + timedelta(minutes=settings.ORDER_PAYMENT_TIMEOUT_MINUTES)
        if needs_online_payment else None,
        idempotency_key=idempotency_key or "", idempotency_fingerprint=fingerprint,
        **(_PAID_AS_PLACED | {"paid_at": now} if free else {}),
    )
    # Fields only: the database enforces the keys, unique fields and checks race-free, and the foreign keys are rows
    # this transaction holds or has just read (a SELECT each to validate them again).
    order.full_clean(exclude=["user", "guest_cart", "shipping_method"], validate_unique=False,
                     validate_constraints=False)
    order.save()
    items = OrderItem.objects.bulk_create([
        OrderItem(
            order=order, product=line.product, variant=line.variant, product_name=line.product.name,
            variant_description=line.variant.name if line.variant else "",
            sku=line.variant.sku if line.variant else "", barcode=line.variant.barcode if line.variant else "",
            quantity=line.quantity, **order_item_price_fields(priced), created_at=now,
        )
        for line, priced in zip(resolved, price.lines, strict=True)
    ])
    # The voucher's use is reserved here, after the order row exists (guarded UPDATEs on its counters, lock order
    # cart -> stock -> voucher); no use left raises, and the whole checkout rolls back. Cash on delivery and an
    # order with nothing to pay consume it at once.
    discounts = order_discounts_apply(order=order, evaluation=found, email=email, consume=not needs_online_payment)
    snapshot = None
    if address is not None:
        snapshot = OrderAddress(order=order, **address)
        snapshot.full_clean(exclude=["order"])
        snapshot.save()
    shipment = Shipment.objects.create(order=order, status=Shipment.Status.ORDER_PLACED)
    event = ShipmentEvent.objects.create(shipment=shipment, status=Shipment.Status.ORDER_PLACED,
                                         message="Order placed", occurred_at=now)
    history = OrderStatusChange.objects.bulk_create([
        OrderStatusChange(order=order, from_status="", to_status=Order.Status.PENDING, changed_by=user,
                          reason="created", created_at=now),
        OrderStatusChange(order=order, from_status=Order.Status.PENDING, to_status=Order.Status.PROCESSING,
                          changed_by=user, reason="checkout", created_at=now, note=NOTHING_TO_PAY if free else ""),
    ])
    # The rows just written, left on the order as prefetch_related would (no query to read them again): the
    # payment's gateway request reads its lines and address, the checkout's answer the rest
    # (``shop.orders.selectors.order_of_checkout``).
    Order.shipping_address.related.set_cached_value(order, snapshot)
    Order.shipment.related.set_cached_value(order, shipment)
    rows_as_prefetched(shipment, "events", [event])
    rows_as_prefetched(order, "items", items)
    rows_as_prefetched(order, "status_history", history)
    rows_as_prefetched(order, "discounts", discounts)
    if from_cart:
        CartItem.objects.filter(cart=cart).delete()
        if cart.voucher_code:
            cart.voucher_code = ""
            cart.save(update_fields=["voucher_code", "updated_at"])
    if method is None or free:  # no payment to open: announced (event, e-mail) now, else once its payment opened
        order_created_announce(order)
    if free:
        event_record(type=EventType.ORDER_PAID, resource_id=order.pk, data={"total": str(order.total)})
    if placed is not None:
        placed(order)
    return order, True


@transaction.atomic
def order_create_undo(*, order_id: int, refill_cart: bool) -> None:
    """Take back a checkout whose payment could not start: the order cancelled with its stock restored once,
    the cart lines as they were (``refill_cart``: it was a checkout from the cart). Lock order: cart -> order ->
    stock -> payments. Nothing is announced, then or now (no order event, no e-mail: ``order_created_announce``
    never ran). The order keeps its Idempotency-Key: the same request may retry, another is refused
    (``_checkout_undone``)."""
    order = Order.objects.get(pk=order_id)
    # The cart first: never lock a cart after an order. A guest's cart may be gone (merged at a login).
    cart: Cart | None
    if order.user_id is not None:
        cart = cart_lock(user=order.user)
    else:
        cart = next(iter(carts_lock(cart_ids=[order.guest_cart_id] if order.guest_cart_id else [])), None)
    locked = order_lock(order_id=order_id)
    if locked is None or locked.status not in CANCELLABLE:
        return
    order = locked
    _cancel_and_restock_locked(order, by=None, reason=Order.CancelReason.PAYMENT_UNAVAILABLE,
                   note="The payment could not be started; the checkout was undone.")
    if not refill_cart or cart is None:
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
