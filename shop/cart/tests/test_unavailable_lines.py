"""A cart line that can no longer be bought (its product deleted or deactivated by staff, its variant deleted or
deactivated) stays in the cart, shown with ``available: false``, but counts in none of the cart's totals, and a
checkout from the cart refuses it with ``product_unavailable`` naming each such line, the code a direct checkout
and adding to the cart already answer for it, changing nothing.

A tester deleted a product in a cart: the line still counted in ``total``, and checkout answered ``order_too_large``
(the line's price) instead of naming it.
"""

from decimal import Decimal

import pytest

from shop.catalog.models import Product
from shop.catalog.tests.factories import ProductFactory, ProductVariantFactory
from shop.orders.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def cart(payments_on, user_client, staff_client):
    soap = ProductFactory(name="Soap", slug="soap", price=Decimal("5.00"), stock_quantity=10)
    yacht = ProductFactory(name="Yacht", slug="yacht", price=Decimal("9000000000.00"), stock_quantity=1)
    for product in (soap, yacht):
        added = user_client.post("/cart/items/", {"product_id": product.pk, "quantity": 1}, format="json")
        assert added.status_code in (200, 201), added.content
    return soap, yacht


def _lines(cart_body):
    return {line["product"]["slug"]: line for line in cart_body["items"]}


@pytest.mark.parametrize("how", ["deleted", "deactivated"])
def test_a_line_that_cannot_be_bought_counts_in_no_total_and_checkout_names_it(cart, user_client, staff_client,
                                                                                how):
    soap, yacht = cart
    if how == "deleted":
        assert staff_client.delete("/products/yacht/").status_code == 204
    else:
        assert staff_client.patch("/products/yacht/", {"is_active": False}, format="json").status_code == 200

    body = user_client.get("/cart/").json()

    lines = _lines(body)
    assert (lines["yacht"]["available"], lines["soap"]["available"]) == (False, True)
    assert (body["subtotal"], body["total"], body["cart_total"]) == ("5.00", "5.00", "5.00")

    stock_before = list(Product.objects.order_by("pk").values_list("stock_quantity", flat=True))
    refused = user_client.post("/orders/checkout/", {"payment_method": "sandbox"}, format="json")

    assert refused.status_code == 400, refused.content
    assert refused.json()["code"] == "product_unavailable"
    assert "Yacht" in refused.json()["detail"] and "Soap" not in refused.json()["detail"]
    assert refused.json()["unavailable_items"] == [
        {"id": lines["yacht"]["id"], "product_id": yacht.pk, "variant_id": None, "name": "Yacht"}]
    assert not Order.objects.exists()
    assert list(Product.objects.order_by("pk").values_list("stock_quantity", flat=True)) == stock_before
    assert len(user_client.get("/cart/").json()["items"]) == 2

    removed = user_client.delete(f"/cart/items/{lines['yacht']['id']}/")
    assert removed.status_code in (200, 204), removed.content
    placed = user_client.post("/orders/checkout/", {"payment_method": "sandbox"}, format="json")
    assert placed.status_code == 201, placed.content
    assert [item["product_name"] for item in placed.json()["items"]] == ["Soap"]


def test_a_deactivated_variant_line_is_not_counted_or_sold_either(payments_on, user_client, staff_client):
    shirt = ProductFactory(name="Shirt", price=Decimal("20.00"), stock_quantity=0)
    small = ProductVariantFactory(product=shirt, name="S", stock_quantity=5)
    added = user_client.post("/cart/items/", {"variant_id": small.pk, "quantity": 2}, format="json")
    assert added.status_code in (200, 201), added.content
    assert staff_client.patch(f"/products/variants/{small.pk}/", {"is_active": False}, format="json").status_code == 200

    body = user_client.get("/cart/").json()
    refused = user_client.post("/orders/checkout/", {"payment_method": "sandbox"}, format="json")

    assert (body["items"][0]["available"], body["total"]) == (False, "0.00")
    assert (refused.status_code, refused.json()["code"]) == (400, "product_unavailable")
    assert refused.json()["unavailable_items"][0]["variant_id"] == small.pk
    assert not Order.objects.exists()
