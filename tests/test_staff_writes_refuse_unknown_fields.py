"""A staff write never answers 2xx while dropping a field it was sent (docs/SECURITY.md, API3): every one refuses a
field it does not take with a 400 naming it, and changes nothing.

A tester sent ``POST /payments/{id}/collect/ {"amount": "1.00"}``: it answered 200 and recorded the full amount.
Every staff write of ``config.urls`` (the function-level table, which a new staff route must join) is sent a field
it does not take, and so are the writes staff share with customers (a refund, ``PATCH /orders/{id}/``).
"""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.forms.models import model_to_dict

from shop.catalog.tests.factories import ProductFactory
from shop.payments.models import Payment, PaymentMethodSetting, Refund
from shop.webhooks.models import WebhookDelivery
from tests.test_security_bola import World
from tests.test_security_function_authz import STAFF_OPERATIONS

pytestmark = pytest.mark.django_db

WRITES = sorted(op for op in STAFF_OPERATIONS if op[1] in ("post", "put", "patch"))
SHARED_WITH_CUSTOMERS = {
    ("payments/refund/", "post"): "/payments/refund/",
    ("orders/<int:order_id>/", "patch"): "/orders/{order}/",
}
CASES = WRITES + sorted(SHARED_WITH_CUSTOMERS)


@pytest.fixture
def world(user, other_user, staff_user, payments_on):
    return World(user, other_user, staff_user)


def _everything(world):
    extra = (PaymentMethodSetting, Refund, WebhookDelivery, get_user_model())
    return world.snapshot(), {m.__name__: sorted((model_to_dict(row) for row in m.objects.all()),
                                                 key=lambda r: r["id"]) for m in extra}


@pytest.mark.parametrize(("route", "method"), CASES, ids=[f"{m.upper()} {r}" for r, m in CASES])
def test_every_staff_write_refuses_a_field_it_does_not_take(world, route, method):
    url = {**STAFF_OPERATIONS, **SHARED_WITH_CUSTOMERS}[(route, method)].format(**world.ids)
    body = {"payment_id": world.ids["payment"]} if route == "payments/refund/" else {}
    before = _everything(world)

    response = getattr(world.client("staff"), method)(url, {**body, "not_a_field": "1"}, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {"not_a_field": [response.json()["errors"]["not_a_field"][0]]}
    assert response.json()["code"] in ("invalid", "not_updatable")
    assert _everything(world) == before


def test_collecting_cash_refuses_an_amount_and_records_nothing(payments_on, user_client, staff_client):
    product = ProductFactory(price=Decimal("49.90"), stock_quantity=5)
    placed = user_client.post("/orders/checkout/", {"items": [{"product_id": product.pk, "quantity": 1}],
                                                    "payment_method": "cod"}, format="json")
    assert placed.status_code == 201, placed.content
    payment_id = placed.json()["payment_id"]

    refused = staff_client.post(f"/payments/{payment_id}/collect/", {"amount": "1.00"}, format="json")

    assert refused.status_code == 400, refused.content
    assert refused.json()["code"] == "invalid"
    assert list(refused.json()["errors"]) == ["amount"]
    assert "amount" in refused.json()["detail"]
    payment = Payment.objects.get(pk=payment_id)
    assert (payment.status, payment.order.paid_at) == ("pending", None)

    collected = staff_client.post(f"/payments/{payment_id}/collect/")
    assert collected.status_code == 200, collected.content
    assert (collected.json()["payment"]["status"], collected.json()["payment"]["amount"]) == ("succeeded", "49.90")
