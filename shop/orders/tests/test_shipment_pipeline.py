"""A shipment moves only with its order: tracking events go through the order pipeline, and the staff endpoints
refuse (400, naming the field) what they cannot set instead of answering 200 and ignoring it."""

from decimal import Decimal

import pytest

from shop.catalog.tests.factories import ProductFactory
from shop.core.exceptions import ApplicationError
from shop.orders.models import Order, Shipment
from shop.orders.services import order_ship

from .factories import ShippingMethodFactory, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return ProductFactory(name="Lamp", price=Decimal("30.00"), stock_quantity=10)


def _snapshot(order: Order):
    order.refresh_from_db()
    shipment = order.shipment
    return (order.status, order.updated_at, shipment.status, shipment.delivered_at, shipment.carrier,
            shipment.events.count(), order.status_history.count())


def test_patching_the_shipment_status_is_refused_naming_the_field(user, staff_user, staff_client, product):
    order = place_order(user=user, product=product, status="cancelled", staff=staff_user)
    before = _snapshot(order)

    response = staff_client.patch(f"/orders/admin/{order.id}/shipment/", {"status": "DELIVERED", "carrier": "DHL"},
                                  format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["errors"]) == ["status"]
    assert "tracking event" in body["errors"]["status"][0]
    assert body["detail"].startswith("status:")
    assert _snapshot(order) == before  # the carrier sent alongside is not written either


