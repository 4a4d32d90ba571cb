from decimal import Decimal

import factory

from shop.orders.models import Order, ShippingMethod
from shop.orders.services import LineRequest, order_create, order_set_status
from shop.payments.checkout import order_place_and_pay
from shop.payments.services import payment_sandbox_outcome, payment_start

# Where a test order ships unless the test says otherwise: an order with no complete address cannot be shipped
# (409 ``shipping_address_missing``), so every order a test may ship has one, as a real checkout would.
SHIP_TO = {"full_name": "Pat Recipient", "address_line_1": "1 Parcel Row", "city": "London", "country": "GB"}


class ShippingMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingMethod

    name = factory.Sequence(lambda n: f"Courier {n}")
    price = Decimal("5.00")
    is_active = True


def pay_order(*, order, user):
    """Pay ``order`` in full through the real sandbox provider (create the attempt, the customer pays)."""
    payment = payment_start(order_id=order.pk, user=user, method_id="sandbox")
    payment_sandbox_outcome(payment_id=payment.pk, user=user, succeed=True)
    return payment


def place_order(*, user, product, quantity: int = 1, variant=None, status: str | None = None, staff=None,
                paid: bool | None = None, **kwargs):
    """An order placed through the real checkout service (direct line), optionally moved to ``status``.

    ``paid`` pays it with the sandbox first; by default only orders sent to shipped or delivered are paid (an
    unpaid online order cannot ship). ``paid=False`` with ``ORDERS_ALLOW_UNPAID_FULFILMENT`` ships it unpaid.
    It ships to ``SHIP_TO`` unless ``shipping_address`` says otherwise (``None``: no address, so it cannot ship).
    """
    kwargs.setdefault("shipping_address", SHIP_TO)
    order, _ = order_create(
        user=user, lines=[LineRequest(quantity=quantity, product_id=product.pk,
                                      variant_id=variant.pk if variant else None)], **kwargs)
    if paid is None:
        paid = status in ("shipped", "delivered")
    if paid:
        pay_order(order=order, user=user)
    path = {"processing": [], "shipped": ["shipped"], "delivered": ["shipped", "delivered"],
            "cancelled": ["cancelled"]}
    for step in path.get(status or "processing", []):
        order = order_set_status(order_id=order.pk, status=step, by=staff)
    order.refresh_from_db()
    return order


def paid_order(user, product, quantity=1) -> Order:
    """A sandbox order paid the way a verified gateway webhook marks it paid."""
    order, _, payment = order_place_and_pay(user=user, lines=[LineRequest(quantity=quantity, product_id=product.pk)],
                                    payment_method="sandbox",
                                    shipping_address={"full_name": "Ada Lovelace", "address_line_1": "1 Analytical St",
                                                      "city": "London", "country": "GB"})
    payment_sandbox_outcome(payment_id=payment.pk, user=user, succeed=True)
    order.refresh_from_db()
    assert order.is_fully_paid
    return order


def cod_order(user, product) -> Order:
    order, _, _ = order_place_and_pay(user=user, lines=[LineRequest(quantity=1, product_id=product.pk)],
                                      payment_method="cod", shipping_address=SHIP_TO)
    return order
