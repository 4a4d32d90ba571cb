"""The cart's row lock: the first lock in the house order (AGENTS.md rule 2: cart -> order -> payment, stock rows
as the moving part). It lives with the cart so that the cart never imports the orders app."""

from shop.core.locking import transaction_required

from .models import Cart


@transaction_required
def cart_lock(*, user) -> Cart:
    """The user's cart, created if needed, locked until the end of the transaction.

    Raises ``TransactionRequired`` outside ``transaction.atomic()``. Serialises one user's cart writes and
    checkouts (a checkout takes this lock before anything else).
    """
    Cart.objects.get_or_create(user=user)
    return list(Cart.objects.select_for_update().filter(user=user).order_by("pk"))[0]