@pytest.mark.parametrize(("url", "body"), [
    ("/orders/admin/{order}/shipment/", {"carrier": "DHL", "colour": "red"}),
    ("/orders/admin/{order}/status/", {"status": "shipped", "notify": False}),
    ("/orders/admin/{order}/shipment/events/", {"status": "IN_TRANSIT", "courier": "DHL"}),
    ("/orders/admin/shipping-methods/{method}/", {"price": "1.00", "id": 99}),
    ("/products/{product}/", {"price": "1.00", "stock": 3}),
])
def test_staff_writes_refuse_fields_they_would_ignore(user, staff_client, product, url, body):
    order = place_order(user=user, product=product)
    method = ShippingMethodFactory(price=Decimal("5.00"))
    before = (_snapshot(order), method.price, product.price)
    bad_field = next(key for key in body if key not in ("carrier", "status", "price"))

    response = staff_client.patch(url.format(order=order.pk, method=method.pk, product=product.slug), body,
                                  format="json") if "events" not in url else staff_client.post(
        url.format(order=order.pk), body, format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"] == {bad_field: ["This field cannot be set here."]}
    method.refresh_from_db()
    product.refresh_from_db()
    assert (_snapshot(order), method.price, product.price) == before


def test_a_delivered_event_on_a_shipped_order_delivers_the_order(user, user_client, staff_user, staff_client, product):
    order = place_order(user=user, product=product, status="shipped", staff=staff_user)

    response = staff_client.post(f"/orders/admin/{order.id}/shipment/events/",
                                 {"status": "DELIVERED", "message": "Left at the door", "location": "Mombasa"},
                                 format="json")

    assert response.status_code == 201
    assert (response.json()["status"], response.json()["message"]) == ("DELIVERED", "Left at the door")
    seen = user_client.get(f"/orders/{order.id}/").json()
    assert seen["status"] == "delivered"
    assert seen["shipment"]["status"] == "DELIVERED"
    assert seen["shipment"]["delivered_at"] is not None
    # Staff's move, read by the customer: the staff member's id is the shop's (test_status_history_viewers.py).
    assert [(h["from_status"], h["to_status"], h["changed_by"]) for h in seen["status_history"]][-1] == (
        "shipped", "delivered", None)
    assert staff_client.get(f"/orders/{order.id}/").json()["status_history"][-1]["changed_by"] == staff_user.pk
    assert [e["status"] for e in seen["shipment"]["events"]] == ["ORDER_PLACED", "SHIPPED", "DELIVERED"]


def test_in_transit_on_a_processing_order_ships_it(user, staff_client, product):
    order = place_order(user=user, product=product, paid=True)  # paid: an unpaid online order would not ship

    response = staff_client.post(f"/orders/admin/{order.id}/shipment/events/", {"status": "IN_TRANSIT"},
                                 format="json")

    assert response.status_code == 201
    order.refresh_from_db()
    assert (order.status, order.shipment.status) == ("shipped", "IN_TRANSIT")


@pytest.mark.parametrize(("order_status", "event", "code"), [
    ("processing", "DELIVERED", "invalid_transition"),
    ("cancelled", "DELIVERED", "order_cancelled"),
    ("delivered", "IN_TRANSIT", "order_delivered"),
    ("shipped", "PACKED", "invalid_shipment_status"),
    ("processing", "CANCELLED", "invalid_shipment_status"),
])
def test_events_outside_the_pipeline_are_refused_and_change_nothing(user, staff_user, staff_client, product,
                                                                    order_status, event, code):
    order = place_order(user=user, product=product, status=order_status, staff=staff_user)
    before = _snapshot(order)

    response = staff_client.post(f"/orders/admin/{order.id}/shipment/events/", {"status": event}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert _snapshot(order) == before


def test_ship_sets_tracking_and_status_together(user, staff_user, product):
    order = place_order(user=user, product=product, paid=True)

    order_ship(order_id=order.pk, by=staff_user, carrier="DHL", tracking_number="JD1",
               tracking_url="https://track.example.com/JD1")

    order.refresh_from_db()
    shipment = order.shipment
    assert (order.status, shipment.status, shipment.carrier, shipment.tracking_number, shipment.tracking_url) == (
        "shipped", Shipment.Status.SHIPPED, "DHL", "JD1", "https://track.example.com/JD1")


def test_ship_refused_writes_no_tracking(user, staff_user, product):
    order = place_order(user=user, product=product, status="cancelled", staff=staff_user)

    with pytest.raises(ApplicationError) as refused:
        order_ship(order_id=order.pk, by=staff_user, carrier="DHL", tracking_number="JD1")

    assert refused.value.code == "invalid_transition"
    assert refused.value.message == "Cannot change an order from cancelled to shipped."
    order.refresh_from_db()
    assert (order.status, order.shipment.carrier, order.shipment.tracking_number) == ("cancelled", "", "")


def test_a_cancelled_orders_shipment_gets_no_tracking_details(user, staff_user, staff_client, product):
    order = place_order(user=user, product=product, status="cancelled", staff=staff_user)
    before = _snapshot(order)

    response = staff_client.patch(f"/orders/admin/{order.id}/shipment/",
                                  {"carrier": "DHL", "tracking_number": "JD1"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "The order is cancelled: its shipment gets no tracking details.",
                               "code": "order_cancelled"}
    assert _snapshot(order) == before
    assert order.shipment.tracking_number == ""


def test_a_delivered_orders_tracking_number_can_be_corrected_but_not_its_estimated_delivery(
    user, staff_user, staff_client, product
):
    order = place_order(user=user, product=product, status="delivered", staff=staff_user)

    fixed = staff_client.patch(f"/orders/admin/{order.id}/shipment/", {"tracking_number": "JD2-FIXED"},
                               format="json")
    estimate = staff_client.patch(f"/orders/admin/{order.id}/shipment/",
                                  {"estimated_delivery_at": "2030-01-01T00:00:00Z"}, format="json")

    assert fixed.status_code == 200, fixed.json()
    assert (fixed.json()["tracking_number"], fixed.json()["status"]) == ("JD2-FIXED", "DELIVERED")
    assert estimate.status_code == 400
    assert estimate.json()["code"] == "order_delivered"
    assert list(estimate.json()["errors"]) == ["estimated_delivery_at"]
    order.shipment.refresh_from_db()
    assert order.shipment.estimated_delivery_at is None


def test_customers_read_tracking_events_in_words_and_never_staff_notes(user, user_client, staff_user, staff_client,
                                                                       product):
    order = place_order(user=user, product=product, status="processing", paid=True)
    shipped = staff_client.post(f"/orders/admin/{order.id}/status/", {"status": "shipped", "note": "Fragile, ask Sam"},
                                format="json")
    assert shipped.status_code == 200
    assert staff_client.post(f"/orders/admin/{order.id}/shipment/events/", {"status": "IN_TRANSIT"},
                             format="json").status_code == 201

    mine = user_client.get(f"/orders/{order.id}/").json()
    staff_view = staff_client.get(f"/orders/{order.id}/").json()

    assert [(e["status"], e["message"]) for e in mine["shipment"]["events"]] == [
        ("ORDER_PLACED", "Order placed"), ("SHIPPED", "Order shipped"), ("IN_TRANSIT", "In transit")]
    assert [h["note"] for h in mine["status_history"] if h["to_status"] == "shipped"] == [""]
    assert [h["note"] for h in staff_view["status_history"] if h["to_status"] == "shipped"] == ["Fragile, ask Sam"]
    listed = user_client.get("/orders/").json()["results"][0]
    assert [h["note"] for h in listed["status_history"] if h["to_status"] == "shipped"] == [""]


def test_the_shipped_email_carries_the_carrier_tracking_number_and_link(user, staff_user, product,
                                                                       django_capture_on_commit_callbacks):
    from django.core import mail

    order = place_order(user=user, product=product, status="processing", paid=True)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        order_ship(order_id=order.pk, by=staff_user, carrier="DHL Express", tracking_number="JD0146",
                   tracking_url="https://track.example.com/JD0146")

    assert [m.subject for m in mail.outbox] == [f"Your order {order.order_key} has shipped"]
    body = mail.outbox[0].body
    assert "Carrier:         DHL Express" in body
    assert "Tracking number: JD0146" in body
    assert "Track it here:   https://track.example.com/JD0146" in body
