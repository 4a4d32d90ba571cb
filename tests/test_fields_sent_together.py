"""Two spellings of one field (or two ways of saying one thing) sent together are a 400 naming both, never one of
them silently used (``shop.core.serializers.refuse_together``).

Found by a tester: a checkout with both ``items`` and ``cart_items`` used ``items`` and dropped ``cart_items``; a line
with ``product`` and ``product_id`` (or ``variant`` and ``variant_id``) used one of them the same way.
"""

import pytest

from shop.cart.models import CartItem
from shop.cart.tests.factories import CartItemFactory
from shop.catalog.tests.factories import ProductFactory, ProductVariantFactory
from shop.discounts.tests.factories import VoucherFactory
from shop.orders.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_products(user):
    """Two products in stock, the first one in the user's cart."""
    first, second = ProductFactory(stock_quantity=5), ProductFactory(stock_quantity=5)
    CartItemFactory(cart__user=user, product=first)
    return first, second


def _nothing_placed(first):
    assert not Order.objects.exists()
    assert CartItem.objects.filter(product=first).exists()


@pytest.mark.parametrize("url", ["/orders/checkout/", "/orders/", "/api/shop/checkout/cart"])
def test_items_and_cart_items_together_are_a_400_naming_both(user_client, payments_on, two_products, url):
    first, second = two_products
    body = {"items": [{"product_id": first.pk, "quantity": 1}], "cart_items": [{"product_id": second.pk}],
            "payment_method": "cod"}

    response = user_client.post(url, body, format="json")

    assert response.status_code == 400, response.content
    message = "Send `items` or `cart_items`, not both."
    assert response.json() == {"detail": f"items: {message}", "code": "invalid",
                               "errors": {"items": [message], "cart_items": [message]}}
    _nothing_placed(first)


def test_the_same_lines_under_both_names_are_refused_too(user_client, payments_on, two_products):
    """Sent twice, the client still has to say which one it meant: one rule, whatever the values."""
    first, _ = two_products
    lines = [{"product_id": first.pk, "quantity": 1}]

    response = user_client.post("/orders/checkout/", {"items": lines, "cart_items": lines}, format="json")

    assert response.status_code == 400 and set(response.json()["errors"]) == {"items", "cart_items"}
    _nothing_placed(first)


@pytest.mark.parametrize(("line", "names"), [
    ({"product_id": "first", "product": "second"}, ("product_id", "product")),
    ({"product_id": "first", "product": "first"}, ("product_id", "product")),
    ({"variant_id": "variant", "variant": "variant"}, ("variant_id", "variant")),
])
def test_a_line_naming_its_product_or_variant_twice_is_a_400_naming_both(user_client, payments_on, two_products,
                                                                          line, names):
    first, second = two_products
    values = {"first": first.pk, "second": second.pk, "variant": ProductVariantFactory(product=second).pk}

    response = user_client.post("/orders/checkout/", {"items": [{key: values[value] for key, value in line.items()}],
                                                      "payment_method": "cod"}, format="json")

    assert response.status_code == 400, response.content
    message = f"Send `{names[0]}` or `{names[1]}`, not both."
    assert response.json()["errors"] == {"items": {"0": {name: [message] for name in names}}}
    _nothing_placed(first)


def test_either_spelling_alone_and_a_null_beside_it_still_work(user_client, payments_on, two_products):
    """A null is not a value: ``{"product_id": 7, "product": null}`` names one product."""
    _, second = two_products

    response = user_client.post("/orders/checkout/", {"cart_items": [{"product": second.pk, "product_id": None}],
                                                      "payment_method": "cod"}, format="json")

    assert response.status_code == 201, response.content
    assert [line["product"]["id"] for line in response.json()["items"]] == [second.pk]


def test_voucher_codes_generated_and_listed_at_once_are_a_400_naming_both(staff_client):
    voucher = VoucherFactory()
    codes_before = sorted(voucher.codes.values_list("code", flat=True))

    response = staff_client.post(f"/discounts/vouchers/{voucher.pk}/codes/", {"count": 3, "codes": ["SPRING-1"]},
                                 format="json")

    assert response.status_code == 400, response.content
    message = "Send `count` or `codes`, not both."
    assert response.json()["errors"] == {"count": [message], "codes": [message]}
    assert sorted(voucher.codes.values_list("code", flat=True)) == codes_before


def test_a_payment_named_twice_for_a_sync_is_a_400_naming_both(user_client):
    response = user_client.post("/payments/sync-status/", {"payment_id": 1, "payment_intent_id": "pi_1"},
                                format="json")

    assert response.status_code == 400, response.content
    message = "Send `payment_id` or `payment_intent_id`, not both."
    assert response.json()["errors"] == {"payment_id": [message], "payment_intent_id": [message]}
