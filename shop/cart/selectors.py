from django.db.models import Prefetch, prefetch_related_objects

from .models import Cart, CartItem
from .tokens import cart_token_hash, guest_cart_cutoff


def cart_items_queryset():
    # variant__product: a variant's price falls back to its product's price.
    return CartItem.objects.select_related("product", "variant__product").order_by("id")


def cart_get_for_user(*, user) -> Cart:
    """The user's cart with its items, products and variants in two queries (created on first use)."""
    cart, _ = Cart.objects.get_or_create(user=user)
    prefetch_related_objects([cart], Prefetch("items", queryset=cart_items_queryset()))
    return cart


def guest_cart_get(*, token: str | None) -> Cart | None:
    """The live guest cart ``token`` opens, with its items, products and variants (three queries), or None for
    a missing, unknown, closed or abandoned token (``GUEST_CART_DAYS``)."""
    if not token:
        return None
    cart = Cart.objects.filter(token_hash=cart_token_hash(token), user__isnull=True,
                               updated_at__gte=guest_cart_cutoff()).first()
    if cart is not None:
        prefetch_related_objects([cart], Prefetch("items", queryset=cart_items_queryset()))
    return cart


def cart_item_get(*, user=None, cart_token: str | None = None, item_id: int) -> CartItem | None:
    """One line of the owner's cart (the user's, else the guest cart of ``cart_token``); None if not theirs."""
    if user is not None:
        return cart_items_queryset().filter(pk=item_id, cart__user=user).first()
    if not cart_token:
        return None
    return cart_items_queryset().filter(pk=item_id, cart__token_hash=cart_token_hash(cart_token),
                                        cart__user__isnull=True, cart__updated_at__gte=guest_cart_cutoff()).first()
