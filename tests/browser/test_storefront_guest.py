"""The reference storefront at /demo/ for a guest, in a real Chromium: buy without an account (guest cart, guest
checkout, the sandbox's page, back to the order opened by its access token), and log in with a guest cart that
then becomes the account's. Screenshots go to .ci/artifacts/browser/storefront-guest-*.png."""

import re
from decimal import Decimal

import pytest

from shop.accounts.tests.factories import UserFactory
from shop.cart.models import Cart, CartItem
from shop.catalog.models import Product
from shop.orders.models import Order
from tests.browser.conftest import expect, guest_checkout_form, sandbox_pay, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Storefront-Pass-1"


@pytest.fixture
def shop(lantern_shop):
    return lantern_shop


def test_a_guest_buys_with_the_sandbox_without_an_account(fresh_page, live_server, shop):
    page = fresh_page
    page.locator("#products a", has_text="Storm Lantern").click()
    expect(page, "#product-name", "Storm Lantern")
    page.click("#add-to-cart")
    expect(page, "#flash-message", "is in your cart")
    expect(page, "#nav-cart", "Cart (1)")
    token = page.evaluate("localStorage.getItem('shop.cartToken')")
    assert token and Cart.objects.filter(user__isnull=True).count() == 1

    page.click("#nav-cart")
    expect(page, "#cart-total", "24.50")
    checkout = guest_checkout_form(page, "Guest@Example.com")
    checkout.locator("label.choice", has_text="Sandbox").locator("input").check()
    shot(page, "storefront-guest-checkout")
    checkout.locator("#place-order").click()

    sandbox_pay(page, "29.50")

    page.wait_for_url(re.compile(r"/demo/#/guest-orders/ORD-[0-9A-F]+$"))
    expect(page, "#order-payment-status", "paid")
    expect(page, "#flash-message", "payment went through")
    shot(page, "storefront-guest-order-paid")

    order = Order.objects.get()
    assert (order.user, order.email, order.payment_status, order.total) == (
        None, "guest@example.com", "paid", Decimal("29.50"))
    assert page.locator("#order-key").inner_text() == order.order_key
    assert Product.objects.get(pk=shop.pk).stock_quantity == 4
    # The page read the order with the token it kept; without it the API says "not found".
    kept = page.evaluate(f"JSON.parse(localStorage.getItem('shop.guestOrders'))['{order.order_key}']")
    assert kept
    page.evaluate("localStorage.removeItem('shop.guestOrders')")
    page.reload()
    expect(page, "h1", "Not found")
    # The e-mail's link carries the token: it opens the order again.
    page.goto(f"{live_server.url}/demo/#/guest-orders/{order.order_key}?token={kept}")
    expect(page, "#order-payment-status", "paid")


def test_logging_in_with_a_guest_cart_brings_it_into_the_account(fresh_page, live_server, shop):
    page = fresh_page
    UserFactory(email="bo@example.com", first_name="Bo", password=PASSWORD)
    page.locator("#products a", has_text="Storm Lantern").click()
    expect(page, "#product-name", "Storm Lantern")
    page.fill("#quantity", "2")
    page.click("#add-to-cart")
    expect(page, "#nav-cart", "Cart (2)")

    page.click("#nav-login")
    form = expect(page, "#login-form")
    form.locator("input[name=email]").fill("bo@example.com")
    form.locator("input[name=password]").fill(PASSWORD)
    form.get_by_role("button", name="Log in").click()
    expect(page, "#nav-user", "bo@example.com")
    expect(page, "#nav-cart", "Cart (2)")
    shot(page, "storefront-guest-cart-merged")

    assert page.evaluate("localStorage.getItem('shop.cartToken')") is None
    assert not Cart.objects.filter(user__isnull=True).exists()
    assert CartItem.objects.get(cart__user__email="bo@example.com").quantity == 2
