"""A tracking event's ``occurred_at`` is what the customer's timeline is ordered by and what a delivered event stamps
as ``delivered_at``, so it is checked wherever an event is recorded (``_shared.shipment_event_time_check``): not in
the future beyond the clock-skew allowance, not before the order was placed, and, for an event that changes the
shipment's status, not before its latest event. Carriers' late scans may be backfilled within those limits. Found
by a tester who dated events 2020 and 2099 and got 201 for both."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shop.catalog.tests.factories import ProductFactory
from shop.core.exceptions import ApplicationError
from shop.events.models import Event
from shop.orders.models import Order, Shipment, ShipmentEvent
from shop.orders.services import shipment_event_add
from shop.orders.services._shared import EVENT_CLOCK_SKEW

from .factories import place_order

pytestmark = pytest.mark.django_db


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def product():
    return ProductFactory(name="Lamp", price=Decimal("30.00"), stock_quantity=10)


def _placed_days_ago(order: Order, days: int) -> datetime:
    """Date ``order`` and its "order placed" event ``days`` ago (an order placed before today); that time."""
    placed = timezone.now() - timedelta(days=days)
    Order.objects.filter(pk=order.pk).update(created_at=placed)
    ShipmentEvent.objects.filter(shipment__order=order).update(occurred_at=placed)
    return placed


def _snapshot(order: Order):
    order.refresh_from_db()
    shipment = Shipment.objects.get(order=order)
    return (order.status, order.updated_at, shipment.status, shipment.updated_at, shipment.delivered_at,
            list(shipment.events.values_list("id", flat=True)), order.status_history.count(), Event.objects.count())


def _event(client, order: Order, **body):
    return client.post(f"/orders/admin/{order.pk}/shipment/events/", body, format="json")


def _refused(response, *words: str) -> str:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid_event_time"
    assert list(body["errors"]) == ["occurred_at"]
    message = body["errors"]["occurred_at"][0]
    for word in words:
        assert word in message, message
    return message


# --- refusals: 400 invalid_event_time, nothing changed -------------------------------------------------------------

@pytest.mark.parametrize("status", ["IN_TRANSIT", "SHIPPED", "PACKED"])  # ships the order, ships it, moves nothing
@pytest.mark.parametrize("ahead", [EVENT_CLOCK_SKEW + timedelta(minutes=1), timedelta(days=365 * 73)])
def test_an_event_dated_in_the_future_is_refused_and_changes_nothing(user, staff_client, product, status, ahead):
    order = place_order(user=user, product=product, paid=True)
    before = _snapshot(order)

    response = _event(staff_client, order, status=status, occurred_at=_iso(timezone.now() + ahead))

    message = _refused(response, "Not in the future", "Give a time from")
    assert "after" in response.json()["detail"]
    # The range ends at now plus the allowance, to the second.
    until = datetime.fromisoformat(message.rsplit(" to ", 1)[1].rstrip(".").replace("Z", "+00:00"))
    assert abs(until - (timezone.now() + EVENT_CLOCK_SKEW)) < timedelta(seconds=5)
    assert _snapshot(order) == before


@pytest.mark.parametrize("status", ["IN_TRANSIT", "PACKED", "ORDER_PLACED"])
def test_an_event_dated_before_the_order_was_placed_is_refused_and_changes_nothing(user, staff_client, product,
                                                                                   status):
    order = place_order(user=user, product=product, paid=True)
    placed = _placed_days_ago(order, 2)
    before = _snapshot(order)

    for moment in ("2020-01-01T00:00:00Z", _iso(placed - timedelta(seconds=1))):
        response = _event(staff_client, order, status=status, occurred_at=moment)

        _refused(response, "Not before the order was placed", "Give a time from")
        assert _snapshot(order) == before


def test_a_status_change_dated_before_the_latest_event_is_refused_and_changes_nothing(user, staff_client, product):
    order = place_order(user=user, product=product, paid=True)
    placed = _placed_days_ago(order, 3)
    shipped_at = placed + timedelta(days=1)
    assert _event(staff_client, order, status="SHIPPED", occurred_at=_iso(shipped_at)).status_code == 201
    before = _snapshot(order)

    # After the order was placed, but before the shipment was shipped: in transit cannot come first, nor delivered.
    for status in ("IN_TRANSIT", "DELIVERED"):
        response = _event(staff_client, order, status=status, occurred_at=_iso(shipped_at - timedelta(hours=1)))

        # The range starts at the latest event (rounded up to the second: any time shown in the range is taken).
        earliest = _iso(shipped_at.replace(microsecond=0) + timedelta(seconds=1))
        _refused(response, "latest event", f"Give a time from {earliest} to ")
        assert _snapshot(order) == before


# --- what is allowed ---------------------------------------------------------------------------------------------

def test_a_late_scan_of_the_current_status_may_be_backfilled_and_the_timeline_reads_in_time_order(
    user, user_client, staff_client, product
):
    order = place_order(user=user, product=product, paid=True)
    placed = _placed_days_ago(order, 3)
    shipped = placed + timedelta(days=1)
    hub = placed + timedelta(days=2)
    assert _event(staff_client, order, status="IN_TRANSIT", message="Left the depot",
                  occurred_at=_iso(shipped)).status_code == 201
    assert _event(staff_client, order, status="IN_TRANSIT", message="At the hub",
                  occurred_at=_iso(hub)).status_code == 201

    # A scan the carrier sent late, dated before the latest event: the shipment is already in transit.
    late = _event(staff_client, order, status="IN_TRANSIT", message="Sorted", location="Leipzig",
                  occurred_at=_iso(shipped + timedelta(hours=3)))

    assert late.status_code == 201, late.content
    assert late.json()["occurred_at"] == _iso(shipped + timedelta(hours=3))
    read = user_client.get(f"/orders/{order.pk}/").json()
    assert [event["message"] for event in read["shipment"]["events"]] == [
        "Order placed", "Left the depot", "Sorted", "At the hub"]
    assert read["status"] == "shipped" and read["shipment"]["status"] == "IN_TRANSIT"


def test_a_delivered_event_stamps_delivered_at_with_its_own_time(user, user_client, staff_client, product):
    order = place_order(user=user, product=product, paid=True)
    placed = _placed_days_ago(order, 3)
    shipped = _event(staff_client, order, status="SHIPPED", occurred_at=_iso(placed + timedelta(days=1)))
    assert shipped.status_code == 201
    delivered_at = placed + timedelta(days=2, hours=5)

    response = _event(staff_client, order, status="DELIVERED", message="Signed for", occurred_at=_iso(delivered_at))

    assert response.status_code == 201, response.content
    read = user_client.get(f"/orders/{order.pk}/").json()
    assert read["status"] == "delivered"
    assert read["shipment"]["delivered_at"] == _iso(delivered_at) == read["shipment"]["events"][-1]["occurred_at"]
    assert Shipment.objects.get(order=order).delivered_at == delivered_at


def test_a_carrier_clock_a_little_ahead_is_accepted_and_the_servers_own_moves_still_go_through(
    user, user_client, staff_client, product
):
    order = place_order(user=user, product=product, paid=True)
    ahead = timezone.now() + EVENT_CLOCK_SKEW - timedelta(minutes=1)

    packed = _event(staff_client, order, status="PACKED", occurred_at=_iso(ahead))
    shipped = staff_client.post(f"/orders/admin/{order.pk}/status/", {"status": "shipped"}, format="json")
    delivered = staff_client.post(f"/orders/admin/{order.pk}/status/", {"status": "delivered"}, format="json")

    assert (packed.status_code, shipped.status_code, delivered.status_code) == (201, 200, 200)
    read = user_client.get(f"/orders/{order.pk}/").json()
    assert read["status"] == "delivered"
    # The server dates its own moves by its own clock, unchecked: a carrier's clock ahead never blocks them. The
    # scan from the fast clock was recorded as now, so the timeline still reads in the order things happened, and
    # delivered_at is not earlier than the scan before it (a tester saw PACKED listed after DELIVERED).
    events = read["shipment"]["events"]
    assert [event["status"] for event in events] == ["ORDER_PLACED", "PACKED", "SHIPPED", "DELIVERED"]
    assert datetime.fromisoformat(events[1]["occurred_at"].replace("Z", "+00:00")) <= timezone.now()
    assert read["shipment"]["delivered_at"] == events[-1]["occurred_at"] >= events[1]["occurred_at"]


def test_a_refusal_names_the_latest_event_to_the_microsecond_and_that_time_is_accepted(user, staff_client, product):
    order = place_order(user=user, product=product, paid=True)
    placed = _placed_days_ago(order, 3)
    packed_at = (placed + timedelta(days=1)).replace(microsecond=700000)
    assert _event(staff_client, order, status="PACKED", occurred_at=_iso(packed_at)).status_code == 201

    refused = _event(staff_client, order, status="SHIPPED", occurred_at=_iso(packed_at.replace(microsecond=0)))
    _refused(refused, "latest event")
    named = refused.json()["detail"].rsplit("(", 1)[1].rstrip(").")
    copied = _event(staff_client, order, status="SHIPPED", occurred_at=named)

    assert named == _iso(packed_at) and named.endswith(".700000Z")  # not rounded down to a time that is refused
    assert copied.status_code == 201, copied.content


def test_a_time_without_an_offset_is_read_as_utc_and_checked_not_a_500(user, staff_client, product):
    order = place_order(user=user, product=product, paid=True)
    _placed_days_ago(order, 2)
    naive = (timezone.now() - timedelta(days=1)).replace(tzinfo=None, microsecond=0)

    future = _event(staff_client, order, status="IN_TRANSIT", occurred_at="2099-01-01T00:00:00")
    past = _event(staff_client, order, status="IN_TRANSIT", occurred_at=naive.isoformat())

    _refused(future, "Not in the future")
    assert past.status_code == 201, past.content
    assert past.json()["occurred_at"] == naive.isoformat() + "Z"


def test_the_service_reads_a_naive_datetime_as_the_api_does_and_refuses_a_bad_one(user, staff_user, product):
    order = place_order(user=user, product=product, paid=True)
    _placed_days_ago(order, 2)
    naive = (timezone.now() - timedelta(days=1)).replace(tzinfo=None)

    with pytest.raises(ApplicationError) as refused:
        shipment_event_add(order_id=order.pk, status="IN_TRANSIT", occurred_at=datetime(2099, 1, 1), by=staff_user)
    event = shipment_event_add(order_id=order.pk, status="IN_TRANSIT", occurred_at=naive, by=staff_user)

    assert refused.value.code == "invalid_event_time" and refused.value.status_code == 400
    assert event.occurred_at == timezone.make_aware(naive)
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED


def test_a_far_future_event_recorded_before_this_check_does_not_block_the_order(user, staff_client, product):
    """An event dated 2099 already on a shipment: a status change cannot be dated after it, so the refusal says to
    leave the time out, and without one the server dates the move now."""
    order = place_order(user=user, product=product, paid=True, status="shipped")
    ShipmentEvent.objects.create(shipment=order.shipment, status="SHIPPED", message="Typo",
                                 occurred_at=datetime(2099, 1, 1, tzinfo=UTC))

    dated = _event(staff_client, order, status="DELIVERED", occurred_at=_iso(timezone.now()))
    undated = _event(staff_client, order, status="DELIVERED")

    _refused(dated, "Leave occurred_at out")
    assert undated.status_code == 201, undated.content
