"""Races between a refund and the decisions that read "was it paid / is money kept", on real PostgreSQL row locks.

A customer's full refund and staff shipping the order: either the goods leave and the money stays, or the money
goes back and the order is cancelled; never both (the refund's reservation updates the order under its lock
before Stripe is called, and the shipping rule reads it under the same lock). A staff partial refund and the
expiry sweep: the paid order is never expired.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shop.catalog.tests.factories import ProductFactory
from shop.core.exceptions import ApplicationError
from shop.orders.models import Order
from shop.orders.services import expire_unpaid_orders, order_set_status
from shop.orders.tests.factories import place_order
from shop.payments.models import Payment
from shop.payments.services import payment_refund, payment_start, webhook_process

from .test_races_postgres import _run_together, _succeeded_event

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _paid_order(user, stripe_on, product) -> tuple[Order, Payment]:
    order = place_order(user=user, product=product, quantity=2)
    payment = payment_start(order_id=order.pk, user=user, method_id="stripe")
    stripe_on.succeed(payment.provider_payment_id)
    assert webhook_process(provider_name="stripe", event=_succeeded_event(payment, 0)) == "succeeded"
    return order, payment


def _refused_with(*codes):
    def decorate(call):
        def run():
            try:
                call()
            except ApplicationError as exc:
                if exc.code not in codes:
                    raise
        return run
    return decorate


@pytest.mark.parametrize("round_", range(4))
def test_customer_full_refund_racing_staff_shipping(user, staff_user, stripe_on, round_):
    product = ProductFactory(price=Decimal("20.00"), stock_quantity=10)
    order, payment = _paid_order(user, stripe_on, product)

    errors = _run_together(
        _refused_with("not_cancellable")(lambda: payment_refund(payment_id=payment.pk, user=user)),
        _refused_with("order_not_paid")(lambda: order_set_status(order_id=order.pk, status="shipped", by=staff_user)),
    )

    assert errors == []
    order.refresh_from_db()
    payment.refresh_from_db()
    product.refresh_from_db()
    if order.status == "shipped":
        assert (payment.status, payment.amount_refunded, product.stock_quantity) == ("succeeded", Decimal("0"), 8)
        assert order.is_fully_paid
    else:
        assert (order.status, order.cancel_reason) == ("cancelled", "refunded")
        assert (payment.status, payment.amount_refunded, product.stock_quantity) == (
            "refunded", Decimal("40.00"), 10)


@pytest.mark.parametrize("round_", range(4))
def test_staff_partial_refund_racing_the_expiry_sweep(user, staff_user, stripe_on, round_):
    product = ProductFactory(price=Decimal("20.00"), stock_quantity=10)
    order, payment = _paid_order(user, stripe_on, product)
    far = timezone.now() + timedelta(days=1)

    errors = _run_together(lambda: payment_refund(payment_id=payment.pk, user=staff_user, amount=Decimal("5.00")),
                           lambda: expire_unpaid_orders(now=far))

    assert errors == []
    order.refresh_from_db()
    payment.refresh_from_db()
    product.refresh_from_db()
    assert (order.status, order.is_fully_paid, order.payment_status) == ("processing", True, "partially_refunded")
    assert (payment.amount_refunded, product.stock_quantity) == (Decimal("5.00"), 8)
