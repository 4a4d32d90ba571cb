"""Unpaid orders past their payment deadline are cancelled (Celery beat runs ``expire_unpaid_orders``)."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..locks import order_lock
from ..models import (
    Order,
)
from ..transitions import CANCELLABLE
from .cancel import _cancel_and_restock_locked


def _expirable(order: Order, now: datetime) -> bool:
    """Open, past its deadline, and never paid: a paid order never expires, whatever was refunded since."""
    return (order.status in CANCELLABLE and not order.was_paid and order.payment_deadline is not None
            and order.payment_deadline <= now)


@transaction.atomic
def order_expire(*, order_id: int, now: datetime | None = None, skip_locked: bool = False) -> bool:
    """Cancel an unpaid order whose payment deadline has passed (reason ``expired``). True if it expired now.

    Everything is re-checked under the row lock: an order that was ever paid in full (``paid_at``; a partial
    or full refund does not clear it), a cancelled or a shipped order never expires.
    """
    now = now or timezone.now()
    order = order_lock(order_id=order_id, skip_locked=skip_locked)
    if order is None or not _expirable(order, now):
        return False
    _cancel_and_restock_locked(order, by=None, reason=Order.CancelReason.EXPIRED,
                               note="Not paid before the payment deadline.")
    return True


def expire_unpaid_orders(*, now: datetime | None = None, limit: int = 500) -> int:
    """Expire every overdue unpaid order, each in its own short transaction; orders busy elsewhere wait a round."""
    now = now or timezone.now()
    candidates = list(
        Order.objects.filter(status__in=CANCELLABLE, paid_at__isnull=True, payment_deadline__lte=now)
        .order_by("payment_deadline", "pk").values_list("pk", flat=True)[:limit]
    )
    return sum(order_expire(order_id=pk, now=now, skip_locked=True) for pk in candidates)


