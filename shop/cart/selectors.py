from collections.abc import Sequence

from django.db.models import Exists, OuterRef, Prefetch, Q, prefetch_related_objects
from django.utils import timezone

from shop.catalog.models import Product, ProductVariant
from shop.catalog.selectors import lines_with_product_shown_stock
from shop.core.compiled import CompiledIdsQuery
from shop.core.exceptions import ApplicationError
from shop.discounts.calculation import DiscountLine
from shop.discounts.selectors import Evaluation, discounts_evaluate

from .errors import CartErrorCode
from .models import Cart, CartItem
from .pricing import CartPrice, cart_price, held_unit_price, line_is_buyable
from .tokens import cart_token_lookup_hash, guest_cart_cutoff

# Compiled once (shop.core.compiled): each checkout runs these, and building and compiling them was most of their
# cost (bench/README.md, section 15).
_CART_HOLDING = CompiledIdsQuery(Cart, lambda ids: Cart.objects.filter(user_id__in=ids).filter(
    ~Q(voucher_code="") | Exists(CartItem.objects.filter(cart=OuterRef("pk")))).values("pk")[:1])
_VARIANTS = CompiledIdsQuery(ProductVariant, lambda ids: ProductVariant.objects.select_related("product")
                             .filter(pk__in=ids))
_PRODUCTS = CompiledIdsQuery(Product, lambda ids: Product.objects.annotate(
    has_variants=Exists(ProductVariant.objects.filter(product=OuterRef("pk")))).filter(pk__in=ids))


def cart_holds_anything(*, user) -> bool:
    """Whether the user's cart has a line or a voucher code (False without a cart): one query, so that emptying an
    empty cart costs no transaction."""
    return user is not None and user.pk is not None and bool(_CART_HOLDING.rows([user.pk]))


def cart_items_queryset():
    # variant__product: a variant's price falls back to its product's price; the tax classes price the line.
    # The nested product's stock is the catalog's figure (summed over variants), in the same query.
    return lines_with_product_shown_stock(CartItem.objects.select_related(
        "product__tax_class", "variant__product", "variant__tax_class").order_by("id"))


def cart_get_for_user(*, user) -> Cart:
    """The user's cart with its items, products and variants in two queries (created on first use)."""
    cart, _ = Cart.objects.get_or_create(user=user)
    prefetch_related_objects([cart], Prefetch("items", queryset=cart_items_queryset()))
    return cart


def cart_priced_for_user(*, user) -> tuple[Cart, CartPrice]:
    """The user's cart (as :func:`cart_get_for_user`) and what it costs now (``shop.cart.pricing.cart_price``),
    sales and its voucher included (:func:`cart_discounts`): two queries for the cart and its lines, two for the
    tax rates, one to three for the sales, four for a voucher code, whatever the number of lines or sales."""
    cart = cart_get_for_user(user=user)
    items = list(cart.items.all())
    now = timezone.now()
    return cart, cart_price(items, now=now, discounts=cart_discounts(cart=cart, email=user.email, items=items, now=now))


def cart_discount_lines(items, *, now) -> list[DiscountLine]:
    """The cart's lines as the discount calculation reads them (keyed by cart item id, at the unit price checkout
    charges now: ``shop.cart.pricing.held_unit_price``); a line that cannot be bought takes no discount."""
    return [DiscountLine(key=item.pk, product_id=item.product_id, variant_id=item.variant_id,
                         category_id=item.product.category_id, unit_price=held_unit_price(item, now=now),
                         quantity=item.quantity)
            for item in items if line_is_buyable(item)]


def cart_discounts(*, cart: Cart, email: str, items: list[CartItem] | None = None, code: str | None = None,
                   now=None) -> Evaluation:
    """What sales and the cart's voucher (or ``code`` instead) take off the cart's ``items`` (``None``: read them)
    now; shipping is not chosen yet. ``email`` is the customer's for a per-customer limit (``""`` for a guest
    cart: not asked until checkout gives one). A constant number of queries whatever the number of lines or
    promotions."""
    now = now or timezone.now()
    if items is None:
        items = list(cart_items_queryset().filter(cart=cart))
    return discounts_evaluate(lines=cart_discount_lines(items, now=now),
                              code=cart.voucher_code if code is None else code, email=email,
                              shipping_price=None, now=now)


