from django.db.models import Prefetch, prefetch_related_objects

from .models import Cart, CartItem


def cart_items_queryset():
    # variant__product: a variant's price falls back to its product's price.
    return CartItem.objects.select_related("product", "variant__product").order_by("id")


def cart_get_for_user(*, user) -> Cart:
    """The user's cart with its items, products and variants in two queries (created on first use)."""
    cart, _ = Cart.objects.get_or_create(user=user)
    prefetch_related_objects([cart], Prefetch("items", queryset=cart_items_queryset()))
    return cart


def cart_item_get(*, user, item_id: int) -> CartItem | None:
    return cart_items_queryset().filter(pk=item_id, cart__user=user).first()
