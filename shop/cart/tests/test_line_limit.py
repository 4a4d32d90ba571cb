"""At most ORDER_MAX_LINES (100) lines an order, as docs/SECURITY.md (API4) promises, whichever way the order is made
(found by a tester: a direct order of 101 items was refused, but 107 products added to the cart one by one were all
accepted and checked out as an order of 107 lines)."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from shop.accounts.tests.helpers import login
from shop.cart.models import ORDER_MAX_LINES, Cart, CartItem
from shop.cart.tests.factories import CartItemFactory
from shop.catalog.models import Product
from shop.catalog.tests.factories import ProductFactory
from shop.orders.api.serializers import CheckoutInput
from shop.orders.models import Order
from shop.orders.tests.guests import ADDRESS, guest_cart, guest_checkout

pytestmark = pytest.mark.django_db


def _fill(cart: Cart, lines: int) -> list:
    """``lines`` lines of different products in ``cart``, written as a cart made before the limit could be."""
    products = ProductFactory.create_batch(lines, price=Decimal("2.00"), stock_quantity=5)
    for product in products:
        CartItemFactory(cart=cart, product=product, quantity=1)
    return products


def _refused(response, *, lines_to_remove: int, lines: int):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "too_many_lines", body
    assert (body["max_lines"], body["lines_to_remove"]) == (ORDER_MAX_LINES, lines_to_remove)
    assert f"at most {ORDER_MAX_LINES} lines" in body["detail"] and f"would hold {lines}" in body["detail"]
    assert f"remove {lines_to_remove} line" in body["detail"]


def test_the_limit_is_the_one_security_md_promises_and_direct_orders_keep(user_client):
    fields = CheckoutInput().fields
    assert ORDER_MAX_LINES == 100 == fields["items"].max_length == fields["cart_items"].max_length
    product = ProductFactory(stock_quantity=1000)

    response = user_client.post("/orders/checkout/", {"shipping_address": ADDRESS, "items": [
        {"product_id": product.pk, "quantity": 1}] * (ORDER_MAX_LINES + 1)}, format="json")

    assert response.status_code == 400 and "items" in response.json()["errors"], response.content


def test_a_new_line_in_a_full_cart_is_refused_and_adding_to_a_line_it_holds_is_not(user, user_client):
    cart = Cart.objects.create(user=user)
    products = _fill(cart, ORDER_MAX_LINES - 1)
    one_more, too_many = ProductFactory(stock_quantity=5), ProductFactory(stock_quantity=5)

    assert user_client.post("/cart/items/", {"product_id": one_more.pk}, format="json").status_code == 200
    refused = user_client.post("/cart/items/", {"product_id": too_many.pk}, format="json")
    more_of_one = user_client.post("/cart/items/", {"product_id": products[0].pk, "quantity": 2}, format="json")

    _refused(refused, lines_to_remove=1, lines=ORDER_MAX_LINES + 1)
    assert more_of_one.status_code == 200, more_of_one.content
    assert len(more_of_one.json()["items"]) == ORDER_MAX_LINES
    assert CartItem.objects.filter(cart=cart).count() == ORDER_MAX_LINES
    assert not CartItem.objects.filter(product=too_many).exists()
    assert CartItem.objects.get(product=products[0]).quantity == 3


def test_a_guest_cart_has_the_same_limit():
    guest = APIClient()
    token = guest_cart(guest)
    _fill(Cart.objects.get(user__isnull=True), ORDER_MAX_LINES)

    response = guest.post("/cart/items/", {"product_id": ProductFactory(stock_quantity=5).pk}, format="json",
                          HTTP_X_CART_TOKEN=token)

    _refused(response, lines_to_remove=1, lines=ORDER_MAX_LINES + 1)


def test_checking_out_a_cart_over_the_limit_says_how_many_lines_to_remove_and_changes_nothing(
    user, user_client, settings
):
    settings.PAYMENT_METHODS = ["cod"]
    cart = Cart.objects.create(user=user)
    products = _fill(cart, 107)

    response = user_client.post("/orders/checkout/", {"payment_method": "cod", "shipping_address": ADDRESS},
                                format="json")

    _refused(response, lines_to_remove=7, lines=107)
    assert not Order.objects.exists()
    assert CartItem.objects.filter(cart=cart).count() == 107
    assert set(Product.objects.filter(pk__in=[p.pk for p in products]).values_list("stock_quantity", flat=True)) == {5}
    # Once the customer removes 7 lines, the same cart is checked out.
    for item in CartItem.objects.filter(cart=cart).order_by("-id")[:7]:
        assert user_client.delete(f"/cart/items/{item.pk}/").status_code == 200
    placed = user_client.post("/orders/checkout/", {"payment_method": "cod", "shipping_address": ADDRESS},
                              format="json")
    assert placed.status_code == 201, placed.content
    assert len(placed.json()["items"]) == ORDER_MAX_LINES


def test_a_guest_checkout_of_a_cart_over_the_limit_is_refused_the_same_way(settings):
    settings.PAYMENT_METHODS = ["cod"]
    guest = APIClient()
    token = guest_cart(guest)
    _fill(Cart.objects.get(user__isnull=True), ORDER_MAX_LINES + 1)

    response = guest_checkout(guest, token, payment_method="cod")

    _refused(response, lines_to_remove=1, lines=ORDER_MAX_LINES + 1)
    assert not Order.objects.exists()


def test_a_login_merge_leaves_out_new_lines_past_the_limit_and_reports_them(user):
    mine = _fill(Cart.objects.create(user=user), ORDER_MAX_LINES - 2)
    first, second, third, fourth = ProductFactory.create_batch(4, price=Decimal("3.00"), stock_quantity=5)
    guest = APIClient()
    token = guest_cart(guest, (first, 1), (mine[0], 2), (second, 1), (third, 1), (fourth, 2))

    response = login(guest, user.email, HTTP_X_CART_TOKEN=token)

    assert response.status_code == 200, response.content
    report = response.json()["cart_merge"]
    assert report["lines_merged"] == 3  # first and second take the two places left; mine[0] adds to a line held
    assert [(a["kind"], a["product_id"], a["requested_quantity"], a["quantity"]) for a in report["adjustments"]] == [
        ("dropped_too_many_lines", third.pk, 1, 0), ("dropped_too_many_lines", fourth.pk, 2, 0)]
    lines = dict(CartItem.objects.filter(cart__user=user).values_list("product_id", "quantity"))
    assert len(lines) == ORDER_MAX_LINES
    assert (lines[first.pk], lines[second.pk], lines[mine[0].pk]) == (1, 1, 3)
    assert third.pk not in lines and fourth.pk not in lines
    assert not Cart.objects.filter(user__isnull=True).exists()


def test_a_merge_never_removes_the_users_own_lines_over_the_limit(user):
    mine = _fill(Cart.objects.create(user=user), ORDER_MAX_LINES + 3)  # kept from before the limit
    new = ProductFactory(stock_quantity=5)
    guest = APIClient()
    token = guest_cart(guest, (new, 1), (mine[5], 1))

    report = login(guest, user.email, HTTP_X_CART_TOKEN=token).json()["cart_merge"]

    assert [(a["kind"], a["product_id"]) for a in report["adjustments"]] == [("dropped_too_many_lines", new.pk)]
    assert report["lines_merged"] == 1
    assert CartItem.objects.filter(cart__user=user).count() == ORDER_MAX_LINES + 3
    assert CartItem.objects.get(cart__user=user, product=mine[5]).quantity == 2
