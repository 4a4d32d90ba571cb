"""``payment_outcome`` says what README and the schema say it says, on every refund path: a full refund reads
``cancelled`` before shipping (the order is cancelled) and after it (the order stays shipped or delivered: a
return); a partial refund leaves ``success``; refunds adding up to everything read ``cancelled``."""

from decimal import Decimal

import pytest

from shop.catalog.tests.factories import ProductFactory
from shop.payments.tests.test_refund_policy import _order_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def ten(db):
    return ProductFactory(price=Decimal("10.00"), stock_quantity=5)


@pytest.mark.parametrize(("state", "refunds", "status", "payment_status", "outcome"), [
    ("paid", [None], "cancelled", "refunded", "cancelled"),
    ("shipped", [None], "shipped", "refunded", "cancelled"),
    ("delivered", [None], "delivered", "refunded", "cancelled"),
    ("delivered", ["5.00"], "delivered", "partially_refunded", "success"),
    ("delivered", ["5.00", "15.00"], "delivered", "refunded", "cancelled"),
    ("paid", ["5.00"], "processing", "partially_refunded", "success"),
    ("paid", [], "processing", "paid", "success"),
    ("unpaid", [], "processing", "unpaid", "pending"),
])
def test_payment_outcome_follows_the_money_on_every_refund_path(user_client, staff_client, sandbox_on, ten, state,
                                                                refunds, status, payment_status, outcome):
    order, payment = _order_in(state, user_client=user_client, staff_client=staff_client, product=ten)

    for amount in refunds:
        body = {"payment_id": payment.pk, **({"amount": amount} if amount else {})}
        response = staff_client.post("/payments/refund/", body, format="json")
        assert response.status_code == 200, response.json()

    seen = user_client.get(f"/orders/{order.pk}/").json()
    assert (seen["status"], seen["payment_status"], seen["payment_outcome"]) == (status, payment_status, outcome)
    assert seen["paid_at"] is not None or state == "unpaid"  # a refund never unpays an order (AGENTS.md rule 10)
