from decimal import Decimal

from django.db import router
from django.db.models import DecimalField, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from shop.catalog.selectors import lines_with_product_shown_stock
from shop.core.compiled import CompiledIdsQuery
from shop.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS
from shop.core.prefetch import rows_as_prefetched
from shop.core.snapshot import read_snapshot
from shop.discounts.models import OrderDiscount
from shop.payments.models import Payment, Refund, RefundLine

from .models import Order, OrderItem, OrderStatusChange, ShipmentEvent, ShippingMethod

_MONEY = DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)


def _refunded_sum(lines: QuerySet[RefundLine], group: str, column: str, output_field, zero) -> Coalesce:
    """The sum of ``column`` over ``lines`` (refund lines filtered on the outer row, ``group`` the column they share
    with it) of refunds that did not fail (pending ones included: that money is on its way back), ``zero`` when
    there are none: a subquery in the outer row's own query, no extra query."""
    rows = (lines.exclude(refund__status=Refund.Status.FAILED).order_by().values(group)
            .annotate(total=Sum(column)).values("total"))
    return Coalesce(Subquery(rows, output_field=output_field), Value(zero), output_field=output_field)


def _refunded(column: str, output_field, zero) -> Coalesce:
    """What the line's refund lines give back of ``column`` (:func:`_refunded_sum`)."""
    return _refunded_sum(RefundLine.objects.filter(order_item=OuterRef("pk")), "order_item", column, output_field,
                         zero)


def _shipping_refunded(column: str) -> Coalesce:
    """What the order's refund lines of kind shipping give back of ``column`` (``amount`` or ``tax``), in major
    units, 0.00 when none (:func:`_refunded_sum`)."""
    lines = RefundLine.objects.filter(refund__payment__order=OuterRef("pk"), kind=RefundLine.Kind.SHIPPING)
    return _refunded_sum(lines, "refund__payment__order", column, _MONEY, Decimal("0.00"))


def order_items_with_refunds() -> QuerySet[OrderItem]:
    """Order lines with what was refunded of each so far: ``refunded_quantity`` (units), ``refunded_amount``
    (gross) and ``refunded_tax`` (major units), from the refund lines of refunds that did not fail."""
    return OrderItem.objects.annotate(
        refunded_quantity=_refunded("quantity", IntegerField(), 0),
        refunded_amount=_refunded("amount", _MONEY, Decimal("0.00")),
        refunded_tax=_refunded("tax", _MONEY, Decimal("0.00")),
    )


def orders_with_shipping_refunds(orders: QuerySet[Order]) -> QuerySet[Order]:
    """``orders`` with what was refunded of each order's shipping so far: ``shipping_refunded_amount`` (gross) and
    ``shipping_refunded_tax`` (the tax in it), Decimal in major units, from refund lines of kind shipping of
    refunds that did not fail (the rule of the lines' figures); two subqueries of the orders' own query."""
    return orders.annotate(shipping_refunded_amount=_shipping_refunded("amount"),
                           shipping_refunded_tax=_shipping_refunded("tax"))


def order_shipping_refunded(order: Order) -> tuple[Decimal, Decimal]:
    """(gross, tax) refunded of ``order``'s shipping so far, Decimal in major units: the figures
    :func:`orders_with_shipping_refunds` left on it (every read shaped for the order serializer: no query), else
    read now (one query, for an order read some other way)."""
    annotated = order.__dict__
    if "shipping_refunded_amount" in annotated and "shipping_refunded_tax" in annotated:
        return annotated["shipping_refunded_amount"], annotated["shipping_refunded_tax"]
    # The order's row again with the same two subqueries, so the rule lives in one place (_shipping_refunded).
    return order_shipping_refunded(orders_with_shipping_refunds(Order.objects.only("pk")).get(pk=order.pk))


def order_queryset() -> QuerySet[Order]:
    """Orders shaped for the order serializer: a fixed number of queries however many orders, items and refunds
    (each line's refunded figures are subqueries of the lines' query, the shipping's of the orders' query)."""
    orders = orders_with_shipping_refunds(Order.objects.select_related("shipping_address", "shipment"))
    return orders.prefetch_related(
        Prefetch("items", queryset=lines_with_product_shown_stock(
            order_items_with_refunds().select_related("product", "variant__product").order_by("id"))),
        Prefetch("status_history", queryset=OrderStatusChange.objects.order_by("id")),
        Prefetch("shipment__events", queryset=ShipmentEvent.objects.order_by("occurred_at", "id")),
        Prefetch("payments", queryset=Payment.objects.order_by("-created_at", "-id")),
        Prefetch("discounts", queryset=OrderDiscount.objects.order_by("id")),
    )


def order_list(*, user) -> QuerySet[Order]:
    return order_queryset().filter(user=user).order_by("-created_at", "-id")


def order_list_all() -> QuerySet[Order]:
    return order_queryset().order_by("-created_at", "-id")


# order_queryset()'s six reads of one order, compiled once: building and compiling them was most of the CPU of
# reading an order (GET /orders/{id}/ and the relay that renders every order.created event in the worker; bench/
# README.md section 16). Each is order_queryset()'s query or prefetch, with the order's id as its only input.
_ORDER = CompiledIdsQuery(Order, lambda ids: orders_with_shipping_refunds(
    Order.objects.select_related("shipping_address", "shipment").filter(pk__in=ids)))
