"""Guest carts under real concurrency (PostgreSQL): the guest cart's row lock serialises its checkouts and the
login merge, exactly as a user's cart lock does."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from shop.accounts.tests.factories import UserFactory
from shop.cart.guest import cart_merge_guest
from shop.cart.models import Cart, CartItem
from shop.catalog.tests.factories import ProductFactory
from shop.core.exceptions import NotFound
from shop.orders.models import Order
from shop.orders.tests.guests import ADDRESS, guest_cart
from shop.payments.guest import order_guest_place
from tests.concurrency import raised, resent_when_in_progress, run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _checkout_over_http(token: str, key: str | None = None):
    def call():
        headers = {"HTTP_X_CART_TOKEN": token, **({"HTTP_IDEMPOTENCY_KEY": key} if key else {})}
        response = APIClient().post("/orders/guest/checkout/", {
            "email": "tabs@example.com", "shipping_address": ADDRESS, "payment_method": "cod"}, format="json",
            **headers)
        return response.status_code, response.json()
    return call


@pytest.fixture
def cod(settings):
    settings.PAYMENT_METHODS = ["cod"]
    settings.SHOP_CURRENCY = "USD"


def test_two_tabs_checking_out_one_guest_cart_make_one_order(cod):
    product = ProductFactory(price=Decimal("10.00"), stock_quantity=10)
    token = guest_cart(APIClient(), (product, 3))

    results = run_concurrently(_checkout_over_http(token), _checkout_over_http(token))

    assert raised(results) == []
    statuses = sorted(status for status, _ in results)
    assert statuses == [201, 400], results
    refused = next(body for status, body in results if status == 400)
    assert refused["code"] == "cart_empty"  # the second tab found the cart already checked out
    assert Order.objects.count() == 1
    product.refresh_from_db()
    assert product.stock_quantity == 7


def test_two_tabs_with_the_same_idempotency_key_get_the_same_order(cod):
    product = ProductFactory(price=Decimal("10.00"), stock_quantity=10)
    token = guest_cart(APIClient(), (product, 2))

    calls = (_checkout_over_http(token, key="tab-key"),) * 2
    # A tab arriving while the other opens the order's payment is told to send it again: it then gets the order.
    results = resent_when_in_progress(run_concurrently(*calls), calls)

    assert raised(results) == []
    assert sorted(status for status, _ in results) == [200, 201]
    assert len({body["id"] for _, body in results}) == 1
    assert Order.objects.count() == 1


def test_a_login_merge_racing_a_guest_checkout_moves_the_lines_once(cod):
    product = ProductFactory(price=Decimal("10.00"), stock_quantity=10)
    token = guest_cart(APIClient(), (product, 2))
    user = UserFactory()

    def checkout():
        return order_guest_place(cart_token=token, email="tabs@example.com", shipping_address=ADDRESS,
                                 payment_method="cod")

    results = run_concurrently(checkout, lambda: cart_merge_guest(user=user, token=token))

    placed, merged = results
    user_lines = CartItem.objects.filter(cart__user=user).count()
    if isinstance(placed, Exception):  # the merge won: the lines are the user's, the checkout found no cart
        assert isinstance(placed, NotFound)
        assert (merged.lines_merged, user_lines, Order.objects.count()) == (1, 1, 0)
    else:  # the checkout won: one order, and the merge found an empty cart
        assert (merged.lines_merged, user_lines, Order.objects.count()) == (0, 0, 1)
    assert not Cart.objects.filter(user__isnull=True).exists()
    product.refresh_from_db()
    assert product.stock_quantity == 10 - 2 * Order.objects.count()
