"""The price hold holds the catalog price only; sales apply as they stand, and the cart says when a line's price
after sale moved (found by a tester: a 50 % sale ended after the customer added the product; the cart's total went
from 12.00 to 20.40 with `price_changed: null`, and the checkout expecting 12.00 was a 409)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shop.cart.models import CartItem
from shop.catalog.tests.factories import CategoryFactory, ProductFactory
from shop.discounts.tests.factories import PromotionFactory
from shop.orders.models import Order
from shop.orders.tests.guests import ADDRESS

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    # On a 15 % sale of its category too: when the product's own 50 % sale ends, that one applies (24.00 -> 20.40).
    category = CategoryFactory()
    PromotionFactory(categories=[category], value=Decimal("15"))
    return ProductFactory(price=Decimal("24.00"), stock_quantity=10, category=category)


def _line(body):
    [line] = body["items"]
    return line


def test_a_sale_that_ends_after_adding_is_charged_as_it_stands_and_the_line_says_so(
    user_client, staff_client, product, settings
):
    settings.PAYMENT_METHODS = ["cod"]
    created = staff_client.post("/discounts/promotions/", {
        "name": "Half off", "value": "50", "products": [product.pk],
        "starts_at": (timezone.now() - timedelta(minutes=1)).isoformat()}, format="json")
    assert created.status_code == 201, created.content
    added = user_client.post("/cart/items/", {"product_id": product.pk}, format="json").json()
    assert (_line(added)["unit_price"], _line(added)["discount"], added["total"]) == ("24.00", "12.00", "12.00")
    assert _line(added)["sale_changed"] is None

    ended = staff_client.patch(f"/discounts/promotions/{created.json()['id']}/", {"is_active": False}, format="json")
    assert ended.status_code == 200, ended.content
    cart = user_client.get("/cart/").json()

    assert cart["total"] == "20.40"
    assert _line(cart)["price_changed"] is None  # the catalog price, which is what is held, did not move
    assert _line(cart)["sale_changed"] == {"old": "12.00", "new": "20.40"}
    mismatch = user_client.post("/orders/checkout/", {"payment_method": "cod", "shipping_address": ADDRESS,
                                                      "expected_total": "12.00"}, format="json")
    assert mismatch.status_code == 409, mismatch.content
    assert (mismatch.json()["code"], mismatch.json()["total"]) == ("total_mismatch", "20.40")
    assert not Order.objects.exists()
    placed = user_client.post("/orders/checkout/", {"payment_method": "cod", "shipping_address": ADDRESS,
                                                    "expected_total": "20.40"}, format="json")
    assert placed.status_code == 201, placed.content
    assert placed.json()["total"] == "20.40"


def test_a_sale_that_starts_after_adding_is_given_and_said(user_client, product):
    user_client.post("/cart/items/", {"product_id": product.pk}, format="json")  # 20.40 with the category's sale
    PromotionFactory(products=[product], value=Decimal("50"))

    cart = user_client.get("/cart/").json()

    assert cart["total"] == "12.00"
    assert (_line(cart)["price_changed"], _line(cart)["sale_changed"]) == (None, {"old": "20.40", "new": "12.00"})


def test_adding_more_takes_the_sale_as_it_stands_and_starts_over(user_client, product):
    user_client.post("/cart/items/", {"product_id": product.pk}, format="json")
    PromotionFactory(products=[product], value=Decimal("50"))

    again = user_client.post("/cart/items/", {"product_id": product.pk}, format="json").json()

    assert (again["total"], _line(again)["sale_changed"]) == ("24.00", None)
    assert CartItem.objects.get().sale_price_seen == Decimal("12.00")


def test_a_catalog_price_that_moved_without_a_sale_is_price_changed_alone(user_client, settings):
    plain = ProductFactory(price=Decimal("10.00"), stock_quantity=5)
    user_client.post("/cart/items/", {"product_id": plain.pk}, format="json")
    plain.price = Decimal("11.00")
    plain.save()
    settings.CART_PRICE_HOLD_MINUTES = 0

    line = _line(user_client.get("/cart/").json())

    assert (line["price_changed"], line["sale_changed"]) == ({"old": "10.00", "new": "11.00"}, None)


def test_a_line_priced_before_the_sale_price_was_kept_says_nothing_of_sales(user_client, product):
    user_client.post("/cart/items/", {"product_id": product.pk}, format="json")
    CartItem.objects.update(sale_price_seen=None)  # as the migration leaves lines of before
    PromotionFactory(products=[product], value=Decimal("50"))

    assert _line(user_client.get("/cart/").json())["sale_changed"] is None


@pytest.mark.parametrize("lines", [1, 8])
def test_a_cart_read_with_sales_moved_costs_the_same_queries_whatever_its_size(
    user_client, lines, django_assert_max_num_queries
):
    products = ProductFactory.create_batch(lines, price=Decimal("10.00"), stock_quantity=5)
    for item in products:
        user_client.post("/cart/items/", {"product_id": item.pk}, format="json")
    PromotionFactory(products=products, value=Decimal("10"))
    user_client.get("/cart/")  # the promotions memo is filled by the first read, as in a running shop

    with django_assert_max_num_queries(4):
        body = user_client.get("/cart/").json()

    assert [line["sale_changed"] for line in body["items"]] == [{"old": "10.00", "new": "9.00"}] * lines
