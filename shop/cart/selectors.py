from django.db.models import Prefetch, prefetch_related_objects

from shop.discounts.calculation import DiscountLine
from shop.discounts.selectors import Evaluation, discounts_evaluate

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


def cart_discount_lines(items) -> list[DiscountLine]:
    """The cart's lines as the discount calculation reads them (keyed by cart item id, at ``price_snapshot``)."""
    return [DiscountLine(key=item.pk, product_id=item.product_id, variant_id=item.variant_id,
                         category_id=item.product.category_id, unit_price=item.price_snapshot, quantity=item.quantity)
            for item in items]


def cart_discounts(*, cart: Cart, user, items: list[CartItem] | None = None, code: str | None = None) -> Evaluation:
    """What sales and the cart's voucher (or ``code`` instead) take off the cart's ``items`` (``None``: read them)
    now; shipping is not chosen yet. A constant number of queries whatever the number of lines or promotions."""
    if items is None:
        items = list(cart_items_queryset().filter(cart=cart))
    return discounts_evaluate(lines=cart_discount_lines(items), code=cart.voucher_code if code is None else code,
                              email=user.email, shipping_price=None)
