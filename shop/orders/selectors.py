from django.db.models import Prefetch, QuerySet

from shop.discounts.models import OrderDiscount
from shop.payments.models import Payment

from .models import Order, OrderItem, OrderStatusChange, ShipmentEvent, ShippingMethod


def order_queryset() -> QuerySet[Order]:
    """Orders shaped for the order serializer: a fixed number of queries however many orders and items."""
    return Order.objects.select_related("shipping_address", "shipment").prefetch_related(
        Prefetch("items", queryset=OrderItem.objects.select_related("product", "variant__product").order_by("id")),
        Prefetch("status_history", queryset=OrderStatusChange.objects.order_by("id")),
        Prefetch("shipment__events", queryset=ShipmentEvent.objects.order_by("occurred_at", "id")),
        Prefetch("payments", queryset=Payment.objects.order_by("-created_at", "-id")),
        Prefetch("discounts", queryset=OrderDiscount.objects.order_by("id")),
    )


def order_list(*, user) -> QuerySet[Order]:
    return order_queryset().filter(user=user).order_by("-created_at", "-id")


def order_list_all() -> QuerySet[Order]:
    return order_queryset().order_by("-created_at", "-id")


def order_get(*, order_id: int, user=None) -> Order | None:
    """One order; with ``user``, only if it is theirs (anyone else's is "not found", never "forbidden")."""
    queryset = order_queryset().filter(pk=order_id)
    if user is not None:
        queryset = queryset.filter(user=user)
    return queryset.first()


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
    return order_queryset().filter(pk=order_id, order_key=order_key, user__isnull=True).first()


def guest_order_latest_payment(*, order: Order) -> Payment | None:
    """The order's newest payment attempt, from the prefetched ``payments`` (no query)."""
    return next(iter(order.payments.all()), None)
