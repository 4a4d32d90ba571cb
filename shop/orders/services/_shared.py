"""What the order services share: history rows, shipment events, customer e-mails after commit."""

import uuid
from datetime import UTC, datetime, timedelta

from django.db.models import Max
from django.utils import timezone

from shop.core.enqueue import enqueue_on_commit
from shop.core.exceptions import ApplicationError
from shop.events.services import event_record
from shop.events.types import EventType

from ..errors import OrderErrorCode
from ..models import (
    Order,
    OrderNotification,
    OrderStatusChange,
    Shipment,
    ShipmentEvent,
)
from ..tasks import send_order_email


def _notify(order: Order, kind: str) -> None:
    """E-mail the customer about ``order`` (``kind``: confirmation, cancelled, shipped, ``refund:<id>`` ...) once
    the transaction commits: its claim row (``OrderNotification``) is written now, in the caller's transaction,
    claimed for the task queued after the commit (none for a rolled-back change). A task that never runs (the
    broker down at commit) or dies leaves the claim to go stale, and ``order_emails_sweep`` hands it to a new task
    (``shop/core/email_claims.py``).

    One INSERT, whatever the order's size: no ``full_clean()``, which would read the order and the unique
    constraint back (every value is ours, and the constraint is the database's). An e-mail of this order and kind
    asked for before keeps its row (``ON CONFLICT DO NOTHING``: sent once); the task queued anyway finds it sent,
    or held by its own sender."""
    task_id = str(uuid.uuid4())
    OrderNotification.objects.bulk_create([OrderNotification(order=order, kind=kind, claimed_by=task_id)],
                                          ignore_conflicts=True)
    enqueue_on_commit(send_order_email, order.pk, kind, task_id=task_id)


_STATUS_EVENT: dict[str, EventType] = {
    Order.Status.CANCELLED: EventType.ORDER_CANCELLED, Order.Status.SHIPPED: EventType.ORDER_SHIPPED,
    Order.Status.DELIVERED: EventType.ORDER_DELIVERED,
}


def _record_status(order: Order, *, from_status: str, to_status: str, by=None, reason: str = "", note: str = ""):
    """The history row and the outbox event of one status change (the order row is locked by the caller).

    An undone checkout (``payment_unavailable``) emits nothing: its order.created was never announced."""
    by = by if getattr(by, "is_authenticated", False) else None  # a guest (``GuestAccess``) is recorded as nobody
    OrderStatusChange.objects.create(order=order, from_status=from_status, to_status=to_status, changed_by=by,
                                     reason=reason, note=note[:500])
    if reason != Order.CancelReason.PAYMENT_UNAVAILABLE:
        event_record(type=_STATUS_EVENT.get(to_status, EventType.ORDER_STATUS_CHANGED), resource_id=order.pk,
                     data={"from_status": from_status, "to_status": to_status, "reason": reason})


def order_created_announce(order: Order) -> None:
    """Tell the world the order exists (order row locked or just inserted): order.created in the outbox and the
    confirmation e-mail after commit. At checkout for an order with no payment to open, else in the transaction
    that records its payment open (``shop.payments.services.start.payment_start``), so a checkout undone because
    the gateway failed sends nothing: no event, no "your order is confirmed" for an order it cancelled."""
    event_record(type=EventType.ORDER_CREATED, resource_id=order.pk, data={"status": order.status})
    _notify(order, "confirmation")


# How far ahead of our clock a reported tracking time may be: a carrier's scanner or a staff laptop whose clock runs a
# little fast reports "now" as a few minutes from now. Anything later is a typo (2099), not clock skew, and would sit
# at the end of the customer's timeline (events are ordered by ``occurred_at``) and stamp ``delivered_at`` there.
EVENT_CLOCK_SKEW = timedelta(minutes=5)


