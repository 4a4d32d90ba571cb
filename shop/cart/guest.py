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

The order limit too: adding to a cart refuses a line that takes it past what one order can hold (400
``order_too_large``, ``shop.cart.services``: the cart before discounts, tax included, below ``MONEY_LIMIT``), which
checkout would refuse. A login cannot be refused for its cart, so the merge takes, guest line by guest line in the
order they were added, as many units as still fit (``capped``) and none of a line that does not fit at all
(``dropped_order_too_large``, or ``capped`` at what the user's line already held). The user's own lines are never
lowered for it: a line that gains no unit stays exactly as it was, held price included. The lines that do not fit
are reported, not kept in the guest cart, which closes as after any merge (one token, one merge: a cart left
half-open would be merged again by the next login that sends its token).

And the line limit: adding a new line to a cart already holding ``ORDER_MAX_LINES`` is refused (400
``too_many_lines``). The merge takes guest lines that are new to the user's cart, in the order they were added, while
there is room, and leaves out the rest (``dropped_too_many_lines``); a guest line adding to a line the user's cart
holds takes no room. The user's own lines are never removed for it (a cart kept from before the limit may hold
more: checkout says how many to remove).

The guest cart's voucher code (``POST /cart/voucher/``): ``merge`` carries it over only when the user's cart has
none (a code the user chose is never overwritten by one typed while logged out); ``replace`` takes it in place of
the user's when the guest cart has one; ``keep`` leaves the user's cart, code included, as it was. A carried code
is checked again on the next cart answer and at checkout, now against the user's e-mail (``voucher.applies``).
"""

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shop.catalog.models import Product, ProductVariant
from shop.core.exceptions import ApplicationError
from shop.core.money import money_text
from shop.pricing.errors import PricingErrorCode

from .locks import carts_lock
from .models import CART_MAX_QUANTITY, ORDER_MAX_LINES, Cart, CartItem
from .pricing import cart_order_amount, fits_one_order, seen_sale_price
from .tokens import cart_token_lookup_hash, guest_cart_cutoff

logger = logging.getLogger(__name__)


class MergeStrategy(StrEnum):
    MERGE = "merge"
    REPLACE = "replace"
    KEEP = "keep"


class Adjustment(StrEnum):
    CAPPED = "capped"  # quantity lowered to the stock, the line limit or what one order can still hold
    DROPPED_INACTIVE = "dropped_inactive"  # the product or variant is no longer for sale
    DROPPED_OUT_OF_STOCK = "dropped_out_of_stock"  # nothing left to sell
    DROPPED_ORDER_TOO_LARGE = "dropped_order_too_large"  # not one unit fits beside the cart in one order
    DROPPED_TOO_MANY_LINES = "dropped_too_many_lines"  # a new line past ORDER_MAX_LINES, the most one order holds
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


# What pricing a line reads (``shop.cart.pricing``: its tax class), selected with it.
_PRICED = ("product__tax_class", "variant__tax_class")


def _line_name(product: Product, variant: ProductVariant | None) -> str:
    return f"{product.name} ({variant.name})" if variant is not None else product.name


def _for_sale(product: Product, variant: ProductVariant | None, has_variants: bool) -> bool:
    if not product.is_active or product.is_deleted:
        return False
    if variant is None:
        return not has_variants  # a product that gained variants must now be bought as one of them
    return variant.is_active and not variant.is_deleted


@dataclass
class _Take:
    """One guest line on its way into the user's cart, decided before anything is written."""

    guest_line: CartItem
    existing: CartItem | None  # the user's line of the same product/variant (``merge``)
    requested: int
    dropped: Adjustment | None = None
    allowed: int = 0  # what the stock and the line limit allow
    price: Decimal = Decimal(0)  # today's unit price, which the merged line takes
    quantity: int = 0  # what the merge gives the line: ``allowed``, or less where the order limit says so
    kept: bool = False  # no guest unit fits in one order: the user's line stays as it was

    @property
    def key(self) -> tuple[int, int | None]:
        return self.guest_line.product_id, self.guest_line.variant_id

    def line_at(self, quantity: int, now: datetime) -> CartItem:
        """The merged line holding ``quantity`` at today's price, held from ``now``, for pricing (not saved)."""
        return CartItem(product=self.guest_line.product, variant=self.guest_line.variant, quantity=quantity,
                        price_snapshot=self.price, priced_at=now)


