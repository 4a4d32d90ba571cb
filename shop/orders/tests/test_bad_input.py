"""Whatever a client sends, the answer is a 4xx in the JSON error shape, never a 500."""

import pytest

from shop.cart.tests.factories import CartItemFactory
from shop.catalog.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

HUGE = 10**20

GARBAGE = [
    [], [1, 2], "text", 123,
    {"items": [1, 2]}, {"items": [{"product_id": "x"}]}, {"items": {"product_id": 1}},
    {"items": [{"product_id": HUGE}]}, {"items": [{"variant": HUGE, "quantity": 1}]},
    {"shipping_method": "abc"}, {"shipping_method": HUGE}, {"address": HUGE}, {"shipping_address": HUGE},
    {"shipping_address": {"full_name": ["x"]}}, {"expected_total": "abc"}, {"expected_total": "1e400"},
    {"expected_total": "1e9999999"}, {"expected_total": "-1e9999999"},  # past the decimal context: was a 500
    {"payment_method": 123}, {"payment_method": ["cod"]}, {"notes": {"a": 1}},
]


@pytest.mark.parametrize("url", ["/orders/checkout/", "/orders/"])
@pytest.mark.parametrize("body", GARBAGE)
def test_checkout_garbage_is_a_4xx(user, user_client, url, body):
    CartItemFactory(cart__user=user, product=ProductFactory())

    response = user_client.post(url, body, format="json")

    assert 400 <= response.status_code < 500, response.content
    assert {"detail", "code"} <= set(response.json())


@pytest.mark.parametrize("body", [[], "x", {"product_id": HUGE}, {"variant_id": HUGE, "product_id": 1},
                                  {"product_id": "1; DROP TABLE"}, {"quantity": 2}])
def test_cart_add_garbage_is_a_4xx(user_client, body):
    response = user_client.post("/cart/items/", body, format="json")

    assert 400 <= response.status_code < 500, response.content


@pytest.mark.parametrize("url", [f"/orders/{HUGE}/", f"/orders/{HUGE}/cancel/", f"/cart/items/{HUGE}/"])
def test_huge_ids_are_404(user_client, url):
    response = user_client.post(url) if url.endswith("cancel/") else user_client.get(url)

    assert response.status_code == 404


@pytest.mark.parametrize("url", [f"/orders/admin/{HUGE}/status/", f"/orders/admin/{HUGE}/shipment/events/"])
def test_huge_ids_are_404_for_staff(staff_client, url):
    body = {"status": "shipped"} if "status" in url else {"status": "IN_TRANSIT"}

    assert staff_client.post(url, body).status_code == 404


def test_admin_filters_with_garbage_are_400(staff_client):
    for query in ["user=abc", "created_from=yesterday", f"user={HUGE}"]:
        response = staff_client.get(f"/orders/admin/?{query}")
        assert response.status_code == 400, (query, response.status_code)
        assert response.json()["code"] == "invalid"


@pytest.mark.parametrize("query", ["created_from=0001-01-01T00:00:00%2B14:00", "created_to=9999-12-31T23:59:59-14:00"])
def test_a_date_time_outside_the_years_the_database_holds_in_utc_is_a_400_naming_it(staff_client, query):
    response = staff_client.get(f"/orders/admin/?{query}")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert query.split("=")[0] in response.json()["errors"]
