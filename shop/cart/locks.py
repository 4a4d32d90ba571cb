"""The cart's row lock: the first lock in the house order (AGENTS.md rule 2: cart -> order -> payment, stock rows
as the moving part). It lives with the cart so that the cart never imports the orders app."""

from django.utils import timezone

from shop.core.compiled import CompiledIdsQuery
from shop.core.exceptions import NotFound
from shop.core.locking import transaction_required

from .models import Cart
from .tokens import cart_token_lookup_hash, guest_cart_cutoff

CART_NOT_FOUND = "Cart not found."

# A user's cart lock, compiled once (shop.core.compiled): every checkout and cart write takes it.
_USER_CART_LOCK = CompiledIdsQuery(Cart, lambda ids: Cart.objects.select_for_update().filter(user_id__in=ids)
                                   .order_by("pk"))


@transaction_required
def cart_lock(*, user) -> Cart:
    """The user's cart, created if needed, locked until the end of the transaction.

    Raises ``TransactionRequired`` outside ``transaction.atomic()``. Serialises one user's cart writes and
    checkouts (a checkout takes this lock before anything else). One query when the cart exists.
    """
    rows = _USER_CART_LOCK.instances([user.pk])
    if rows:
        return rows[0]
    Cart.objects.get_or_create(user=user)  # a concurrent first request may create it meanwhile: either one stays
    return _USER_CART_LOCK.instances([user.pk])[0]


@transaction_required
def guest_cart_lock(*, token: str | None) -> Cart:
    """The guest cart ``token`` opens, locked until the end of the transaction, its activity time refreshed.

    Raises ``NotFound`` (404, the same answer for every case) when the token is missing, unknown, belongs to a
    closed (merged) cart or to one abandoned for ``GUEST_CART_DAYS``. Serialises one guest cart's writes and
    checkouts, as ``cart_lock`` does for a user's.
    """
    token_hash = cart_token_lookup_hash(token)
    if token_hash is None:
        raise NotFound(CART_NOT_FOUND)
    rows = list(Cart.objects.select_for_update().filter(
        token_hash=token_hash, user__isnull=True, updated_at__gte=guest_cart_cutoff()).order_by("pk"))
    if not rows:
        raise NotFound(CART_NOT_FOUND)
    cart = rows[0]
    cart.updated_at = timezone.now()  # a write is activity: the cart is not abandoned
    Cart.objects.filter(pk=cart.pk).update(updated_at=cart.updated_at)
    return cart


@transaction_required
def carts_lock(*, cart_ids: list[int]) -> list[Cart]:
    """Several carts locked in id order (a login merging a guest cart into the user's): never two lock orders."""
    return list(Cart.objects.select_for_update().filter(pk__in=cart_ids).order_by("pk"))


@transaction_required
def owner_cart_lock(*, user=None, cart_token: str | None = None) -> Cart:
    """The cart a request owns, locked: the user's when ``user`` is given, else the guest cart of ``cart_token``
    (404 ``NotFound`` when that opens none). Raises ``TransactionRequired`` outside ``transaction.atomic()``."""
    if user is not None:
        return cart_lock(user=user)
    return guest_cart_lock(token=cart_token)
