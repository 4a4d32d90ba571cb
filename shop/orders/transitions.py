"""The order status pipeline (the API contract's "Allowed Status Transitions"): the one table every change is
checked against, and how a shipment's tracking statuses follow it."""

from .models import Order, Shipment

S = Order.Status
T = Shipment.Status

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.PROCESSING, S.CANCELLED}),
    S.PROCESSING: frozenset({S.SHIPPED, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset(),
    S.CANCELLED: frozenset(),
}

CANCELLABLE = frozenset(status for status, targets in ALLOWED_TRANSITIONS.items() if S.CANCELLED in targets)

# The order status a tracking status means. Recording one of these moves the order there through the pipeline
# above (a parcel in transit is a shipped order), or is refused when the pipeline refuses that move.
ORDER_STATUS_OF_TRACKING: dict[str, str] = {
    T.SHIPPED: S.SHIPPED,
    T.IN_TRANSIT: S.SHIPPED,
    T.OUT_FOR_DELIVERY: S.SHIPPED,
    T.DELIVERED: S.DELIVERED,
}

# Tracking statuses that say nothing about the order's status, and the order statuses they may be recorded in.
# CANCELLED is absent on purpose: a shipment is cancelled only by cancelling its order.
TRACKING_WITHOUT_ORDER_MOVE: dict[str, frozenset[str]] = {
    T.ORDER_PLACED: frozenset({S.PENDING, S.PROCESSING}),
    T.PACKED: frozenset({S.PENDING, S.PROCESSING}),
    T.EXCEPTION: frozenset({S.PENDING, S.PROCESSING, S.SHIPPED}),
}


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in ALLOWED_TRANSITIONS.get(from_status, frozenset())
