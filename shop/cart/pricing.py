"""What a cart costs now: each line's unit price under the price hold, then the pricing pipeline.

A line keeps the catalog unit price the customer saw when it was (last) priced, ``price_snapshot``, for
``CART_PRICE_HOLD_MINUTES`` after ``priced_at``; after that, the catalog's current price applies. Adding more of the
same line re-prices it at once (``shop.cart.services``). Either way a line whose price moved says so
(:class:`PriceChange`, the cart answer's ``price_changed``). Only the catalog price is held: sales and the voucher
apply as they stand now (a sale that ended is not the shop's to keep giving), so a line whose unit price after sale
moved since it was priced says that too (``sale_price_seen``, the answer's ``sale_changed``). Checkout charges
exactly what :func:`cart_price` says.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from shop.core.money import MONEY_LIMIT
from shop.discounts.calculation import sale_unit_price
from shop.discounts.selectors import Evaluation, promotions_live
from shop.pricing.pipeline import LinePrice, OrderPrice, PriceLine
from shop.pricing.quote import price_quote

from .models import CartItem


@dataclass(frozen=True)
class PriceChange:
    """A line's unit price moved from ``old`` to ``new`` (major units, the shop's entry basis)."""

    old: Decimal
    new: Decimal


def line_is_buyable(item: CartItem) -> bool:
    """Whether the line can still be bought: its product (and variant) active and not deleted. A line that cannot
    stays in the cart, shown, but counts in none of its totals or discounts, and checkout refuses it by name."""
    product, variant = item.product, item.variant
    if not product.is_active or product.is_deleted:
        return False
    return variant is None or (variant.is_active and not variant.is_deleted)


def catalog_unit_price(item: CartItem) -> Decimal:
    """The line's price in the catalog now: its variant's (override or product price), else its product's."""
    return item.variant.price if item.variant is not None else item.product.price


def line_tax_class(item: CartItem) -> str | None:
    """The tax class code of a line: its variant's own, else its product's; ``None`` = the default class."""
    if item.variant is not None and item.variant.tax_class_id is not None:
        return item.variant.tax_class.code
    return item.product.tax_class_code


def price_is_held(item: CartItem, *, now: datetime) -> bool:
    """True while ``price_snapshot`` still applies: less than ``CART_PRICE_HOLD_MINUTES`` after ``priced_at``."""
    return now < item.priced_at + timedelta(minutes=settings.CART_PRICE_HOLD_MINUTES)


def held_unit_price(item: CartItem, *, now: datetime) -> Decimal:
    """The unit price checkout charges for this line at ``now``: the held price, or the catalog's after the hold."""
    return item.price_snapshot if price_is_held(item, now=now) else catalog_unit_price(item)


def price_change(item: CartItem, *, now: datetime) -> PriceChange | None:
    """How the line's unit price moved, if it did: since the hold ran out (held -> catalog price), else at the
    last re-pricing by adding more (``price_changed_from`` -> ``price_snapshot``); ``None`` when it did not."""
    unit = held_unit_price(item, now=now)
    if unit != item.price_snapshot:
        return PriceChange(old=item.price_snapshot, new=unit)
    if item.price_changed_from is not None and item.price_changed_from != item.price_snapshot:
        return PriceChange(old=item.price_changed_from, new=item.price_snapshot)
    return None


def seen_sale_price(item: CartItem, *, now: datetime) -> Decimal:
    """What one unit of the line costs after the sale running at ``now`` (its ``price_snapshot`` when none is): kept
    as ``sale_price_seen`` whenever the line is priced. Reads the live promotions (memoized, ``promotions_live``)."""
    on_sale = sale_unit_price(item.product_id, item.product.category_id, item.price_snapshot,
                              promotions_live(now=now), settings.SHOP_CURRENCY)
    return item.price_snapshot if on_sale is None else on_sale


