"""Cancelling an order: stock restored once, history and shipment event, the payments hook, the e-mail."""


from django.db import transaction
from django.utils import timezone

from shop.catalog.stock import StockLine, stock_restore
from shop.core.exceptions import ApplicationError, NotFound

from ..locks import order_lock
from ..models import (
    Order,
    Shipment,
)
from ..policy import Action, order_action_check
from ..transitions import CANCELLABLE
from ._shared import _cancel_active_payments, _notify, _record_status, _shipment_event

# --- Status pipeline, cancellation, expiry ----------------------------------------------------------------------

def _restock_lines(order: Order) -> list[StockLine]:
    lines = []
    for item in order.items.all():
        if item.product_id is None or (item.sku and item.variant_id is None):
            continue  # the product or variant row is gone: there is nothing left to put the units back on
        lines.append(StockLine(item.product_id, item.quantity, item.variant_id))
    return lines


def _cancel_locked(order: Order, *, by, reason: str, note: str = "") -> None:
    """Cancel an order whose row the caller holds locked and whose status it checked under that lock."""
    previous = order.status
    lines = _restock_lines(order)
    if lines:
        stock_restore(lines=lines)
    now = timezone.now()
    order.status = Order.Status.CANCELLED
    order.cancel_reason = reason
    order.cancelled_at = now
    order.save(update_fields=["status", "cancel_reason", "cancelled_at", "updated_at"])
    _record_status(order, from_status=previous, to_status=Order.Status.CANCELLED, by=by, reason=reason, note=note)
    shipment = Shipment.objects.filter(order=order).first()
    if shipment is not None:
        _shipment_event(shipment, status=Shipment.Status.CANCELLED, message="Order cancelled", occurred_at=now)
    _cancel_active_payments(order)
    if reason != Order.CancelReason.PAYMENT_UNAVAILABLE:  # an undone checkout: the client was told at once
        _notify(order, "expired" if reason == Order.CancelReason.EXPIRED else "cancelled")


@transaction.atomic
def order_cancel(*, order_id: int, by, owner=None, reason: str = Order.CancelReason.CUSTOMER, note: str = "") -> Order:
    """Cancel a pending or processing order and put its stock back, exactly once.

    ``owner`` restricts the lookup to that user's orders (404 otherwise). Who may cancel is the policy's
    (``policy.py``, asked for ``by``): customers cannot cancel an order that was paid (400 ``order_paid``, also
    after a partial refund) — staff can, and the payments hook refunds what was kept.
    """
    filters = {"user": owner} if owner is not None else {}
    order = order_lock(order_id=order_id, **filters)
    if order is None:
        raise NotFound("Order not found.")
    order_action_check(actor=by, order=order, action=Action.CANCEL)
    _cancel_locked(order, by=by, reason=reason, note=note)
    return order


# --- For the payments app: the caller already holds the order row lock ----------------------------------------

def order_cancel_locked(order: Order, *, by, reason: str, note: str = "") -> None:
    """Cancel a locked pending/processing order (stock restored once); payments call this on cancel or refund."""
    if order.status not in CANCELLABLE:
        raise ApplicationError(f"Order cannot be cancelled: it is already {order.status}.", code="not_cancellable")
    _cancel_locked(order, by=by, reason=reason, note=note)


