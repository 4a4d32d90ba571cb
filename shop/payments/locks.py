"""Payment row locks, always taken after the payment's order's (AGENTS.md rule 2: cart -> order -> payment).

Each helper evaluates its queryset (a lazy ``select_for_update`` locks nothing) and raises ``TransactionRequired``
outside ``transaction.atomic()`` (``shop.core.locking``).
"""

from shop.core.compiled import CompiledIdsQuery
from shop.core.exceptions import NotFound
from shop.core.locking import transaction_required
from shop.orders.locks import order_lock
from shop.orders.models import Order

from .models import Payment, Refund

# Compiled once (shop.core.compiled): the payment lock, and the lock on an order's active attempts that starting a
# payment takes; both run in every checkout.
_PAYMENT_LOCK = CompiledIdsQuery(Payment, lambda ids: Payment.objects.select_for_update().filter(pk__in=ids))
_ACTIVE_PAYMENTS_LOCK = CompiledIdsQuery(Payment, lambda ids: Payment.objects.select_for_update().filter(
    order_id__in=ids, status__in=Payment.ACTIVE).order_by("pk"))


@transaction_required
def payment_lock_with_order(*, payment_id: int, user=None, order_id: int | None = None) -> tuple[Order, Payment]:
    """Lock the payment's order, then the payment. ``user`` (not staff) limits to their own payments;
    ``order_id``: the payment's order when the caller knows it (saves a read).

    Raises ``NotFound`` (404) when there is no such payment for ``user``, or when it vanished between the read of
    its order id and the locks.
    """
    if order_id is None:
        filters: dict[str, object] = {"pk": payment_id}
        if user is not None and not user.is_staff:
            filters["user"] = user
        order_id = Payment.objects.filter(**filters).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound("Payment not found.")
    order = order_lock(order_id=order_id)
    if order is None:
        raise NotFound("Payment not found.")
    return order, payment_lock(payment_id=payment_id)


@transaction_required
def payment_lock(*, payment_id: int) -> Payment:
    """Lock one payment whose order the caller already holds locked. Raises ``Payment.DoesNotExist``."""
    rows = _PAYMENT_LOCK.instances([payment_id])
    if not rows:
        raise Payment.DoesNotExist(f"Payment {payment_id} does not exist.")
    return rows[0]


@transaction_required
def order_payments_lock(*, order: Order, **filters) -> list[Payment]:
    """Lock the payments of ``order`` (held locked by the caller) that match ``filters``, in id order."""
    return list(Payment.objects.select_for_update().filter(order=order, **filters).order_by("pk"))


@transaction_required
def order_active_payments_lock(*, order: Order) -> list[Payment]:
    """``order_payments_lock(order=order, status__in=Payment.ACTIVE)``: its attempts still pending or processing,
    locked in id order (compiled once: starting a payment takes it)."""
    return _ACTIVE_PAYMENTS_LOCK.instances([order.pk])


@transaction_required
def refund_lock(*, payment: Payment, provider_refund_id: str, status: str) -> Refund | None:
    """Lock the payment's refund with this gateway id and status (payment locked by the caller), or None."""
    rows = list(Refund.objects.select_for_update()
                .filter(payment=payment, provider_refund_id=provider_refund_id, status=status).order_by("pk")[:1])
    return rows[0] if rows else None
