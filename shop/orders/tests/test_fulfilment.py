"""An order waiting for its online payment cannot ship: every path that moves the goods asks the same rule
(``shop.orders.policy.order_fulfilment_check``), unless it is cash on delivery or the shop allows it
(``ORDERS_ALLOW_UNPAID_FULFILMENT``)."""

from decimal import Decimal

import pytest
from django.core import mail

from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order
from shop.payments.models import Payment, SandboxCharge

from .factories import SHIP_TO, pay_order, place_order

pytestmark = pytest.mark.django_db

MOVING_EVENTS = ["SHIPPED", "IN_TRANSIT", "OUT_FOR_DELIVERY"]  # on a processing order: they ship it


@pytest.fixture
def product():
    return ProductFactory(price=Decimal("10.00"), stock_quantity=10)


@pytest.fixture
def unpaid(user, user_client, product, settings) -> Order:
    """Checked out with the sandbox; the customer has not paid yet (the payment is pending)."""
    settings.PAYMENTS_SANDBOX_ENABLED = True
    response = user_client.post("/orders/checkout/", {"items": [{"product_id": product.pk, "quantity": 2}],
                                                      "payment_method": "sandbox", "shipping_address": SHIP_TO},
                                format="json")
    assert response.status_code == 201, response.json()
    assert Payment.objects.get(pk=response.json()["payment_id"]).status == "pending"
    return Order.objects.get(pk=response.json()["id"])


def _unchanged(order: Order, *, history: int, events: int) -> None:
    order.refresh_from_db()
    assert (order.status, order.status_history.count(), order.shipment.events.count(), order.shipment.status) == (
        "processing", history, events, "ORDER_PLACED")


@pytest.mark.parametrize("path", ["/orders/admin/{id}/status/", "/orders/{id}/status/"])
def test_staff_cannot_ship_an_order_waiting_for_its_online_payment(staff_client, unpaid, path,
                                                                    django_capture_on_commit_callbacks):
    history, events = unpaid.status_history.count(), unpaid.shipment.events.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.patch(path.format(id=unpaid.pk), {"status": "shipped"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": f"Order {unpaid.order_key} is waiting for its online payment; it cannot be shipped or delivered "
                  "before it is paid.",
        "code": "order_not_paid"}
    _unchanged(unpaid, history=history, events=events)
    assert mail.outbox == []


@pytest.mark.parametrize("status", MOVING_EVENTS)
def test_no_tracking_event_moves_the_goods_of_an_unpaid_order(staff_client, unpaid, status):
    history, events = unpaid.status_history.count(), unpaid.shipment.events.count()

    response = staff_client.post(f"/orders/admin/{unpaid.pk}/shipment/events/", {"status": status}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "order_not_paid"
    _unchanged(unpaid, history=history, events=events)


def test_packing_an_unpaid_order_is_fine(staff_client, unpaid):
    response = staff_client.post(f"/orders/admin/{unpaid.pk}/shipment/events/", {"status": "PACKED"}, format="json")

    assert response.status_code == 201 and response.json()["status"] == "PACKED"


def test_once_paid_it_ships_and_is_tracked(user, staff_client, unpaid):
    pay_order(order=unpaid, user=user)

    shipped = staff_client.post(f"/orders/admin/{unpaid.pk}/status/", {"status": "shipped"}, format="json")
    event = staff_client.post(f"/orders/admin/{unpaid.pk}/shipment/events/", {"status": "IN_TRANSIT"}, format="json")

    assert shipped.status_code == 200 and shipped.json()["order"]["status"] == "shipped"
    assert event.status_code == 201 and event.json()["status"] == "IN_TRANSIT"


@pytest.mark.parametrize("payment_method", ["cod", None])
@pytest.mark.parametrize("ship_by", ["status", "tracking"])
def test_cash_on_delivery_or_the_setting_ships_unpaid(user, staff_client, product, settings, payment_method,
                                                      ship_by):
    if payment_method is None:
        settings.ORDERS_ALLOW_UNPAID_FULFILMENT = True
    order = place_order(user=user, product=product, payment_method=payment_method)

    if ship_by == "status":
        shipped = staff_client.post(f"/orders/admin/{order.pk}/status/", {"status": "shipped"}, format="json")
        delivered = staff_client.post(f"/orders/admin/{order.pk}/status/", {"status": "delivered"}, format="json")
        assert (shipped.status_code, delivered.status_code) == (200, 200), (shipped.json(), delivered.json())
    else:
        for status in ("SHIPPED", "DELIVERED"):
            event = staff_client.post(f"/orders/admin/{order.pk}/shipment/events/", {"status": status},
                                      format="json")
            assert event.status_code == 201, event.json()
    order.refresh_from_db()
    assert (order.status, order.is_fully_paid, order.payment_status) == ("delivered", False, "unpaid")


@pytest.mark.parametrize("path", ["status", "tracking"])
def test_an_order_shipped_unpaid_under_the_setting_is_not_delivered_once_it_is_off(user, staff_user, staff_client,
                                                                                     product, settings, path):
    settings.ORDERS_ALLOW_UNPAID_FULFILMENT = True
    order = place_order(user=user, product=product, status="shipped", staff=staff_user, paid=False)
    settings.ORDERS_ALLOW_UNPAID_FULFILMENT = False

    if path == "status":
        response = staff_client.post(f"/orders/admin/{order.pk}/status/", {"status": "delivered"}, format="json")
    else:
        response = staff_client.post(f"/orders/admin/{order.pk}/shipment/events/", {"status": "DELIVERED"},
                                     format="json")

    assert (response.status_code, response.json()["code"]) == (400, "order_not_paid")
    order.refresh_from_db()
    assert order.status == "shipped"


def test_an_order_refunded_in_full_outside_the_shop_does_not_ship(user, staff_client, product):
    order = place_order(user=user, product=product, quantity=2)
    payment = pay_order(order=order, user=user)
    # Refunded in the gateway's dashboard; the shop learns it from a re-read. The order stays open (a person
    # decides), it was paid (it never expires), but there is no money left to ship against.
    SandboxCharge.objects.filter(provider_payment_id=payment.provider_payment_id).update(
        amount_refunded=payment.amount, status="refunded")
    assert staff_client.post("/payments/sync-status/", {"payment_id": payment.pk}, format="json").status_code == 200
    order.refresh_from_db()
    assert (order.status, order.was_paid, order.is_fully_paid, order.payment_status) == (
        "processing", True, False, "refunded")

    response = staff_client.post(f"/orders/admin/{order.pk}/status/", {"status": "shipped"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": f"Order {order.order_key}'s payment was refunded in full; it cannot be "
                                         "shipped.", "code": "order_not_paid"}


def test_a_refund_after_shipping_does_not_stop_recording_the_delivery(user, staff_user, staff_client, product):
    order = place_order(user=user, product=product, status="shipped", staff=staff_user)
    payment = order.payments.get()
    assert staff_client.post("/payments/refund/", {"payment_id": payment.pk}, format="json").status_code == 200

    event = staff_client.post(f"/orders/admin/{order.pk}/shipment/events/", {"status": "DELIVERED"}, format="json")

    assert event.status_code == 201, event.json()
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("delivered", "refunded")
