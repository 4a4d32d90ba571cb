from django.db.models import Prefetch, prefetch_related_objects

from .models import Cart, CartItem
from .pricing import CartPrice, cart_price


def cart_items_queryset():
    # variant__product: a variant's price falls back to its product's price; the tax classes price the line.
    return CartItem.objects.select_related(
        "product__tax_class", "variant__product", "variant__tax_class").order_by("id")


def cart_get_for_user(*, user) -> Cart:
    """The user's cart with its items, products and variants in two queries (created on first use)."""
    cart, _ = Cart.objects.get_or_create(user=user)
    prefetch_related_objects([cart], Prefetch("items", queryset=cart_items_queryset()))
    return cart


def cart_priced_for_user(*, user) -> tuple[Cart, CartPrice]:
    """The user's cart (as :func:`cart_get_for_user`) and what it costs now (``shop.cart.pricing.cart_price``):
    two queries for the cart and its lines, two for the tax rates, whatever the number of lines."""
    cart = cart_get_for_user(user=user)
    return cart, cart_price(cart.items.all())


def cart_item_get(*, user, item_id: int) -> CartItem | None:
    return cart_items_queryset().filter(pk=item_id, cart__user=user).first()
