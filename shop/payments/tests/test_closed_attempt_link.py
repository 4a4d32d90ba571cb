"""A payment object's ``checkout_url`` is the page to pay on only while its attempt is open (pending or processing),
like the order's ``next_step``: null once the attempt succeeded, failed, was cancelled or refunded, and null for a
method with no hosted page (cash on delivery, Stripe.js). Wherever a payment object is rendered: the order reads
(customer, staff, guest), the payment reads, the answers of the request that closed it, and the events.

A tester found closed payments still carrying their sandbox link while the top-level ``next_step`` was null.
"""

import pytest
from rest_framework.test import APIClient

from shop.events.types import Resource
from shop.orders.tests.guests import guest_cart, guest_checkout, guest_order_url
from shop.webhooks.renderers import render

pytestmark = pytest.mark.django_db

SANDBOX_PAGE = "http://shop.test/payments/sandbox/pay/"


def _closing(client, payment_id: int, outcome: str):
    """The answer of the request that closes the attempt (after paying it, for a refund)."""
    if outcome == "refund":
        assert client.post(f"/payments/sandbox/{payment_id}/succeed/").status_code == 200
        return client.post("/payments/refund/", {"payment_id": payment_id}, format="json")
    if outcome == "cancel":
        return client.post("/payments/cancel/", {"payment_id": payment_id}, format="json")
    return client.post(f"/payments/sandbox/{payment_id}/{outcome}/")


def _links(client, staff_client, order_id: int, payment_id: int, order_key: str | None = None) -> dict:
    """The payment object's link everywhere it is rendered."""
    links = {
        "order read": client.get(f"/orders/{order_id}/").json()["payments"][0]["checkout_url"],
        "order list": client.get("/orders/").json()["results"][0]["payments"][0]["checkout_url"],
        "payment read": client.get(f"/payments/{payment_id}/").json()["checkout_url"],
        "payment list": client.get("/payments/").json()["results"][0]["checkout_url"],
        "order's payment": client.get(f"/payments/order/{order_id}/").json()["checkout_url"],
        "staff order read": staff_client.get(f"/orders/{order_id}/").json()["payments"][0]["checkout_url"],
        "payment event": render(Resource.PAYMENT, payment_id)["checkout_url"],
        "order event": render(Resource.ORDER, order_id)["payments"][0]["checkout_url"],
    }
    return links


@pytest.mark.parametrize(("outcome", "status"), [("succeed", "succeeded"), ("fail", "failed"),
                                                 ("cancel", "cancelled"), ("refund", "refunded")])
def test_a_closed_attempts_link_is_null_everywhere(payments_on, user_client, staff_client, product, outcome, status):
    placed = user_client.post("/orders/checkout/", {"items": [{"product_id": product.pk, "quantity": 1}],
                                                    "payment_method": "sandbox"}, format="json")
    assert placed.status_code == 201, placed.content
    order_id, payment_id, page = placed.json()["id"], placed.json()["payment_id"], placed.json()["next_step"]
    assert page.startswith(SANDBOX_PAGE)
    assert placed.json()["payments"][0]["checkout_url"] == page
    assert set(_links(user_client, staff_client, order_id, payment_id).values()) == {page}

    closing = _closing(user_client, payment_id, outcome)

    assert closing.status_code == 200, closing.content
    assert (closing.json()["payment"]["status"], closing.json()["payment"]["checkout_url"]) == (status, None)
    assert _links(user_client, staff_client, order_id, payment_id) == dict.fromkeys(
        _links(user_client, staff_client, order_id, payment_id), None)
    assert user_client.get(f"/orders/{order_id}/").json()["next_step"] is None


def test_a_guests_closed_attempt_has_no_link_either(payments_on, product):
    guest = APIClient()
    placed = guest_checkout(guest, guest_cart(guest, (product, 1)), payment_method="sandbox")
    assert placed.status_code == 201, placed.content
    order = placed.json()
    assert guest.get(guest_order_url(order)).json()["payments"][0]["checkout_url"].startswith(SANDBOX_PAGE)
    page = order["next_step"].removeprefix("http://shop.test")
    assert guest.post(page, {"outcome": "fail"}, format="multipart").status_code in (200, 303)

    read = guest.get(guest_order_url(order)).json()

    assert (read["payments"][0]["status"], read["payments"][0]["checkout_url"], read["next_step"]) == (
        "failed", None, None)


def test_a_method_without_a_page_has_no_link_while_open(payments_on, user_client, product):
    placed = user_client.post("/orders/checkout/", {"items": [{"product_id": product.pk, "quantity": 1}],
                                                    "payment_method": "cod"}, format="json")
    assert placed.status_code == 201, placed.content

    payment = user_client.get(f"/payments/{placed.json()['payment_id']}/").json()

    assert (payment["status"], payment["checkout_url"], placed.json()["payments"][0]["checkout_url"]) == (
        "pending", None, None)
