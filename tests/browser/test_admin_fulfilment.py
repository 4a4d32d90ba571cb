"""A shop owner fulfils orders in the Django admin, in a real Chromium: ship then deliver one order, refund
another (part, a refused over-refund, then the rest). Screenshots: .ci/artifacts/browser/admin-fulfil-*.png."""

from decimal import Decimal

import pytest

from shop.accounts.tests.factories import UserFactory
from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order
from shop.orders.tests.factories import paid_order
from tests.browser.conftest import admin_login, expect, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sandbox(settings):
    settings.PAYMENT_METHODS = ["sandbox", "cod"]
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.SHOP_CURRENCY = "USD"


@pytest.fixture
def order(sandbox):
    customer = UserFactory(email="grace@example.com", first_name="Grace", last_name="Hopper")
    return paid_order(customer, ProductFactory(name="Brass Desk Lamp", price=Decimal("45.00"), stock_quantity=8))


def _open(page, live_server, order):
    page.goto(f"{live_server.url}/admin/orders/order/{order.pk}/change/")
    expect(page, "h2", order.order_key)


def test_admin_ships_then_delivers_an_order(page, live_server, staff, order):
    admin_login(page, live_server, staff)
    page.goto(f"{live_server.url}/admin/orders/order/?q=grace%40example.com")
    expect(page, "#result_list tbody tr", order.order_key).locator("th a").click()
    expect(page, ".field-payments_and_refunds", "Succeeded")
    shot(page, "admin-fulfil-order-paid")

    page.click("a.fulfil-ship")
    page.fill("#id_carrier", "DHL")
    page.fill("#id_tracking_number", "JD014600006281")
    page.fill("#id_tracking_url", "https://track.example.com/JD014600006281")
    shot(page, "admin-fulfil-ship-form")
    page.click("input[name=_fulfil]")
    expect(page, ".messagelist .success", f"Order {order.order_key} shipped.")
    expect(page, ".field-shipment_and_tracking", "JD014600006281")

    page.click("a.fulfil-deliver")
    page.fill("#id_note", "Signed for at the door")
    page.click("input[name=_fulfil]")
    expect(page, ".messagelist .success", f"Order {order.order_key} delivered.")
    tracking = expect(page, ".field-shipment_and_tracking").inner_text()
    assert "Delivered" in tracking and "DHL" in tracking
    assert page.locator("a.fulfil-ship, a.fulfil-deliver, a.fulfil-cancel").count() == 0  # nothing left to do
    shot(page, "admin-fulfil-delivered")

    order.refresh_from_db()
    assert (order.status, order.shipment.status, order.shipment.tracking_number) == (
        Order.Status.DELIVERED, "DELIVERED", "JD014600006281")
    assert order.shipment.delivered_at is not None
    assert list(order.status_history.values_list("to_status", flat=True))[-2:] == ["shipped", "delivered"]


def test_admin_refunds_an_order_in_two_steps(page, live_server, staff, order):
    payment = order.payments.get()
    admin_login(page, live_server, staff)
    _open(page, live_server, order)

    page.click("a.fulfil-refund")
    page.fill("#id_amount", "15.00")
    page.select_option("#id_reason", "requested_by_customer")
    page.click("input[name=_fulfil]")
    expect(page, ".messagelist .success", "15.00 USD refunded")

    page.click("a.fulfil-refund")
    page.fill("#id_amount", "31.00")  # 30.00 is left
    page.click("input[name=_fulfil]")
    expect(page, ".messagelist .error", "Refund amount 31.00 exceeds what is left to refund (30.00).")
    shot(page, "admin-fulfil-refund-refused")

    page.fill("#id_amount", "")  # empty: everything left
    page.click("input[name=_fulfil]")
    expect(page, ".messagelist .success", "45.00 USD refunded")
    refunds = expect(page, ".field-payments_and_refunds").inner_text()
    assert "Refunded" in refunds and "15.00 succeeded" in refunds and "30.00 succeeded" in refunds
    assert page.locator("a.fulfil-refund").count() == 0
    shot(page, "admin-fulfil-refunded")

    payment.refresh_from_db()
    order.refresh_from_db()
    assert (payment.status, payment.amount_refunded, order.payment_status) == (
        "refunded", Decimal("45.00"), "refunded")
    assert list(payment.refunds.order_by("id").values_list("amount", flat=True)) == [Decimal("15.00"),
                                                                                    Decimal("30.00")]
