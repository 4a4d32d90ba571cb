"""Cart writes. Every write locks the cart row first (the same lock checkout takes), so a line added while
a checkout is running is never lost between "order created" and "cart cleared"."""

from django.db import transaction

from shop.catalog.errors import CatalogErrorCode
from shop.catalog.models import Product, ProductVariant
from shop.core.exceptions import ApplicationError, NotFound

from .errors import CartErrorCode
from .locks import cart_lock
from .models import CART_MAX_QUANTITY, Cart, CartItem


def _check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= CART_MAX_QUANTITY:
        raise ApplicationError(f"Quantity must be between 1 and {CART_MAX_QUANTITY}.",
                               code=CatalogErrorCode.INVALID_QUANTITY,
                               extra={"errors": {"quantity": [f"Must be between 1 and {CART_MAX_QUANTITY}."]}})


def _check_stock(item: CartItem) -> None:
    """A courtesy check when the cart changes; checkout's guarded stock UPDATE is what actually decides."""
    product, variant = item.product, item.variant
    available = variant.stock_quantity if variant is not None else product.stock_quantity
    if item.quantity > available:
        name = f"{product.name} ({variant.name})" if variant is not None else product.name
        raise ApplicationError(f"Not enough stock for '{name}': {item.quantity} requested, {available} available.",
                               code=CatalogErrorCode.INSUFFICIENT_STOCK)


def purchasable_resolve(*, product_id: int | None, variant_id: int | None) -> tuple[Product, ProductVariant | None]:
    """The product (and variant) a line refers to, refused unless a customer can buy it.

    A product with variants must be bought as one of them; a variant must belong to the named product.
    """
    variant = None
    if variant_id is not None:
        variant = ProductVariant.objects.select_related("product").filter(pk=variant_id).first()
        if variant is None:
            raise ApplicationError(f"Variant {variant_id} does not exist.", code=CartErrorCode.VARIANT_NOT_FOUND)
        if product_id is not None and variant.product_id != product_id:
            raise ApplicationError(f"Variant {variant_id} does not belong to product {product_id}.",
                                   code=CartErrorCode.VARIANT_MISMATCH)
        product = variant.product
    else:
        if product_id is None:
            raise ApplicationError("Give a product_id or a variant_id.", code=CartErrorCode.PRODUCT_REQUIRED)
        found = Product.objects.filter(pk=product_id).first()
        if found is None:
            raise ApplicationError(f"Product {product_id} does not exist.", code=CartErrorCode.PRODUCT_NOT_FOUND)
        product = found
    if not product.is_active or product.is_deleted:
        raise ApplicationError(f"'{product.name}' is not available.", code=CartErrorCode.PRODUCT_UNAVAILABLE)
    if variant is None and product.variants.exists():
        raise ApplicationError(f"'{product.name}' comes in variants: choose one with variant_id.",
                               code=CartErrorCode.VARIANT_REQUIRED)
    if variant is not None and not variant.is_active:
        raise ApplicationError(f"'{product.name} ({variant.name})' is not available.",
                               code=CartErrorCode.PRODUCT_UNAVAILABLE)
    return product, variant


@transaction.atomic
def cart_item_add(*, user, product_id: int | None, variant_id: int | None = None, quantity: int = 1) -> Cart:
    """Add a line, or add to the quantity of the same product/variant already in the cart."""
    _check_quantity(quantity)
    cart = cart_lock(user=user)
    product, variant = purchasable_resolve(product_id=product_id, variant_id=variant_id)
    item = CartItem.objects.filter(cart=cart, product=product, variant=variant).first()
    if item is None:
        price = variant.price if variant is not None else product.price
        item = CartItem(cart=cart, product=product, variant=variant, quantity=quantity, price_snapshot=price)
    else:
        item.quantity += quantity
        _check_quantity(item.quantity)
    _check_stock(item)
    item.full_clean()
    item.save()
    return cart


@transaction.atomic
def cart_item_update(*, user, item_id: int, quantity: int) -> CartItem | None:
    """Set a line's quantity; 0 removes it (and returns None)."""
    cart = cart_lock(user=user)
    item = CartItem.objects.select_related("product", "variant").filter(pk=item_id, cart=cart).first()
    if item is None:
        raise NotFound("Cart item not found.")
    if quantity == 0:
        item.delete()
        return None
    _check_quantity(quantity)
    if quantity > item.quantity:
        item.quantity = quantity
        _check_stock(item)
    item.quantity = quantity
    item.full_clean()
    item.save(update_fields=["quantity", "updated_at"])
    return item


@transaction.atomic
def cart_item_remove(*, user, item_id: int) -> None:
    cart = cart_lock(user=user)
    deleted, _ = CartItem.objects.filter(pk=item_id, cart=cart).delete()
    if not deleted:
        raise NotFound("Cart item not found.")


@transaction.atomic
def cart_clear(*, user) -> None:
    cart = cart_lock(user=user)
    CartItem.objects.filter(cart=cart).delete()
