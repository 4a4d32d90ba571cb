"""An order read back says where to pay, as its checkout answer did: ``next_step`` / ``payment_url`` are the open
attempt's hosted page, in the detail and in lists (from the prefetched attempts: no query per order)."""

from decimal import Decimal

import pytest

from shop.cart.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _placed(client, product, method="sandbox") -> dict:
    response = client.post("/orders/checkout/", {"items": [{"product_id": product.pk, "quantity": 1}],
                                                 "payment_method": method}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_the_order_read_back_carries_the_open_attempts_checkout_url(user_client, sandbox_on, product):
    placed = _placed(user_client, product)

    detail = user_client.get(f"/orders/{placed['id']}/").json()
    listed = user_client.get("/orders/").json()["results"][0]

    url = placed["next_step"]
    assert url.startswith("http://shop.test/payments/sandbox/pay/")
    assert detail["payments"][0]["checkout_url"] == url
    assert (detail["next_step"], detail["payment_url"]) == (url, url)
    assert (listed["next_step"], listed["payment_url"]) == (url, url)


def test_nothing_to_pay_reads_back_as_null(user_client, staff_client, sandbox_on, product):
    paid = _placed(user_client, product)
    assert user_client.post(f"/payments/sandbox/{paid['payment_id']}/succeed/").status_code == 200
    cash = _placed(user_client, product, method="cod")

    for order in (paid, cash):
        body = user_client.get(f"/orders/{order['id']}/").json()
        assert (body["next_step"], body["payment_url"]) == (None, None), body["payments"]
    staff_list = staff_client.get("/orders/admin/").json()["results"]
    assert [(o["id"], o["next_step"]) for o in staff_list] == [(cash["id"], None), (paid["id"], None)]


def test_listing_orders_costs_the_same_queries_however_many_are_open(user_client, sandbox_on,
                                                                     django_assert_max_num_queries):
    # count, page, and one prefetch each for items, history, shipment events, payments and discounts (the
    # shipment and address are joined): 7 for one order, 7 for five.
    product = ProductFactory(price=Decimal("5.00"), stock_quantity=50)
    _placed(user_client, product)
    with django_assert_max_num_queries(7):
        user_client.get("/orders/")
    for _ in range(4):
        _placed(user_client, product)

    with django_assert_max_num_queries(7):
        response = user_client.get("/orders/")

    assert response.status_code == 200
    assert len({order["next_step"] for order in response.json()["results"]}) == 5  # each its own page
