"""The status pipeline after checkout: staff moves, shipping, tracking events, shipping methods, and the moves
a payment makes (processing once paid, a refund's e-mail)."""

from datetime import datetime

from django.db import transaction

from shop.core.exceptions import ApplicationError, NotFound

from ..errors import OrderErrorCode
from ..locks import order_lock
from ..models import (
    Order,
    Shipment,
    ShipmentEvent,
    ShippingMethod,
)
from ..policy import Action, order_action_check, order_fulfilment_check
from ..transitions import ORDER_STATUS_OF_TRACKING, TRACKING_WITHOUT_ORDER_MOVE, can_transition
from ._shared import _notify, _record_status, _shipment_event
from .cancel import _cancel_and_restock_locked


@transaction.atomic
def order_set_status(*, order_id: int, status: str, by, note: str = "") -> Order:
    """Staff moves an order along the pipeline; anything outside ``ALLOWED_TRANSITIONS`` is refused.

    Raises ``ApplicationError`` (``invalid_status``, ``invalid_transition``) or ``NotFound``. Shipping and
    delivering also record the matching tracking event on the shipment (delivering stamps ``delivered_at``).
    Cancelling asks the cancel policy (400 ``not_cancellable`` past processing, as every cancel endpoint
    answers); shipping or delivering an order still waiting for its online payment is 400 ``order_not_paid``
    (``policy.order_fulfilment_check``), whichever path moves it (this endpoint, a tracking event, the admin).
    """
    if status not in Order.Status.values:
        raise ApplicationError(f"'{status}' is not an order status.", code=OrderErrorCode.INVALID_STATUS,
                               extra={"errors": {"status": [f"Choose one of {', '.join(Order.Status.values)}."]}})
    order = order_lock(order_id=order_id)
    if order is None:
        raise NotFound("Order not found.")
    _set_status_locked(order, status=status, by=by, note=note)
    return order


def _set_status_locked(order: Order, *, status: str, by, note: str = "", event: dict | None = None) -> None:
    """Move a locked order to ``status`` if the pipeline allows it. ``event``: the tracking event to record
    (status, message, location, occurred_at); by default one saying "Order shipped" / "Order delivered", dated now.
    A reported ``occurred_at`` is checked by ``_shipment_event`` (400 ``invalid_event_time``) after the order has
    moved: the caller's transaction undoes the move with the refusal."""
    if status == Order.Status.CANCELLED:
        order_action_check(actor=by, order=order, action=Action.CANCEL)
    if not can_transition(order.status, status):
        raise ApplicationError(f"Cannot change an order from {order.status} to {status}.",
                               code=OrderErrorCode.INVALID_TRANSITION)
    if status == Order.Status.CANCELLED:
        _cancel_and_restock_locked(order, by=by, reason=Order.CancelReason.STAFF, note=note)
        return
    if status in (Order.Status.SHIPPED, Order.Status.DELIVERED):
        order_fulfilment_check(order=order, goods_left=status == Order.Status.DELIVERED)
    previous = order.status
    order.status = status
    order.save(update_fields=["status", "updated_at"])
    _record_status(order, from_status=previous, to_status=status, by=by, reason="staff", note=note)
    shipment = Shipment.objects.filter(order=order).first()
    if shipment is not None and status in (Order.Status.SHIPPED, Order.Status.DELIVERED):
        shipment.order = order  # the locked row: the event's time is checked against when it was placed
        if event is None:
            shipment_status = Shipment.Status.SHIPPED if status == Order.Status.SHIPPED else Shipment.Status.DELIVERED
            event = {"status": shipment_status, "message": f"Order {status}"}
        _shipment_event(shipment, **event, announce=False)
    if status in (Order.Status.SHIPPED, Order.Status.DELIVERED):
        _notify(order, status)


@transaction.atomic
def order_ship(*, order_id: int, by, carrier: str = "", tracking_number: str = "", tracking_url: str = "",
               note: str = "") -> Order:
    """Ship a processing order with its tracking details, in one transaction: the same two services the staff
    API runs (``order_set_status`` to ``shipped``, then ``shipment_update``), so either both happen or neither.

    Raises what they raise: ``invalid_transition`` unless the order is processing, a validation error for a
    malformed tracking URL, ``NotFound``.
    """
    order = order_set_status(order_id=order_id, status=Order.Status.SHIPPED, by=by, note=note)
    details = {"carrier": carrier, "tracking_number": tracking_number, "tracking_url": tracking_url}
    shipment_update(order_id=order_id, data={field: value for field, value in details.items() if value})
    return order


# --- Shipments ------------------------------------------------------------------------------------------------

def _shipment_lock(order_id: int) -> Shipment:
    order = order_lock(order_id=order_id)
    if order is None:
        raise NotFound("Order not found.")
    shipment = Shipment.objects.filter(order=order).first()
    if shipment is None:
        shipment = Shipment.objects.create(order=order)
    shipment.order = order  # the locked row, not a second read
    return shipment


@transaction.atomic
def shipment_update(*, order_id: int, data: dict) -> Shipment:
    """Staff set carrier, tracking number/url, estimated delivery (``data``: any of those four).

    Refused (``ApplicationError``, 400) for a cancelled order (``order_cancelled``: nothing ships, so it has no
    tracking). A delivered order's carrier, tracking number and URL may still be corrected (a typo the customer
    needs fixed to follow a return or claim), but not its estimated delivery (``order_delivered``: it arrived).
    """
    shipment = _shipment_lock(order_id)
    if shipment.order.status == Order.Status.CANCELLED:
        raise ApplicationError("The order is cancelled: its shipment gets no tracking details.",
                               code=OrderErrorCode.ORDER_CANCELLED)
    if shipment.order.status == Order.Status.DELIVERED and "estimated_delivery_at" in data:
        raise ApplicationError("The order is delivered: it has no estimated delivery any more.",
                               code=OrderErrorCode.ORDER_DELIVERED,
                               extra={"errors": {"estimated_delivery_at": ["Not on a delivered order."]}})
    allowed = ("carrier", "tracking_number", "tracking_url", "estimated_delivery_at")
    for field in allowed:
        if field in data:
            setattr(shipment, field, data[field])
    shipment.full_clean(exclude=["order"])
    shipment.save()
    return shipment


