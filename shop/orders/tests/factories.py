from decimal import Decimal

import factory

from shop.orders.models import ShippingMethod
from shop.orders.services import LineRequest, order_checkout, order_set_status


class ShippingMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingMethod

    name = factory.Sequence(lambda n: f"Courier {n}")
    price = Decimal("5.00")
    is_active = True


def place_order(*, user, product, quantity: int = 1, variant=None, status: str | None = None, staff=None, **kwargs):
    """An order placed through the real checkout service (direct line), optionally moved to ``status``."""
    order, _ = order_checkout(
        user=user, lines=[LineRequest(quantity=quantity, product_id=product.pk,
                                      variant_id=variant.pk if variant else None)], **kwargs)
    path = {"processing": [], "shipped": ["shipped"], "delivered": ["shipped", "delivered"],
            "cancelled": ["cancelled"]}
    for step in path.get(status or "processing", []):
        order = order_set_status(order_id=order.pk, status=step, by=staff)
    order.refresh_from_db()
    return order
