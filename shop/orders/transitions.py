"""The order status pipeline (allowed status transitions): the one table every change is checked against."""

from .models import Order

S = Order.Status

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.PROCESSING, S.CANCELLED}),
    S.PROCESSING: frozenset({S.SHIPPED, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset(),
    S.CANCELLED: frozenset(),
}

CANCELLABLE = frozenset(status for status, targets in ALLOWED_TRANSITIONS.items() if S.CANCELLED in targets)


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in ALLOWED_TRANSITIONS.get(from_status, frozenset())
