"""Cancelling an order: its stock restored once, history and shipment event, the "order cancelled" hook (the
payments app closes the order's attempts and refunds what it kept), the e-mail.

Every cancel reads as a sentence down to the stock: ``order_cancel`` (customer, staff) / ``order_expire`` /
``order_create_undo`` / the payments app's ``order_cancel_and_restock_locked`` (a full refund, a cancelled or
failed payment) -> ``_cancel_and_restock_locked`` -> ``_order_restock`` -> ``shop.catalog.stock.stock_restore``.
"""

from django.db import transaction
from django.utils import timezone

from shop.catalog.stock import StockLine, stock_restore
from shop.core.exceptions import ApplicationError, NotFound
from shop.discounts.services import redemption_release

from ..errors import OrderErrorCode
from ..hooks import order_cancelled_run
from ..locks import order_lock
from ..models import (
    Order,
    Shipment,
)
from ..policy import Action, order_action_check
from ..transitions import CANCELLABLE
from ._shared import _notify, _record_status, _shipment_event


def _restock_lines(order: Order) -> list[StockLine]:
    lines = []
    for item in order.items.all():
        if item.product_id is None or (item.sku and item.variant_id is None):
            continue  # the product or variant row is gone: there is nothing left to put the units back on
        lines.append(StockLine(item.product_id, item.quantity, item.variant_id))
    return lines


def _order_restock(order: Order) -> None:
    """Put the order's units back on the shelf (``stock_restore``: guarded UPDATEs in id order), order locked."""
    lines = _restock_lines(order)
    if lines:
        stock_restore(lines=lines)


def _cancel_and_restock_locked(order: Order, *, by, reason: str, note: str = "") -> None:
    """Cancel an order whose row the caller holds locked and whose status it checked under that lock: stock
    restored, then the order's payments closed through the "order cancelled" hook (order -> stock -> payments)."""
    previous = order.status
    _order_restock(order)
    now = timezone.now()
    order.status = Order.Status.CANCELLED
    order.cancel_reason = reason
    order.cancelled_at = now
    order.save(update_fields=["status", "cancel_reason", "cancelled_at", "updated_at"])
    _record_status(order, from_status=previous, to_status=Order.Status.CANCELLED, by=by, reason=reason, note=note)
    shipment = Shipment.objects.filter(order=order).first()
    if shipment is not None:
        _shipment_event(shipment, status=Shipment.Status.CANCELLED, message="Order cancelled", announce=False)
    redemption_release(order_id=order.pk)  # its voucher use goes back, once (order -> stock -> voucher counters)
    order_cancelled_run(order)  # the payments app: open attempts closed, money kept refunded
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
    _cancel_and_restock_locked(order, by=by, reason=reason, note=note)
    return order


# --- For the payments app: the caller already holds the order row lock ----------------------------------------

def order_cancel_and_restock_locked(order: Order, *, by, reason: str, note: str = "") -> None:
    """Cancel a locked pending/processing order, its stock restored once: what a full refund, a payment
    cancelled by the customer or at the gateway, and a failed payment that releases its order do. Raises
    ApplicationError 400 ``not_cancellable`` when the order is past cancelling."""
    if order.status not in CANCELLABLE:
        raise ApplicationError(f"Order cannot be cancelled: it is already {order.status}.",
                               code=OrderErrorCode.NOT_CANCELLABLE)
    _cancel_and_restock_locked(order, by=by, reason=reason, note=note)


