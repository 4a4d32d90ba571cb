"""The reference storefront at /demo/, used by a customer in a real Chromium: sign up, find a product, fill the
cart, check out, pay on the sandbox's page and come back to the paid order. Screenshots of each step go to
.ci/artifacts/browser/storefront-*.png."""

import re
from decimal import Decimal

import pytest

from shop.accounts.tests.factories import UserFactory
from shop.catalog.models import Product
from shop.catalog.tests.factories import ProductFactory, ProductVariantFactory
from shop.orders.models import Order
from shop.orders.services import order_ship, shipment_event_add
from tests.browser.conftest import expect, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Storefront-Pass-1"


@pytest.fixture
def shop(lantern_shop):
    """The lantern and courier of ``lantern_shop``, and a kettle beside them."""
    ProductFactory(name="Camp Kettle", slug="camp-kettle", price=Decimal("31.00"))
    return lantern_shop


def test_a_customer_buys_one_product_through_the_storefront(page, live_server, shop):
    page.goto(f"{live_server.url}/demo/#/signup")

    # Sign up (cookie mode: the tokens become HttpOnly cookies; the page never sees them).
    form = expect(page, "#signup-form")
    form.locator("input[name=first_name]").fill("Ada")
    form.locator("input[name=last_name]").fill("Shopper")
    form.locator("input[name=email]").fill("ada@example.com")
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("input[name=password2]").fill(PASSWORD)
    form.get_by_role("button", name="Sign up").click()
    expect(page, "#nav-user", "ada@example.com")
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert cookies["access_token"]["httpOnly"] and cookies["refresh_token"]["httpOnly"]
    assert "access_token" not in page.evaluate("document.cookie")

    # Search, open the product, add it to the cart.
    page.fill("#search", "lantern")
    page.press("#search", "Enter")
    expect(page, "h1", "Results for")
    assert page.locator("#products li").count() == 1
    shot(page, "storefront-search")
    page.locator("#products a", has_text="Storm Lantern").click()
    expect(page, "#product-name", "Storm Lantern")
    page.click("#add-to-cart")
    expect(page, "#flash-message", "is in your cart")
    expect(page, "#nav-cart", "Cart (1)")
    shot(page, "storefront-product")

    # The cart: change the quantity (PATCH with the CSRF header), see the total follow.
    page.click("#nav-cart")
    expect(page, "#cart-total", "24.50")
    page.locator("#cart input.qty").fill("2")
    page.locator("#cart input.qty").press("Tab")
    expect(page, "#cart-total", "49.00")
    shot(page, "storefront-cart")

    # Checkout: a new address (saved to the address book), the courier, the sandbox.
    page.click("#to-checkout")
    checkout = expect(page, "#checkout-form")
    checkout.locator("input[name=address_line_1]").fill("1 Harbour Road")
    checkout.locator("input[name=city]").fill("Mombasa")
    checkout.locator("input[name=postal_code]").fill("80100")
    checkout.locator("input[name=country]").fill("KE")
    assert checkout.locator("input[name=shipping_method]").first.is_checked()
    checkout.locator("label.choice", has_text="Sandbox").locator("input").check()
    shot(page, "storefront-checkout")
    checkout.locator("#place-order").click()

    # The sandbox's payment page (a plain redirect, authorised by the signed link), then back to the shop.
    page.wait_for_url(re.compile(r"/payments/sandbox/pay/[^/]+/$"))
    expect(page, "#amount", "54.00")
    shot(page, "storefront-sandbox-page")
    page.get_by_role("button", name="Succeed").click()

    page.wait_for_url(re.compile(r"/demo/#/orders/\d+$"))
    expect(page, "#order-payment-status", "paid")
    expect(page, "#flash-message", "payment went through")
    assert "status=paid" not in page.url  # the hint was read once and removed from the address bar
    shot(page, "storefront-order-paid")

    order = Order.objects.get(user__email="ada@example.com")
    assert (order.status, order.payment_status, order.is_fully_paid, order.total) == (
        "processing", "paid", True, Decimal("54.00"))
    assert order.shipping_address.city == "Mombasa"
    assert page.locator("#order-key").inner_text() == order.order_key
    assert Product.objects.get(pk=shop.pk).stock_quantity == 3

    # The order list shows it too.
    page.click("#nav-orders")
    row = expect(page, "#orders tbody tr", order.order_key)
    assert "paid" in row.inner_text()
    shot(page, "storefront-orders")

    # Staff ship it with tracking: the order page shows the shipment, its link and its events, in words.
    order_ship(order_id=order.pk, by=None, carrier="DHL Express", tracking_number="JD014600001",
               tracking_url="https://track.example.com/JD014600001", note="Fragile, ask Sam")
    shipment_event_add(order_id=order.pk, status="IN_TRANSIT", location="Nairobi")
    page.locator("#orders a", has_text=order.order_key).click()
    expect(page, "#shipment-status", "In transit")
    assert page.locator("#shipment-carrier").inner_text() == "DHL Express"
    assert page.locator("#tracking-number").inner_text() == "JD014600001"
    assert page.locator("#tracking-link").get_attribute("href") == "https://track.example.com/JD014600001"
    events = page.locator("#shipment-events li").all_inner_texts()  # newest first
    assert [event.endswith(words) for event, words in zip(events, (
        "In transit (Nairobi)", "Shipped — Order shipped", "Order placed"), strict=True)] == [True, True, True]
    shot(page, "storefront-order-shipped")