def sale_change(item: CartItem, *, now: datetime, unit_sales: Mapping) -> PriceChange | None:
    """How the line's unit price after sale moved since it was priced (``sale_price_seen`` -> the held unit price
    less today's sale, ``unit_sales`` by line id), when a sale is on either side: a sale that ended, started or
    changed. A catalog price moving on its own is :func:`price_change`'s to say. ``None``: no move, or nothing kept."""
    if item.sale_price_seen is None:
        return None
    off = unit_sales.get(item.pk, Decimal(0))
    now_pays = held_unit_price(item, now=now) - off
    was_on_sale = item.sale_price_seen != item.price_snapshot
    if now_pays == item.sale_price_seen or not (was_on_sale or off):
        return None
    return PriceChange(old=item.sale_price_seen, new=now_pays)


def cart_price_line(item: CartItem, *, now: datetime, discount: Decimal = Decimal(0)) -> PriceLine:
    """The pipeline's input for one cart line (``key`` = the line's id); ``discount`` for the whole line."""
    return PriceLine(unit_price=held_unit_price(item, now=now), quantity=item.quantity,
                     tax_class=line_tax_class(item), discount=discount, key=item.pk)


@dataclass(frozen=True)
class CartPrice:
    """A priced cart: the pipeline's ``price`` (no shipping: the cart has no shipping method yet), each line's
    :class:`~shop.pricing.pipeline.LinePrice` and :class:`PriceChange` by cart line id."""

    price: OrderPrice
    lines: Mapping[int, LinePrice] = field(default_factory=dict)
    changes: Mapping[int, PriceChange] = field(default_factory=dict)
    discounts: Evaluation | None = None  # the sales and voucher priced in (``shop.discounts``), None: none asked
    sale_changes: Mapping[int, PriceChange] = field(default_factory=dict)  # :func:`sale_change`, by cart line id


def cart_price(items: Iterable[CartItem], *, address: Mapping[str, str] | None = None,
               now: datetime | None = None, discounts: Evaluation | None = None) -> CartPrice:
    """Price the cart's ``items`` (with ``product__tax_class``, ``variant__tax_class`` selected: then two queries,
    the tax provider's, whatever the number of lines) for ``address`` (``None``: the shop's country), less the
    ``discounts`` worked out on the same lines and held prices (``shop.cart.selectors.cart_discounts``)."""
    now = now or timezone.now()
    items = list(items)
    buyable = [item for item in items if line_is_buyable(item)]
    found = discounts.discounts if discounts is not None else None
    price = price_quote(
        lines=[cart_price_line(item, now=now, discount=found.line_discounts.get(item.pk, Decimal(0)) if found
                               else Decimal(0)) for item in buyable],
        address=address, order_discount=found.order_discount if found else Decimal(0),
    )
    lines = {line.key: line for line in price.lines}
    if len(buyable) < len(items):
        # Lines that cannot be bought show what they would cost, priced on their own: in no total.
        shown = price_quote(lines=[cart_price_line(item, now=now) for item in items if not line_is_buyable(item)],
                            address=address)
        lines |= {line.key: line for line in shown.lines}
    changes = {item.pk: change for item in items if (change := price_change(item, now=now)) is not None}
    sale_changes = {} if found is None else {
        item.pk: change for item in buyable
        if (change := sale_change(item, now=now, unit_sales=found.unit_sales)) is not None}
    return CartPrice(price=price, lines=lines, changes=changes, discounts=discounts, sale_changes=sale_changes)


def cart_order_amount(items: Iterable[CartItem]) -> OrderPrice:
    """The cart as the order limit measures it: :func:`cart_price` before discounts (which only lower it), tax
    included. :func:`fits_one_order` says whether its figures stay below what one order can hold."""
    return cart_price(items).price


def fits_one_order(price: OrderPrice) -> bool:
    """Whether a cart priced ``price`` (:func:`cart_order_amount`) is no more than one order can hold: its subtotal and
    total below ``MONEY_LIMIT`` (the money columns' ten whole digits), as checkout requires (``order_too_large``).
    Adding to a cart refuses what does not (``shop.cart.services``); a login's merge takes only what does
    (``shop.cart.guest``)."""
    return max(price.subtotal, price.total) < MONEY_LIMIT
