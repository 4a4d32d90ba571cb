"""What the order services share: history rows, shipment events, customer e-mails after commit."""

from datetime import datetime

from django.utils import timezone

from shop.core.enqueue import enqueue_on_commit

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


def _record_status(order: Order, *, from_status: str, to_status: str, by=None, reason: str = "", note: str = ""):
    OrderStatusChange.objects.create(order=order, from_status=from_status, to_status=to_status, changed_by=by,
                                     reason=reason, note=note[:500])


def _shipment_event(shipment: Shipment, *, status: str, message: str, location: str = "",
                    occurred_at: datetime | None = None) -> ShipmentEvent:
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
    return event