def test_variants_cart_edits_a_lapsed_session_and_paying_again_after_a_declined_card(page, live_server, shop):
    UserFactory(email="bo@example.com", first_name="Bo", password=PASSWORD)
    shirt = ProductFactory(name="Linen Shirt", slug="linen-shirt", price=Decimal("40.00"), stock_quantity=0)
    ProductVariantFactory(product=shirt, name="M / sand", stock_quantity=0)
    large = ProductVariantFactory(product=shirt, name="L / sky", stock_quantity=4, price_override=Decimal("45.00"))

    page.goto(f"{live_server.url}/demo/#/login")
    form = expect(page, "#login-form")
    form.locator("input[name=email]").fill("bo@example.com")
    form.locator("input[name=password]").fill(PASSWORD)
    form.get_by_role("button", name="Log in").click()
    expect(page, "#nav-user", "bo@example.com")
    expect(page, "#flash-message", "Welcome, Bo")

    # A product with variants: the sold-out option cannot be chosen, the price follows the choice.
    page.locator("#products a", has_text="Linen Shirt").click()
    expect(page, "#product-name", "Linen Shirt")
    assert page.locator("#variant option", has_text="M / sand").is_disabled()
    page.select_option("#variant", label="L / sky")
    expect(page, "#price", "45.00")
    shot(page, "storefront-variants")
    page.click("#add-to-cart")
    expect(page, "#nav-cart", "Cart (1)")
    page.click("#nav-shop")
    page.locator("#products a", has_text="Storm Lantern").click()
    expect(page, "#product-name", "Storm Lantern")
    page.click("#add-to-cart")
    expect(page, "#nav-cart", "Cart (2)")

    # Remove a line.
    page.click("#nav-cart")
    expect(page, "#cart tbody tr", "L / sky")
    page.locator("#cart tbody tr", has_text="Storm Lantern").get_by_role("button", name="Remove").click()
    expect(page, "#cart-total", "45.00")
    assert page.locator("#cart tbody tr").count() == 1

    # The 5-minute access cookie lapses: the page refreshes it from the refresh cookie and carries on.
    page.context.clear_cookies(name="access_token")
    page.click("#to-checkout")
    checkout = expect(page, "#checkout-form")  # its four reads answered 401 once, then went through
    assert "access_token" in {cookie["name"] for cookie in page.context.cookies()}
    checkout.locator("input[name=address_line_1]").fill("2 Hill Street")
    checkout.locator("input[name=city]").fill("Nairobi")
    checkout.locator("input[name=country]").fill("KE")
    checkout.locator("#place-order").click()

    # The card is declined: back on the order, unpaid, with a way to pay again.
    page.wait_for_url(re.compile(r"/payments/sandbox/pay/[^/]+/$"))
    page.get_by_role("button", name="Fail").click()
    page.wait_for_url(re.compile(r"/demo/#/orders/\d+$"))
    expect(page, "#order-payment-status", "unpaid")
    expect(page, "#flash-message", "did not go through")
    shot(page, "storefront-payment-declined")
    page.click("#pay-now")
    page.wait_for_url(re.compile(r"/payments/sandbox/pay/[^/]+/$"))
    page.get_by_role("button", name="Succeed").click()
    expect(page, "#order-payment-status", "paid")

    order = Order.objects.get(user__email="bo@example.com")
    assert (order.payment_status, order.total) == ("paid", Decimal("50.00"))
    assert [(item.variant_id, item.quantity) for item in order.items.all()] == [(large.pk, 1)]
    # Every attempt is kept: the declined one stays failed beside the one that paid.
    assert sorted(order.payments.values_list("status", flat=True)) == ["failed", "succeeded"]