_ORDER_LINES = CompiledIdsQuery(OrderItem, lambda ids: lines_with_product_shown_stock(
    order_items_with_refunds().select_related("product", "variant__product").filter(order_id__in=ids).order_by("id")))
_ORDER_HISTORY = CompiledIdsQuery(OrderStatusChange, lambda ids: OrderStatusChange.objects.filter(order_id__in=ids)
                                  .order_by("id"))
_SHIPMENT_EVENTS = CompiledIdsQuery(ShipmentEvent, lambda ids: ShipmentEvent.objects.filter(shipment_id__in=ids)
                                    .order_by("occurred_at", "id"))
_ORDER_PAYMENTS = CompiledIdsQuery(Payment, lambda ids: Payment.objects.filter(order_id__in=ids)
                                   .order_by("-created_at", "-id"))
_ORDER_DISCOUNTS = CompiledIdsQuery(OrderDiscount, lambda ids: OrderDiscount.objects.filter(order_id__in=ids)
                                    .order_by("id"))


def _order_read(order_id: int) -> Order | None:
    """The order ``order_queryset().filter(pk=order_id).first()`` answers, with the same related rows left as its
    ``select_related`` and ``prefetch_related`` leave them (each row's link back to its order or shipment set, as
    the prefetch sets it) and in as many queries (five; six with a shipment); None if there is no such order.
    ``order_id`` may be any integer (one no key can hold is "no such order"). The queries read one snapshot
    (:func:`shop.core.snapshot.read_snapshot`): never an order still unpaid beside its payment already succeeded."""
    with read_snapshot(router.db_for_read(Order)):
        return _order_read_queries(order_id)


def _order_read_queries(order_id: int) -> Order | None:
    found = _ORDER.instances([order_id])
    if not found:
        return None
    order = found[0]
    for name, compiled in (("items", _ORDER_LINES), ("status_history", _ORDER_HISTORY),
                           ("payments", _ORDER_PAYMENTS), ("discounts", _ORDER_DISCOUNTS)):
        rows_as_prefetched(order, name, compiled.instances([order.pk]))
    shipment = getattr(order, "shipment", None)  # select_related left it, or None (no query either way)
    if shipment is not None:
        rows_as_prefetched(shipment, "events", _SHIPMENT_EVENTS.instances([shipment.pk]))
    return order


def order_get(*, order_id: int, user=None) -> Order | None:
    """One order shaped for the order serializer (as :func:`order_queryset` reads it); with ``user``, only if it
    is theirs (anyone else's is "not found", never "forbidden"), else None."""
    order = _order_read(order_id)
    if order is None or (user is not None and order.user_id != user.pk):
        return None
    return order


# A new order's lines with what changed under them since the checkout read them, as order_of_checkout answers them;
# compiled once (the shown-stock annotation's two subqueries made compiling it cost most of reading it).
_LINES_OF_NEW_ORDER = CompiledIdsQuery(OrderItem, lambda ids: lines_with_product_shown_stock(
    OrderItem.objects.filter(order_id__in=ids).select_related("product", "variant__product").order_by("id")))


def order_of_checkout(*, order: Order, payment: Payment | None) -> Order:
    """The order a checkout has just placed (``order_create``'s new order, which holds the rows it wrote: items,
    address, shipment and its event, history, discounts), shaped as :func:`order_get` would read it for the order
    serializer, with one query instead of six: its lines again, for what changed under them since (the products'
    shown stock and the variants' stock, which the checkout itself moved). ``payment``: the attempt the checkout
    opened (its only one), or None when it opened none. A new order has no refund: each line's refunded figures
    are 0, and so is its shipping's. Pinned against ``order_get`` field by field by
    ``shop/payments/tests/test_checkout_answer.py``."""
    lines = _LINES_OF_NEW_ORDER.instances([order.pk])
    for line in lines:  # order_items_with_refunds' annotations, for an order nothing was refunded of
        line.__dict__.update(refunded_quantity=0, refunded_amount=Decimal("0.00"), refunded_tax=Decimal("0.00"))
    # orders_with_shipping_refunds' annotations, likewise
    order.__dict__.update(shipping_refunded_amount=Decimal("0.00"), shipping_refunded_tax=Decimal("0.00"))
    rows_as_prefetched(order, "items", lines)  # links each line to its order: its money is in the order's currency
    rows_as_prefetched(order, "payments", [payment] if payment is not None else [])
    return order


def order_exists(*, order_id: int, user) -> bool:
    return Order.objects.filter(pk=order_id, user=user).exists()


def shipping_method_list() -> QuerySet[ShippingMethod]:
    return ShippingMethod.objects.filter(is_active=True).order_by("price", "id")


def shipping_method_list_all() -> QuerySet[ShippingMethod]:
    return ShippingMethod.objects.select_related("tax_class").order_by("id")


def guest_order_get(*, order_key: str, token: str | None) -> Order | None:
    """The guest order ``order_key`` names, shaped for the order serializer, if ``token`` is a live access token
    issued for it (``shop.orders.guest``) and no user has claimed it; None otherwise, whatever the reason."""
    from .guest import order_access_token_order_id

    order_id = order_access_token_order_id(order_key=order_key, token=token)
    if order_id is None:
        return None
    order = _order_read(order_id)
    if order is None or order.order_key != order_key or order.user_id is not None:
        return None
    return order


def guest_order_latest_payment(*, order: Order) -> Payment | None:
    """The order's newest payment attempt, from the prefetched ``payments`` (no query)."""
    return next(iter(order.payments.all()), None)
