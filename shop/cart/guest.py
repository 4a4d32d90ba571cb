"""Guest carts at login and at the end of their life: merging one into the user's cart, deleting abandoned ones.

Merging (``cart_merge_guest``) runs when a login or register sends ``X-Cart-Token`` (``shop.cart.apps`` registers
it as a login hook of ``shop.accounts.hooks``). The client picks the strategy (``X-Cart-Merge``):

- ``merge`` (default): every guest line is added to the user's cart; the same product/variant adds up;
- ``replace``: the user's lines are removed, the guest lines take their place;
- ``keep``: the user's cart stays as it is, the guest lines are discarded.

Every moved line is checked as if it were added now: a product or variant that is no longer for sale is dropped,
a quantity above the stock or the line limit (``CART_MAX_QUANTITY``) is capped, and a line whose price changed
since the guest saw it takes today's price. Each of those is reported as an adjustment. Whatever the strategy,
the guest cart is then deleted: its token opens nothing any more.

The guest cart's voucher code (``POST /cart/voucher/``): ``merge`` carries it over only when the user's cart has
none (a code the user chose is never overwritten by one typed while logged out); ``replace`` takes it in place of
the user's when the guest cart has one; ``keep`` leaves the user's cart, code included, as it was. A carried code
is checked again on the next cart answer and at checkout, now against the user's e-mail (``voucher.applies``).
"""

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shop.catalog.models import Product, ProductVariant
from shop.core.money import money_text

from .locks import carts_lock
from .models import CART_MAX_QUANTITY, Cart, CartItem
from .tokens import cart_token_lookup_hash, guest_cart_cutoff


class MergeStrategy(StrEnum):
    MERGE = "merge"
    REPLACE = "replace"
    KEEP = "keep"


class Adjustment(StrEnum):
    CAPPED = "capped"  # quantity lowered to the stock or the line limit
    DROPPED_INACTIVE = "dropped_inactive"  # the product or variant is no longer for sale
    DROPPED_OUT_OF_STOCK = "dropped_out_of_stock"  # nothing left to sell
    REPRICED = "repriced"  # the price changed since the guest added it: today's price applies
    DISCARDED = "discarded"  # strategy ``keep``: the guest line was not taken over


@dataclass(frozen=True)
class LineAdjustment:
    """One change a merge made to one guest line. Quantities are units; prices are unit prices (Decimal)."""

    kind: str
    product_id: int
    variant_id: int | None
    name: str
    # What the merge asked this line to hold: the guest's quantity plus what the account's cart already held of the
    # same product/variant (``merge``); the guest's quantity alone for ``replace`` and ``keep``.
    requested_quantity: int
    quantity: int  # what the user's cart holds for this product/variant now (0: dropped or discarded)
    old_price: Decimal | None = None
    new_price: Decimal | None = None


@dataclass
class MergeReport:
    """What a login did with a guest cart: ``cart_found`` False when the token opened no live guest cart (then
    nothing changed); ``lines_merged`` guest lines now in the user's cart; ``adjustments`` every change made."""

    strategy: str
    cart_found: bool
    lines_merged: int = 0
    adjustments: list[LineAdjustment] = field(default_factory=list)

    def as_dict(self) -> dict:
        """JSON-ready: prices as strings with the shop currency's digits ("12.50" EUR, "1250" JPY), never floats."""
        answer = asdict(self)
        for adjustment in answer["adjustments"]:
            for name in ("old_price", "new_price"):
                if adjustment[name] is not None:
                    adjustment[name] = money_text(adjustment[name], settings.SHOP_CURRENCY)
        return answer


def _line_name(product: Product, variant: ProductVariant | None) -> str:
    return f"{product.name} ({variant.name})" if variant is not None else product.name


def _for_sale(product: Product, variant: ProductVariant | None, has_variants: bool) -> bool:
    if not product.is_active or product.is_deleted:
        return False
    if variant is None:
        return not has_variants  # a product that gained variants must now be bought as one of them
    return variant.is_active and not variant.is_deleted