def _tracking_refusal(order: Order, status: str) -> ApplicationError | None:
    """Why a tracking event with ``status`` cannot be recorded on ``order`` now, or None if it can."""
    if order.status == Order.Status.CANCELLED:
        return ApplicationError("The order is cancelled: its shipment cannot move.",
                                code=OrderErrorCode.ORDER_CANCELLED)
    if order.status == Order.Status.DELIVERED:
        return ApplicationError("The order is delivered: its shipment cannot move.",
                                code=OrderErrorCode.ORDER_DELIVERED)
    label = Shipment.Status(status).label
    if status == Shipment.Status.CANCELLED:
        return ApplicationError("A shipment is cancelled by cancelling its order.",
                                code=OrderErrorCode.INVALID_SHIPMENT_STATUS,
                                extra={"errors": {"status": ["Cancel the order instead."]}})
    target = ORDER_STATUS_OF_TRACKING.get(status)
    if target is not None:
        if target == order.status or can_transition(order.status, target):
            return None
        return ApplicationError(
            f"'{label}' means the order is {target}, and an order cannot go from {order.status} to {target}.",
            code=OrderErrorCode.INVALID_TRANSITION,
            extra={"errors": {"status": [f"Not while the order is {order.status}."]}},
        )
    if order.status not in TRACKING_WITHOUT_ORDER_MOVE.get(status, frozenset()):
        return ApplicationError(f"The order is {order.status}: '{label}' would move its shipment backwards.",
                                code=OrderErrorCode.INVALID_SHIPMENT_STATUS,
                                extra={"errors": {"status": [f"Not while the order is {order.status}."]}})
    return None


@transaction.atomic
def shipment_event_add(*, order_id: int, status: str, message: str = "", location: str = "",
                       occurred_at: datetime | None = None, by=None) -> ShipmentEvent:
    """Staff record a tracking event; the shipment takes its status, and the order follows through its pipeline.

    In transit, out for delivery or shipped on a processing order ships it; delivered on a shipped order delivers
    it (``delivered_at`` stamped, history row, customer email). ``message`` is shown to the customer with the event
    (empty: the status's label, e.g. "In transit"). Refused (``ApplicationError``) when the order's
    pipeline refuses that move, for a cancelled or delivered order, for a step backwards (packed after shipping)
    and for ``CANCELLED`` (cancel the order instead).

    ``occurred_at``: when the carrier scanned it (None: now). A late scan may be backfilled, within limits
    (``_shared.shipment_event_time_check``, 400 ``invalid_event_time`` naming ``occurred_at``): not later than
    now plus ``EVENT_CLOCK_SKEW`` (5 minutes), not before the order was placed, and, for an event that changes the
    shipment's status, not before its latest event. A delivered event's time becomes ``delivered_at``.
    """
    shipment = _shipment_lock(order_id)
    order = shipment.order
    if status not in Shipment.Status.values:
        raise ApplicationError(f"'{status}' is not a shipment status.", code=OrderErrorCode.INVALID_SHIPMENT_STATUS,
                               extra={"errors": {"status": [f"Choose one of {', '.join(Shipment.Status.values)}."]}})
    refusal = _tracking_refusal(order, status)
    if refusal is not None:
        raise refusal
    note = message
    message = message or Shipment.Status(status).label  # customers read events: "In transit", never blank
    target = ORDER_STATUS_OF_TRACKING.get(status)
    if target is not None and target != order.status:
        _set_status_locked(order, status=target, by=by, note=note,
                           event={"status": status, "message": message, "location": location,
                                  "occurred_at": occurred_at})
        return shipment.events.latest("id")  # the event the move just recorded
    return _shipment_event(shipment, status=status, message=message, location=location, occurred_at=occurred_at)


# --- Shipping methods (staff) ---------------------------------------------------------------------------------

@transaction.atomic
def shipping_method_save(*, data: dict, method: ShippingMethod | None = None) -> ShippingMethod:
    method = method or ShippingMethod()
    for field in ("name", "price", "free_over", "is_active", "tax_class"):
        if field in data:
            setattr(method, field, data[field])
    method.full_clean()
    method.save()
    return method


@transaction.atomic
def shipping_method_deactivate(*, method: ShippingMethod) -> None:
    """Retire a method without deleting it: past orders still point at it."""
    method.is_active = False
    method.save(update_fields=["is_active", "updated_at"])


def order_refund_notify(order: Order, *, refund_id: int) -> None:
    """Tell the customer, after commit, what a refund gives back (``refund:<id>`` e-mail, sent once). For refunds
    that leave the order open; a refund that cancels it is told by the cancellation e-mail."""
    _notify(order, f"refund:{refund_id}")


def order_mark_processing_locked(order: Order, *, reason: str) -> None:
    """A payment succeeded on a pending order: move it on to processing (the payment webhook's transition)."""
    if order.status != Order.Status.PENDING:
        return
    order.status = Order.Status.PROCESSING
    order.save(update_fields=["status", "updated_at"])
    _record_status(order, from_status=Order.Status.PENDING, to_status=Order.Status.PROCESSING, reason=reason)


