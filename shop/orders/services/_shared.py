"""What the order services share: history rows, shipment events, customer e-mails after commit."""

from datetime import datetime

from django.utils import timezone

from shop.core.enqueue import enqueue_on_commit
from shop.events.services import event_record
from shop.events.types import EventType

from ..models import (
    Order,
    OrderStatusChange,
    Shipment,
    ShipmentEvent,
)
from ..tasks import send_order_email


def _notify(order: Order, kind: str) -> None:
    """E-mail the customer about ``order`` (``kind``: confirmation, cancelled, shipped, ``refund:<id>`` ...) once
    the transaction commits."""
    enqueue_on_commit(send_order_email, order.pk, kind)


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
    """Record order.created (order row locked or just inserted): at checkout for an order with no payment to open,
    else once its payment has opened (``shop.payments.services.start.payment_start``), so a checkout undone
    because the gateway failed emits nothing."""
    event_record(type=EventType.ORDER_CREATED, resource_id=order.pk, data={"status": order.status})


def _shipment_event(shipment: Shipment, *, status: str, message: str, location: str = "",
                    occurred_at: datetime | None = None, announce: bool = True) -> ShipmentEvent:
    occurred_at = occurred_at or timezone.now()
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