def _take_line(cart: Cart, guest_line: CartItem, existing: CartItem | None, has_variants: bool,
               report: MergeReport) -> None:
    """Move one guest line into ``cart`` (adding to ``existing``), recording every adjustment."""
    product, variant = guest_line.product, guest_line.variant
    requested = guest_line.quantity + (existing.quantity if existing is not None else 0)

    def adjust(kind: Adjustment, quantity: int, old_price: Decimal | None = None,
               new_price: Decimal | None = None) -> None:
        report.adjustments.append(LineAdjustment(
            kind=kind, product_id=product.pk, variant_id=variant.pk if variant else None,
            name=_line_name(product, variant), requested_quantity=requested, quantity=quantity,
            old_price=old_price, new_price=new_price))

    if not _for_sale(product, variant, has_variants):
        adjust(Adjustment.DROPPED_INACTIVE, 0)
        return
    stock = variant.stock_quantity if variant is not None else product.stock_quantity
    limit = min(stock, CART_MAX_QUANTITY)
    if limit <= 0:
        adjust(Adjustment.DROPPED_OUT_OF_STOCK, 0)
        return
    quantity = min(requested, limit)
    if quantity < requested:
        adjust(Adjustment.CAPPED, quantity)
    price = variant.price if variant is not None else product.price
    if price != guest_line.price_snapshot:
        adjust(Adjustment.REPRICED, quantity, old_price=guest_line.price_snapshot, new_price=price)
    line = existing or CartItem(cart=cart, product=product, variant=variant)
    # Taken over as if added now: today's price, held from now (shop/cart/pricing.py), the old one remembered.
    line.quantity, line.price_snapshot, line.priced_at = quantity, price, timezone.now()
    line.price_changed_from = guest_line.price_snapshot if price != guest_line.price_snapshot else None
    line.full_clean(exclude=["cart"], validate_unique=False, validate_constraints=False)
    line.save()
    report.lines_merged += 1


@transaction.atomic
def cart_merge_guest(*, user, token: str, strategy: str = MergeStrategy.MERGE) -> MergeReport:
    """Merge the guest cart ``token`` opens into ``user``'s cart with ``strategy`` and close the guest cart.

    Both carts are locked in id order (a checkout of either waits, then sees the result). A missing, unknown,
    closed or abandoned token changes nothing and answers ``cart_found=False``. Raises ``ValueError`` for an
    unknown strategy (the API validates it first).
    """
    strategy = MergeStrategy(strategy)
    user_cart, _ = Cart.objects.get_or_create(user=user)
    token_hash = cart_token_lookup_hash(token)
    guest_id = None if token_hash is None else (
        Cart.objects.filter(token_hash=token_hash, user__isnull=True, updated_at__gte=guest_cart_cutoff())
        .values_list("pk", flat=True).first())
    if guest_id is None:
        return MergeReport(strategy=strategy, cart_found=False)
    locked = {cart.pk: cart for cart in carts_lock(cart_ids=[user_cart.pk, guest_id])}
    guest, user_cart = locked.get(guest_id), locked[user_cart.pk]  # read under the locks (voucher code too)
    if guest is None or guest.user_id is not None:
        return MergeReport(strategy=strategy, cart_found=False)  # merged by a concurrent login meanwhile
    report = MergeReport(strategy=strategy, cart_found=True)
    guest_lines = list(CartItem.objects.filter(cart=guest).select_related("product", "variant__product")
                       .order_by("id"))
    if strategy == MergeStrategy.KEEP:
        report.adjustments = [
            LineAdjustment(kind=Adjustment.DISCARDED, product_id=line.product_id, variant_id=line.variant_id,
                           name=_line_name(line.product, line.variant), requested_quantity=line.quantity, quantity=0)
            for line in guest_lines
        ]
    else:
        if strategy == MergeStrategy.REPLACE:
            CartItem.objects.filter(cart=user_cart).delete()
        existing = {(line.product_id, line.variant_id): line for line in CartItem.objects.filter(cart=user_cart)}
        with_variants = set(ProductVariant.objects.filter(
            product_id__in={line.product_id for line in guest_lines if line.variant_id is None}, is_deleted=False,
        ).values_list("product_id", flat=True))
        for line in guest_lines:
            _take_line(user_cart, line, existing.get((line.product_id, line.variant_id)),
                       line.product_id in with_variants, report)
        if guest.voucher_code and (strategy == MergeStrategy.REPLACE or not user_cart.voucher_code):
            user_cart.voucher_code = guest.voucher_code
            user_cart.save(update_fields=["voucher_code", "updated_at"])
    guest.delete()  # the token opens nothing any more
    return report


def guest_carts_delete_abandoned(*, limit: int = 1000) -> int:
    """Delete up to ``limit`` guest carts untouched for ``GUEST_CART_DAYS`` (their lines go with them; orders
    checked out from them keep everything but the link). Returns how many were deleted. Safe to run
    concurrently: a cart touched meanwhile no longer matches the cutoff."""
    cutoff = guest_cart_cutoff()
    ids = list(Cart.objects.filter(user__isnull=True, updated_at__lt=cutoff).order_by("pk")
               .values_list("pk", flat=True)[:limit])
    if not ids:
        return 0
    _, per_model = Cart.objects.filter(pk__in=ids, user__isnull=True, updated_at__lt=cutoff).delete()
    return per_model.get(Cart._meta.label, 0)
