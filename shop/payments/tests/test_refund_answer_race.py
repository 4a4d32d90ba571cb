"""Two staff refunds of one payment at once: each answer carries the refund its own request made, never the
other's (the gateway answers the first one late, so the second refund exists, and is the payment's newest, before
the first request answers). PostgreSQL."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from shop.catalog.tests.factories import ProductFactory
from shop.orders.tests.factories import place_order
from shop.payments.models import Refund
from shop.payments.services import payment_start, payment_sync
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_refunds_each_answer_their_own_refund(user, staff_user, stripe_on):
    order = place_order(user=user, product=ProductFactory(price=Decimal("50.00"), stock_quantity=10), quantity=2)
    payment = payment_start(order_id=order.pk, user=user, method_id="stripe")
    stripe_on.succeed(payment.provider_payment_id)
    payment_sync(payment_id=payment.pk, user=user)
    warm = APIClient()  # the first request of a process sets up its middleware; not in two threads at once
    warm.force_authenticate(staff_user)
    assert warm.get(f"/payments/{payment.pk}/").status_code == 200
    stripe_on.delay_next(1, seconds=1.5)  # the first refund to reach the gateway is answered after the other

    def refund(amount: str):
        def call():
            client = APIClient()
            client.force_authenticate(staff_user)
            return client.post("/payments/refund/", {"payment_id": payment.pk, "amount": amount}, format="json")
        return call

    responses = run_concurrently(refund("10.00"), refund("20.00"))

    assert [response.status_code for response in responses] == [200, 200], [r.content for r in responses]
    bodies = [response.json()["refund"] for response in responses]
    assert [body["amount"] for body in bodies] == ["10.00", "20.00"]
    assert bodies[0]["id"] != bodies[1]["id"]
    for body in bodies:
        assert Refund.objects.get(pk=body["id"]).amount == Decimal(body["amount"])
    assert Refund.objects.count() == 2
