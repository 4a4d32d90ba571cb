"""A refund event's ``object`` is the refund as the API answers it (``POST /payments/refund/``'s ``refund``): its
gross ``amount``, the ``tax`` in it, ``tax_lines`` by rate and the ``lines`` it gave back (order lines, shipping),
with its ``currency``, so a shop's accounting files a credit note from the event alone. The review found the object
carried the amount and nothing of its tax or lines."""

from decimal import Decimal

import pytest

from shop.catalog.tests.factories import ProductFactory
from shop.events.types import Resource
from shop.orders.tests.factories import ShippingMethodFactory
from shop.payments.models import Refund
from shop.webhooks import services
from shop.webhooks.renderers import render

GERMANY = {"full_name": "Ada L", "address_line_1": "1 Hauptstr.", "city": "Berlin", "country": "DE"}
# Only in the event: the refund answer's payment and currency are beside it, in the answer's `payment`.
EVENT_ONLY = ("payment_id", "order_id", "currency", "failure_message", "updated_at")


def _paid_order(user_client, staff_client) -> dict:
    """A paid sandbox order to Germany (19 %): 2 x 100.00, 2 x 30.00 and 5.95 of shipping (0.95 tax in it).

    The class is made here, the default: a transactional test's flush leaves no seeded class behind."""
    assert staff_client.post("/pricing/tax-classes/", {"code": "goods", "name": "Goods", "is_default": True},
                             format="json").status_code == 201
    assert staff_client.post("/pricing/tax-rates/", {"tax_class": "goods", "country": "DE", "rate": "19"},
                             format="json").status_code == 201
    products = [ProductFactory(price=price, stock_quantity=10) for price in (Decimal("100.00"), Decimal("30.00"))]
    response = user_client.post("/orders/checkout/", {
        "payment_method": "sandbox", "shipping_address": GERMANY,
        "shipping_method": ShippingMethodFactory(price=Decimal("5.95")).pk,
        "items": [{"product_id": product.pk, "quantity": 2} for product in products]}, format="json")
    assert response.status_code == 201, response.content
    order = response.json()
    assert user_client.post(f"/payments/sandbox/{order['payment_id']}/succeed/").status_code in (200, 302)
    return order


@pytest.mark.django_db(transaction=True)  # delivered after the commit, as in production
def test_a_refund_events_object_is_the_refund_answer_with_its_tax_lines_and_currency(
        user_client, staff_client, payments_on, receiver):
    endpoint = services.endpoint_create(url=receiver.url, events=["refund.succeeded"])
    receiver.secret = endpoint.secret
    order = _paid_order(user_client, staff_client)
    lamp, cup = order["items"]

    answer = staff_client.post("/payments/refund/", {
        "payment_id": order["payment_id"], "reason": "requested_by_customer", "shipping": True,
        "lines": [{"order_item_id": lamp["id"], "quantity": 1}, {"order_item_id": cup["id"]}]}, format="json")

    assert answer.status_code == 200, answer.content
    [got] = receiver.accepted()
    assert got.body["type"] == "refund.succeeded" and got.body["resource"] == "refund"
    refund = Refund.objects.get()
    sent = got.body["object"]
    assert sent == {
        "id": refund.pk, "payment_id": order["payment_id"], "order_id": order["id"], "currency": "USD",
        "amount": "165.95", "tax": "26.50",
        "tax_lines": [{"rate": "19", "base": "139.45", "amount": "26.50"}],
        "lines": [
            {"kind": "item", "order_item": lamp["id"], "quantity": 1, "amount": "100.00", "tax": "15.97",
             "tax_rate": "19"},
            {"kind": "item", "order_item": cup["id"], "quantity": 2, "amount": "60.00", "tax": "9.58",
             "tax_rate": "19"},
            {"kind": "shipping", "order_item": None, "quantity": 1, "amount": "5.95", "tax": "0.95",
             "tax_rate": "19"}],
        "status": "succeeded", "reason": "requested_by_customer", "failure_message": None,
        "created_at": sent["created_at"], "updated_at": sent["updated_at"]}
    # Exactly what the API answered for this refund, field for field, and its money adds up.
    assert {key: value for key, value in sent.items() if key not in EVENT_ONLY} == answer.json()["refund"]
    assert sum(Decimal(line["amount"]) for line in sent["lines"]) == Decimal(sent["amount"])
    assert sum(Decimal(line["tax"]) for line in sent["lines"]) == Decimal(sent["tax"])
    assert sent["currency"] == answer.json()["payment"]["currency"]


@pytest.mark.django_db
def test_a_refund_object_reads_its_lines_in_one_query_whatever_their_number(
        user_client, staff_client, payments_on, django_assert_max_num_queries):
    order = _paid_order(user_client, staff_client)
    one = staff_client.post("/payments/refund/", {"payment_id": order["payment_id"], "lines": [
        {"order_item_id": order["items"][0]["id"], "quantity": 1}]}, format="json").json()["refund"]
    all_left = staff_client.post("/payments/refund/", {"payment_id": order["payment_id"]},
                                 format="json").json()["refund"]
    assert (len(one["lines"]), len(all_left["lines"])) == (1, 3)

    for refund in (one, all_left):
        with django_assert_max_num_queries(2):  # the refund with its payment, then all its lines
            rendered = render(Resource.REFUND, refund["id"])
        assert rendered["lines"] == refund["lines"] and rendered["tax"] == refund["tax"]


@pytest.mark.django_db
def test_a_refund_that_is_gone_renders_as_none():
    assert render(Resource.REFUND, 2**31 - 1) is None
