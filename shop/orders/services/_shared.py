"""What the order services share: history rows, shipment events, customer e-mails after commit, and the
payments hook called when an order is cancelled."""

from datetime import datetime

from django.utils import timezone

from shop.core.tasks import enqueue_on_commit

from ..models import (
    Order,
    OrderStatusChange,
    Shipment,
    ShipmentEvent,
)


def _notify(order: Order, kind: str) -> None:
    from ..tasks import send_order_email

    enqueue_on_commit(send_order_email, order.pk, kind)


def _cancel_active_payments(order: Order) -> None:
    """Hook for the payments app: cancel every active payment of ``order`` (no payment outlives its order).

    Called with the order row locked, inside the cancelling transaction, after stock is restored and the order
    is marked cancelled (lock order: ... -> order -> payment).
    """
    from shop.payments.services import payments_cancel_for_order

    payments_cancel_for_order(order)


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