def guest_cart_get(*, token: str | None) -> Cart | None:
    """The live guest cart ``token`` opens, with its items, products and variants (three queries), or None for
    a missing, unknown, closed or abandoned token (``GUEST_CART_DAYS``)."""
    token_hash = cart_token_lookup_hash(token)
    if token_hash is None:
        return None
    cart = Cart.objects.filter(token_hash=token_hash, user__isnull=True,
                               updated_at__gte=guest_cart_cutoff()).first()
    if cart is not None:
        prefetch_related_objects([cart], Prefetch("items", queryset=cart_items_queryset()))
    return cart


def cart_priced_for_guest(*, token: str | None) -> tuple[Cart, CartPrice] | None:
    """The live guest cart ``token`` opens and what it costs now, sales and its voucher included (as
    :func:`cart_priced_for_user`; the voucher's per-customer limit waits for checkout's e-mail), or None."""
    cart = guest_cart_get(token=token)
    if cart is None:
        return None
    items = list(cart.items.all())
    now = timezone.now()
    return cart, cart_price(items, now=now, discounts=cart_discounts(cart=cart, email="", items=items, now=now))


def cart_priced(*, cart: Cart) -> tuple[Cart, CartPrice]:
    """``cart`` itself (say, one just created) with its lines loaded and what it costs now: no lookup by token, so
    it answers whatever ``GUEST_CART_DAYS`` says about the cart's age."""
    prefetch_related_objects([cart], Prefetch("items", queryset=cart_items_queryset()))
    return cart, cart_price(cart.items.all())


def purchasable_get(*, product_id: int | None, variant_id: int | None) -> tuple[Product, ProductVariant | None]:
    """The product (and variant) a cart or order line names, refused unless a customer can buy it: a read, it
    locks and changes nothing (one query).

    A product with variants must be bought as one of them; a variant must belong to the named product. Raises
    ``ApplicationError`` (400) with a ``CartErrorCode``: ``product_required``, ``product_not_found``,
    ``variant_not_found``, ``variant_mismatch``, ``variant_required``, ``product_unavailable``.
    """
    return purchasables_get(lines=[(product_id, variant_id)])[0]


def purchasables_get(*, lines: Sequence[tuple[int | None, int | None]]) -> list[tuple[Product, ProductVariant | None]]:
    """:func:`purchasable_get` for many lines (``(product_id, variant_id)`` pairs) at once: the answers in the
    lines' order, in at most two queries whatever their number (the variants named, with their products; the
    products named without a variant, each with whether it has variants). The first line that cannot be bought
    raises its ``ApplicationError``, as :func:`purchasable_get` would."""
    # An id no key column can hold names nothing: CompiledIdsQuery leaves it out of the query.
    variant_ids = {variant_id for _, variant_id in lines if variant_id is not None}
    product_ids = {product_id for product_id, variant_id in lines if variant_id is None and product_id is not None}
    variants = {variant.pk: variant for variant in _VARIANTS.instances(sorted(variant_ids))}
    products = {product.pk: product for product in _PRODUCTS.instances(sorted(product_ids))}
    return [_purchasable(product_id, variant_id, products, variants) for product_id, variant_id in lines]


def _purchasable(product_id: int | None, variant_id: int | None, products: dict[int, Product],
                 variants: dict[int, ProductVariant]) -> tuple[Product, ProductVariant | None]:
    variant = None
    if variant_id is not None:
        variant = variants.get(variant_id)
        if variant is None:
            raise ApplicationError(f"Variant {variant_id} does not exist.", code=CartErrorCode.VARIANT_NOT_FOUND)
        if product_id is not None and variant.product_id != product_id:
            raise ApplicationError(f"Variant {variant_id} does not belong to product {product_id}.",
                                   code=CartErrorCode.VARIANT_MISMATCH)
        product = variant.product
    else:
        if product_id is None:
            raise ApplicationError("Give a product_id or a variant_id.", code=CartErrorCode.PRODUCT_REQUIRED)
        found = products.get(product_id)
        if found is None:
            raise ApplicationError(f"Product {product_id} does not exist.", code=CartErrorCode.PRODUCT_NOT_FOUND)
        product = found
    if not product.is_active or product.is_deleted:
        raise ApplicationError(f"'{product.name}' is not available.", code=CartErrorCode.PRODUCT_UNAVAILABLE)
    if variant is None and product.has_variants:  # type: ignore[attr-defined]  # the annotation above
        raise ApplicationError(f"'{product.name}' comes in variants: choose one with variant_id.",
                               code=CartErrorCode.VARIANT_REQUIRED)
    if variant is not None and not variant.is_active:
        raise ApplicationError(f"'{product.name} ({variant.name})' is not available.",
                               code=CartErrorCode.PRODUCT_UNAVAILABLE)
    return product, variant