def _take(guest_line: CartItem, existing: CartItem | None, has_variants: bool) -> _Take:
    """What the stock, the line limit and the catalog allow of one guest line (the order limit comes after)."""
    product, variant = guest_line.product, guest_line.variant
    take = _Take(guest_line, existing, guest_line.quantity + (existing.quantity if existing is not None else 0))
    if not _for_sale(product, variant, has_variants):
        take.dropped = Adjustment.DROPPED_INACTIVE
        return take
    stock = variant.stock_quantity if variant is not None else product.stock_quantity
    take.allowed = min(take.requested, stock, CART_MAX_QUANTITY)
    if take.allowed <= 0:
        take.dropped = Adjustment.DROPPED_OUT_OF_STOCK
        return take
    take.price = variant.price if variant is not None else product.price
    take.quantity = take.allowed
    return take


def _most_that_fits(low: int, high: int, fits: Callable[[int], bool]) -> int | None:
    """The largest quantity in ``low..high`` that ``fits``, None when not even ``low`` does. More units never make a
    cart cheaper, so a search halving the range finds it: ``fits`` is asked at most ~12 times (1000 units)."""
    if fits(high):
        return high
    if low >= high or not fits(low):
        return None
    while high - low > 1:  # fits(low), not fits(high)
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return low


def _fit_one_order(takes: list[_Take], existing: dict, now: datetime) -> None:
    """Lower the takes so the cart stays within one order: guest lines in the order they were added, each given the
    most units that still fit beside the user's lines and the guest lines before it (``fits_one_order``). A user's
    line is never lowered below what it held (nor changed at all when no guest unit fits); a new line none of
    which fits is dropped."""
    cart = dict(existing)  # the cart as the merge has filled it so far, by (product, variant)
    for take in takes:
        if take.dropped is not None:
            continue
        others = [line for key, line in cart.items() if key != take.key]

        def fits(quantity: int, take: _Take = take, others: list = others) -> bool:
            return _fits_or_unpriceable([*others, take.line_at(quantity, now)])

        held = min(take.existing.quantity, take.allowed) if take.existing is not None else 0
        quantity = _most_that_fits(max(held, 1), take.allowed, fits)
        if quantity is not None:
            take.quantity = quantity
            cart[take.key] = take.line_at(quantity, now)
        elif take.existing is not None:
            take.kept, take.quantity = True, take.existing.quantity
        else:
            take.dropped, take.quantity = Adjustment.DROPPED_ORDER_TOO_LARGE, 0


def _fits_or_unpriceable(lines) -> bool:
    """Whether the merged cart stays within one order; True too when it cannot be priced at all (a line priced finer
    than the shop's currency, left by a currency change: 400 ``unpriceable`` on any cart read): the limit cannot be
    measured then, and a login is never refused for its cart."""
    try:
        return fits_one_order(cart_order_amount(lines))
    except ApplicationError as exc:
        if exc.code != PricingErrorCode.UNPRICEABLE:
            raise
        logger.warning("cart merge: the order limit is not measured, the cart cannot be priced: %s", exc.message)
        return True


def _adjustment(take: _Take, kind: Adjustment, quantity: int, *, old_price: Decimal | None = None,
                new_price: Decimal | None = None) -> LineAdjustment:
    product, variant = take.guest_line.product, take.guest_line.variant
    return LineAdjustment(kind=kind, product_id=product.pk, variant_id=variant.pk if variant else None,
                          name=_line_name(product, variant), requested_quantity=take.requested, quantity=quantity,
                          old_price=old_price, new_price=new_price)


