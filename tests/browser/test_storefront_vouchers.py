"""Vouchers in the reference storefront at /demo/, in a real Chromium: a customer and a guest type a code in the cart,
see the refusal the API words for shoppers, see the discount lines and the discounted totals, check out and find the
discounted total on the order; a code that covers everything leaves nothing to pay and no payment page. Screenshots
go to .ci/artifacts/browser/storefront-voucher-*.png."""

import re
from decimal import Decimal

import pytest

from shop.accounts.tests.factories import UserFactory
from shop.catalog.models import Product
from shop.discounts.models import Redemption
from shop.discounts.tests.factories import VoucherFactory
from shop.orders.models import Order
from shop.orders.tests.factories import ShippingMethodFactory
from shop.payments.models import Payment
from tests.browser.conftest import (
    STOREFRONT_PASSWORD,
    expect,
    guest_checkout_form,
    sandbox_pay,
    shot,
    storefront_login,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(lantern_shop):
    """The storefront's lantern and courier, and the demo's WELCOME10 (10 % off from a spend of 30.00)."""
    VoucherFactory(code="WELCOME10", name="Welcome", value=Decimal("10"), min_spend=Decimal("30.00"))
    return lantern_shop


def _add_lantern(page, quantity: int) -> None:
    page.locator("#products a", has_text="Storm Lantern").click()
    expect(page, "#product-name", "Storm Lantern")
    page.fill("#quantity", str(quantity))
    page.click("#add-to-cart")
    expect(page, "#nav-cart", f"Cart ({quantity})")
    page.click("#nav-cart")


def _apply(page, code: str) -> None:
    page.fill("#voucher-input", code)
    page.click("#apply-voucher")


def test_a_customer_applies_a_voucher_and_pays_the_discounted_total(fresh_page, live_server, shop):
    page = fresh_page
    UserFactory(email="bo@example.com", first_name="Bo", password=STOREFRONT_PASSWORD)
    storefront_login(page, "bo@example.com")
    _add_lantern(page, 1)
    expect(page, "#cart-total", "24.50")

    # Refused: the API's detail, word for word, beside the field; the cart is as it was.
    _apply(page, "nope")
    expect(page, "#voucher-error", "Code NOPE is not valid.")
    _apply(page, "welcome10")
    expect(page, "#voucher-error", "Code WELCOME10 needs a spend of at least 30.00 USD; your items come to 24.50 USD.")
    assert page.locator("#cart-total").inner_text() == "24.50"
    assert page.locator("#cart .discount-line").count() == 0
    shot(page, "storefront-voucher-refused")

    # Two lanterns reach the minimum spend: the code applies, the discount shows, the total follows.
    page.locator("#cart input.qty").fill("2")
    page.locator("#cart input.qty").press("Tab")
    expect(page, "#cart-total", "49.00")
    _apply(page, "welcome10")
    expect(page, "#flash-message", "Voucher WELCOME10 applied.")
    expect(page, "#voucher-code", "WELCOME10")
    line = expect(page, "#cart .discount-line", "Voucher WELCOME10")
    assert line.locator("td.discount").inner_text() == "−4.90"
    assert (page.locator("#cart-subtotal").inner_text(), page.locator("#cart-total").inner_text()) == (
        "49.00", "44.10")
    shot(page, "storefront-voucher-applied")

    # Checkout carries the cart's code: the summary shows it, the sandbox charges 44.10 + 5.00 courier.
    page.click("#to-checkout")
    checkout = expect(page, "#checkout-form")
    expect(page, "#checkout-items-total", "44.10")
    assert "Voucher WELCOME10" in page.locator("#checkout-discounts").inner_text()
    checkout.locator("input[name=address_line_1]").fill("2 Hill Street")
    checkout.locator("input[name=city]").fill("Nairobi")
    checkout.locator("input[name=country]").fill("KE")
    checkout.locator("label.choice", has_text="Sandbox").locator("input").check()
    checkout.locator("#place-order").click()
    sandbox_pay(page, "49.10")

    page.wait_for_url(re.compile(r"/demo/#/orders/\d+$"))
    expect(page, "#order-payment-status", "paid")
    expect(page, "#order-total", "49.10")
    assert "−4.90" in page.locator("tfoot .discount-line", has_text="Voucher WELCOME10").inner_text()
    shot(page, "storefront-voucher-order")

    order = Order.objects.get(user__email="bo@example.com")
    assert (order.subtotal, order.discount, order.total, order.payment_status) == (
        Decimal("49.00"), Decimal("4.90"), Decimal("49.10"), "paid")
    assert Redemption.objects.get(order=order).status == "consumed"


def test_a_guest_removes_a_voucher_then_one_covering_everything_leaves_nothing_to_pay(fresh_page, live_server, shop):
    page = fresh_page
    ShippingMethodFactory(name="Pick up in store", price=Decimal("0.00"))
    VoucherFactory(code="ONTHEHOUSE", name="On the house", value=Decimal("100"))
    _add_lantern(page, 2)

    _apply(page, "WELCOME10")
    expect(page, "#cart-total", "44.10")
    page.click("#remove-voucher")
    expect(page, "#flash-message", "Voucher WELCOME10 removed.")
    expect(page, "#cart-total", "49.00")
    assert page.locator("#cart .discount-line").count() == 0

    _apply(page, "onthehouse")
    expect(page, "#cart-total", "0.00")
    assert page.locator("#cart .discount-line td.discount").inner_text() == "−49.00"
    checkout = guest_checkout_form(page, "guest@example.com")
    checkout.locator("label.choice", has_text="Pick up in store").locator("input").check()
    checkout.locator("label.choice", has_text="Sandbox").locator("input").check()
    checkout.locator("#place-order").click()

    # No payment page: the order is confirmed, paid, at 0.00.
    page.wait_for_url(re.compile(r"/demo/#/guest-orders/ORD-[0-9A-F]+$"))
    expect(page, "#flash-message", "Nothing to pay")
    expect(page, "#order-payment-status", "paid")
    expect(page, "#nav-cart", "Cart (0)")
    assert page.locator("#order-total").inner_text() == "0.00"
    assert "null" not in page.locator("#view").inner_text()  # no shipment yet: nothing shown for it
    assert "Voucher ONTHEHOUSE −49.00" in page.locator("#order-discounts").inner_text()
    shot(page, "storefront-voucher-nothing-to-pay")
    order = Order.objects.get(email="guest@example.com")
    assert (order.total, order.payment_status, order.payment_method) == (Decimal("0.00"), "paid", "")
    assert not Payment.objects.exists()
    assert Product.objects.get(pk=shop.pk).stock_quantity == 3

    # Cancelling it refunds nothing and puts the lanterns back.
    page.click("#cancel-order")
    expect(page, "#order-status", "cancelled")
    assert Product.objects.get(pk=shop.pk).stock_quantity == 5
    assert Redemption.objects.get(order=order).status == "released"
