"""A write sent to a URL without its trailing slash is a 308 to the URL with it (RFC 9110, section 15.4.9: the
client repeats the same method and body), with the JSON error body, and does nothing. Django's own answer was an
empty ``text/html`` 301, which clients follow as a GET, and a 500 under ``DEBUG`` (a fresh-eyes tester hit the
301 on ``POST /orders/checkout``). A GET keeps Django's 301."""

from decimal import Decimal

import pytest

from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("debug", [False, True])
def test_a_checkout_posted_without_the_slash_is_a_308_that_does_nothing_and_its_location_works(
        user_client, settings, debug):
    settings.DEBUG = debug
    product = ProductFactory(price=Decimal("12.00"), stock_quantity=4)
    body = {"items": [{"product_id": product.pk, "quantity": 1}], "payment_method": "cod", "shipping_address": {
        "full_name": "Ada L", "address_line_1": "1 Analytical St", "city": "London", "country": "GB"}}

    redirected = user_client.post("/orders/checkout?src=app", body, format="json")

    assert redirected.status_code == 308, redirected.content
    assert redirected["Location"] == "/orders/checkout/?src=app"
    assert redirected["Content-Type"] == "application/json"
    assert redirected.json()["code"] == "trailing_slash_required"
    assert "/orders/checkout/?src=app" in redirected.json()["detail"]
    assert Order.objects.count() == 0
    placed = user_client.post(redirected["Location"], body, format="json")
    assert placed.status_code == 201, placed.content
    assert Order.objects.count() == 1


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_every_write_method_is_redirected_keeping_its_method(user_client, method):
    response = getattr(user_client, method)("/cart/clear", {}, format="json")

    assert response.status_code == 308 and response["Location"] == "/cart/clear/"


def test_a_read_keeps_djangos_301_and_an_unknown_path_stays_a_json_404(user_client):
    read = user_client.get("/products")
    unknown = user_client.post("/no-such-route", {}, format="json")

    assert (read.status_code, read["Location"]) == (301, "/products/")
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
