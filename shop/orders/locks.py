"""The order's row lock. The house lock order (AGENTS.md rule 2) is cart -> order -> payment, with stock rows
moved by ``shop.catalog.stock``'s guarded UPDATEs (in id order) under whichever of those the path holds:

- checkout: cart (``shop.cart.locks.cart_lock``) -> stock rows; the order is a new row nobody else can lock;
- cancel, expiry, staff cancel: order -> stock rows restored -> the order's payments closed;
- refund, payment cancel, webhook or sync that cancels: order -> payment -> stock rows restored;
- undoing a checkout whose payment could not start: cart -> order -> stock rows -> payments.

The order row is the gate: nothing locks an existing order's payments without holding the order first
(``shop.payments.locks.payment_lock_with_order``, ``payment_start`` saving the gateway's answer included), so the
two orders of "stock" and "payment" under one order cannot deadlock. Never lock a cart after an order.

Each helper evaluates its queryset (a lazy ``select_for_update`` locks nothing) and raises ``TransactionRequired``
outside ``transaction.atomic()`` (``shop.core.locking``).
"""

from shop.core.compiled import CompiledIdsQuery
from shop.core.locking import transaction_required

from .models import Order


# The plain lock (no filters), with and without SKIP LOCKED, compiled once: it is taken by every order write.
def _plain_lock(skip_locked: bool) -> CompiledIdsQuery[Order]:
    return CompiledIdsQuery(Order, lambda ids: Order.objects.select_for_update(skip_locked=skip_locked)
                            .filter(pk__in=ids).order_by("pk"))


_LOCKS = {False: _plain_lock(False), True: _plain_lock(True)}


@transaction_required
def order_lock(*, order_id: int, skip_locked: bool = False, **filters) -> Order | None:
    """The order, locked (``None`` if it does not exist, does not match ``filters``, or is busy with skip_locked)."""
    if not filters:
        rows = _LOCKS[skip_locked].instances([order_id])
    else:
        rows = list(
            Order.objects.select_for_update(skip_locked=skip_locked).filter(pk=order_id, **filters).order_by("pk")
        )
    return rows[0] if rows else None
