"""A cart holds no more than one order can: the money columns' ten whole digits (found by a tester: 1000 units at
9999999999.99 were accepted and answered as "9999999990000.00", a total no order can hold and the schema's pattern
refused). Amounts the API answers that are not one stored amount (the cart at today's prices, sums over orders or
payments) are published without a bound on their whole digits."""

import re
from decimal import Decimal

import jsonschema
import pytest
import yaml

from shop.cart.models import CartItem
from shop.catalog.tests.factories import ProductFactory
from shop.discounts.tests.factories import PromotionFactory
from shop.orders.models import Order
from shop.pricing.models import TaxClass, TaxRate

pytestmark = pytest.mark.django_db
TOP = Decimal("9999999999.99")  # the largest price a product can have


def _add(client, product, quantity):
    return client.post("/cart/items/", {"product_id": product.pk, "quantity": quantity}, format="json")


def _refused_naming_quantity(response):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "order_too_large" and list(body["errors"]) == ["quantity"], body
    assert "more than one order can hold" in body["detail"]


def test_a_line_worth_more_than_an_order_can_hold_is_refused_and_the_cart_is_unchanged(user_client):
    product = ProductFactory(price=TOP, stock_quantity=1000)

    response = _add(user_client, product, 1000)

    _refused_naming_quantity(response)
    assert "1000 x" in response.json()["detail"]
    assert not CartItem.objects.exists()


def test_lines_that_fit_alone_but_not_together_refuse_the_one_that_tips_the_cart(user_client):
    first, second = (ProductFactory(price=Decimal("6000000000.00"), stock_quantity=5) for _ in range(2))
    assert _add(user_client, first, 1).status_code == 200

    response = _add(user_client, second, 1)

    _refused_naming_quantity(response)
    assert list(CartItem.objects.values_list("product_id", "quantity")) == [(first.pk, 1)]


@pytest.mark.parametrize("method", ["put", "patch"])
def test_raising_a_quantity_past_the_limit_is_refused_and_the_line_keeps_its_quantity(user_client, method):
    product = ProductFactory(price=Decimal("4000000000.00"), stock_quantity=5)
    assert _add(user_client, product, 2).status_code == 200
    item = CartItem.objects.get()

    response = getattr(user_client, method)(f"/cart/items/{item.pk}/", {"quantity": 3}, format="json")
    lowered = getattr(user_client, method)(f"/cart/items/{item.pk}/", {"quantity": 1}, format="json")

    _refused_naming_quantity(response)
    assert lowered.status_code == 200 and CartItem.objects.get().quantity == 1


def test_tax_added_to_net_prices_counts(user_client, settings):
    settings.PRICES_INCLUDE_TAX = False
    settings.SHOP_COUNTRY = "DE"
    TaxRate.objects.create(tax_class=TaxClass.objects.get(is_default=True), country="DE", rate=Decimal(25))
    product = ProductFactory(price=Decimal("9000000000.00"), stock_quantity=5)  # 11250000000.00 with tax

    _refused_naming_quantity(_add(user_client, product, 1))
    assert not CartItem.objects.exists()


def test_a_cart_just_under_the_limit_is_answered_as_the_schema_says(user_client, api_client):
    product = ProductFactory(price=Decimal("9999999.99"), stock_quantity=1000)

    response = _add(user_client, product, 1000)

    assert response.status_code == 200, response.content
    assert response.json()["total"] == "9999999990.00"
    _validate(api_client, "/cart/items/", "post", response.json())


def test_a_checkout_whose_lines_pass_the_limit_is_refused_even_when_a_sale_brings_the_total_under(
    user_client, settings
):
    settings.PAYMENT_METHODS = ["cod"]
    product = ProductFactory(price=TOP, stock_quantity=5)
    PromotionFactory(products=[product], value=Decimal("60"))  # 2 x TOP = 19999999999.98, total 7999999999.99

    response = user_client.post("/orders/checkout/", {"items": [{"product_id": product.pk, "quantity": 2}],
                                                      "payment_method": "cod"}, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "order_too_large"
    assert not Order.objects.exists()


def test_a_cart_repriced_past_the_limit_after_the_hold_still_matches_the_schema(user_client, api_client, settings):
    product = ProductFactory(price=Decimal("9999999.99"), stock_quantity=1000)
    assert _add(user_client, product, 1000).status_code == 200
    product.price = TOP  # staff raise the price; the hold runs out
    product.save()
    settings.CART_PRICE_HOLD_MINUTES = 0

    body = user_client.get("/cart/").json()

    assert body["total"] == "9999999999990.00"
    _validate(api_client, "/cart/", "get", body)


def _validate(api_client, path, method, body):
    schema = yaml.safe_load(api_client.get("/api/schema/").content)
    response = schema["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
    jsonschema.validate(body, {**_nullable(response), "components": _nullable(schema["components"])})


def _nullable(node):
    if isinstance(node, list):
        return [_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _nullable(value) for key, value in node.items() if key != "nullable"}
    return {"anyOf": [converted, {"type": "null"}]} if node.get("nullable") is True else converted


def test_only_sums_and_the_carts_figures_are_published_without_a_bound(api_client):
    schema = yaml.safe_load(api_client.get("/api/schema/").content)
    unbounded = sorted(f"{name}.{field}" for name, component in schema["components"]["schemas"].items()
                       for field, spec in component.get("properties", {}).items()
                       if spec.get("format") == "decimal" and re.search(r"\\d\+", spec.get("pattern", "")))

    assert unbounded == [
        "CartItemOutput.discount", "CartItemOutput.gross", "CartItemOutput.item_total", "CartItemOutput.net",
        "CartItemOutput.tax", "CartOutput.cart_total", "CartOutput.discount", "CartOutput.subtotal",
        "CartOutput.tax_total", "CartOutput.total", "CartTaxLineOutput.amount", "CartTaxLineOutput.base",
        "DiscountOutput.amount", "GuestCartCreatedOutput.cart_total", "GuestCartCreatedOutput.discount",
        "GuestCartCreatedOutput.subtotal", "GuestCartCreatedOutput.tax_total", "GuestCartCreatedOutput.total",
        "StatisticsOutput.total_spent", "UsageOutput.amount_discounted", "VoucherUsageOutput.amount_discounted",
    ]
    # Everything else (prices, stored order, payment and refund amounts) keeps the columns' ten whole digits.
