"""Two staff refunds of the same order line at the same moment: the order lock serialises them, so the line is
refunded once and the second is refused; refunds never add up to more than the line cost (PostgreSQL)."""

from decimal import Decimal

import pytest

from shop.catalog.tests.factories import ProductFactory
from shop.core.exceptions import ApplicationError
from shop.orders.services import LineRequest, order_create
from shop.orders.tests.factories import pay_order
from shop.payments.models import RefundLine
from shop.payments.refund_split import RefundLineRequest
from shop.payments.services import payment_refund
from tests.concurrency import raised, run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_line_refunded_twice_at_once_is_refunded_once(user, staff_user, sandbox_on):
    one = ProductFactory(price=Decimal("40.00"), stock_quantity=5)
    other = ProductFactory(price=Decimal("25.00"), stock_quantity=5)
    order, _ = order_create(user=user, lines=[LineRequest(quantity=2, product_id=one.pk),
                                                LineRequest(quantity=1, product_id=other.pk)],
                              payment_method="sandbox")
    payment = pay_order(order=order, user=user)
    line = order.items.get(product=one)

    def refund_the_line():
        payment_refund(payment_id=payment.pk, user=staff_user, lines=[RefundLineRequest(order_item_id=line.pk)])

    errors = raised(run_concurrently(refund_the_line, refund_the_line))

    assert len(errors) == 1 and isinstance(errors[0], ApplicationError)
    assert errors[0].code in ("refund_exceeds_line", "nothing_to_refund")
    refunded = RefundLine.objects.filter(order_item=line)
    assert [(row.quantity, row.amount) for row in refunded] == [(2, Decimal("80.00"))]
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("80.00")