def _fit_line_limit(takes: list[_Take], existing: dict) -> None:
    """Drop the new lines past ``ORDER_MAX_LINES``: the guest lines the user's cart does not hold yet, in the order
    they were added, take the places left beside its lines; one adding to a line it holds needs no place."""
    room = ORDER_MAX_LINES - len(existing)
    for take in takes:
        if take.dropped is not None or take.existing is not None:
            continue
        if room > 0:
            room -= 1
        else:
            take.dropped, take.quantity = Adjustment.DROPPED_TOO_MANY_LINES, 0


def _merge_lines(cart: Cart, guest_lines: list[CartItem], existing: dict, with_variants: set[int],
                 report: MergeReport) -> None:
    """Move the guest lines into ``cart`` (whose lines are ``existing``, by (product, variant)), recording every
    adjustment, guest line by guest line. New lines past the line limit are left out first (``_fit_line_limit``);
    the cart is then priced once as the merge would leave it; only when that is more than one order can hold are
    the lines fitted one by one (``_fit_one_order``)."""
    now = timezone.now()
    takes = [_take(line, existing.get((line.product_id, line.variant_id)), line.product_id in with_variants)
             for line in guest_lines]
    _fit_line_limit(takes, existing)
    merged = dict(existing) | {take.key: take.line_at(take.quantity, now) for take in takes if take.dropped is None}
    if not _fits_or_unpriceable(merged.values()):
        _fit_one_order(takes, existing, now)
    for take in takes:
        guest_line = take.guest_line
        if take.dropped is not None:
            report.adjustments.append(_adjustment(take, take.dropped, 0))
            continue
        if take.quantity < take.requested:
            report.adjustments.append(_adjustment(take, Adjustment.CAPPED, take.quantity))
        if take.kept:
            continue
        changed = take.price != guest_line.price_snapshot
        if changed:
            report.adjustments.append(_adjustment(take, Adjustment.REPRICED, take.quantity,
                                                  old_price=guest_line.price_snapshot, new_price=take.price))
        line = take.existing or CartItem(cart=cart, product=guest_line.product, variant=guest_line.variant)
        # Taken over as if added now: today's price, held from now (shop/cart/pricing.py), the old one remembered.
        line.quantity, line.price_snapshot, line.priced_at = take.quantity, take.price, now
        line.price_changed_from = guest_line.price_snapshot if changed else None
        line.sale_price_seen = seen_sale_price(line, now=now)
        line.full_clean(exclude=["cart"], validate_unique=False, validate_constraints=False)
        line.save()
        report.lines_merged += 1


@transaction.atomic
def cart_merge_guest(*, user, token: str, strategy: str = MergeStrategy.MERGE) -> MergeReport:
    """Merge the guest cart ``token`` opens into ``user``'s cart with ``strategy`` and close the guest cart.

    Both carts are locked in id order (a checkout of either waits, then sees the result). A missing, unknown,
    closed or abandoned token changes nothing and answers ``cart_found=False``. Never refuses for what the lines
    are (no longer for sale, short of stock, past what one order can hold): those are adjustments, and the login
    goes on. Raises ``ValueError`` for an
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
    guest_lines = list(CartItem.objects.filter(cart=guest).select_related(*_PRICED, "variant__product")
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
        existing = {(line.product_id, line.variant_id): line for line in CartItem.objects.filter(cart=user_cart)
                    .select_related(*_PRICED)}
        with_variants = set(ProductVariant.objects.filter(
            product_id__in={line.product_id for line in guest_lines if line.variant_id is None}, is_deleted=False,
        ).values_list("product_id", flat=True))
        _merge_lines(user_cart, guest_lines, existing, with_variants, report)
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