def _iso_exact(moment: datetime) -> str:
    """``moment`` in UTC as the API writes times, with its microseconds when it has any: a bound named in a
    refusal, which a client may copy as the time to send (``2026-11-30T10:15:00.700000Z`` is allowed where
    ``10:15:00Z`` is not)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _iso(moment: datetime) -> str:
    """``moment`` in UTC as the API writes times (``2026-11-30T10:15:00Z``), to the second."""
    return _iso_exact(moment.replace(microsecond=0))


def _event_time_refusal(detail: str, *, why: str, earliest: datetime, latest: datetime) -> ApplicationError:
    """400 ``invalid_event_time`` naming ``occurred_at``: ``why``, and the range it may take (to the second, inside
    the range: the earliest rounded up, the latest down, so any time shown in it is accepted)."""
    if earliest.microsecond:
        earliest = earliest.replace(microsecond=0) + timedelta(seconds=1)
    if earliest > latest:  # a latest event dated in the future (recorded before this check existed)
        fix = "Leave occurred_at out to record the event now."
    else:
        fix = f"Give a time from {_iso(earliest)} to {_iso(latest)}."
    return ApplicationError(detail, code=OrderErrorCode.INVALID_EVENT_TIME,
                            extra={"errors": {"occurred_at": [f"{why} {fix}"]}})


def shipment_event_time_check(shipment: Shipment, *, status: str, occurred_at: datetime) -> datetime:
    """``occurred_at`` of a tracking event with ``status`` reported for ``shipment`` (its order locked by the
    caller, on ``shipment.order``), timezone-aware (a naive time is read in the current time zone, as the API's
    ``DateTimeField`` reads it), if the event may be dated then; else ``ApplicationError`` 400
    ``invalid_event_time`` whose ``errors.occurred_at`` says why and gives the range allowed.

    Carriers send scans late, so a past time is fine within limits: not after now plus ``EVENT_CLOCK_SKEW``, not
    before the order was placed (``order.created_at``), and, for an event that changes the shipment's status, not
    before the shipment's latest event (a move forward cannot precede the one before it); an event of the status
    the shipment already has (another in-transit scan) may be backfilled anywhere after the order was placed.
    A time ahead of now within ``EVENT_CLOCK_SKEW`` is returned as now. Reads the latest event's time (one query)
    only for an event that changes the status.
    """
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)
    latest = timezone.now() + EVENT_CLOCK_SKEW
    placed = shipment.order.created_at
    earliest, previous = placed, None
    if status != shipment.status:
        previous = ShipmentEvent.objects.filter(shipment=shipment).aggregate(at=Max("occurred_at"))["at"]
        earliest = max(placed, previous) if previous is not None else placed
    if occurred_at > latest:
        raise _event_time_refusal(
            f"A tracking event cannot be dated after {_iso(latest)}: that is in the future.",
            why=f"Not in the future (up to {EVENT_CLOCK_SKEW.seconds // 60} minutes ahead is taken as a clock "
                "difference).", earliest=earliest, latest=latest)
    if occurred_at < placed:
        raise _event_time_refusal(
            f"A tracking event cannot be dated before the order was placed ({_iso_exact(placed)}).",
            why="Not before the order was placed.", earliest=earliest, latest=latest)
    if previous is not None and occurred_at < previous:
        label = Shipment.Status(status).label
        raise _event_time_refusal(
            f"'{label}' moves the shipment on from {shipment.status}, so it cannot be dated before the shipment's "
            f"latest event ({_iso_exact(previous)}).",
            why=f"Not before the shipment's latest event: '{label}' changes its status (an event of the status it "
                "has may be dated earlier).", earliest=earliest, latest=latest)
    # Ahead of our clock by no more than the skew allowed: it happened now, on a clock running fast. Recorded as now,
    # so a move the server dates itself right after it (shipping or delivering through the status endpoint) is
    # never listed before it, nor is delivered_at stamped earlier than the scan it follows.
    return min(occurred_at, timezone.now())


def _shipment_event(shipment: Shipment, *, status: str, message: str, location: str = "",
                    occurred_at: datetime | None = None, announce: bool = True) -> ShipmentEvent:
    """Record a tracking event on ``shipment`` (its order locked by the caller) and move the shipment to ``status``
    (a delivered event stamps ``delivered_at`` with its time, once). ``occurred_at``: when it happened as staff or
    a carrier report it, checked by :func:`shipment_event_time_check` (400 ``invalid_event_time``, raised before
    anything is written here; the caller's transaction undoes what it wrote before); None: now, on the server's
    clock (the status moves the server makes itself: shipping, delivering, cancelling). ``announce`` records the
    ``shipment.tracking_event`` outbox event (not for an event that comes with an order status change, which is
    announced by that change)."""
    if occurred_at is None:
        occurred_at = timezone.now()
    else:
        occurred_at = shipment_event_time_check(shipment, status=status, occurred_at=occurred_at)
    event = ShipmentEvent(shipment=shipment, status=status, message=message, location=location,
                          occurred_at=occurred_at)
    event.full_clean(exclude=["shipment"])
    event.save()
    shipment.status = status
    fields = ["status", "updated_at"]
    if status == Shipment.Status.DELIVERED and shipment.delivered_at is None:
        shipment.delivered_at = occurred_at
        fields.append("delivered_at")
    shipment.save(update_fields=fields)
    if announce:  # a tracking event that moves the order is announced by that status change's event
        event_record(type=EventType.SHIPMENT_TRACKING_EVENT, resource_id=shipment.order_id,
                     data={"status": status, "message": message, "location": location,
                           "occurred_at": occurred_at.isoformat()})
    return event
