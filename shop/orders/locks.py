"""Row locks, always taken in this order across the codebase: cart -> stock rows -> order -> payment.

Each helper evaluates its queryset (a lazy ``select_for_update`` locks nothing). Stock rows are locked by
``shop.catalog.stock``'s guarded UPDATEs, in id order. Cancelling an order locks the order and then the stock
rows it restores; that cannot deadlock with checkout because checkout never locks an existing order.
"""

from shop.cart.models import Cart


def cart_lock(*, user) -> Cart:
    """The user's cart, created if needed, locked until the end of the transaction."""
    Cart.objects.get_or_create(user=user)
    return list(Cart.objects.select_for_update().filter(user=user).order_by("pk"))[0]


def order_lock(*, order_id: int, skip_locked: bool = False, **filters):
    """The order, locked (``None`` if it does not exist, does not match ``filters``, or is busy with skip_locked)."""
    from .models import Order

    rows = list(
        Order.objects.select_for_update(skip_locked=skip_locked).filter(pk=order_id, **filters).order_by("pk")
    )
    return rows[0] if rows else None
