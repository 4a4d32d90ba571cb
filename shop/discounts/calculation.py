"""What vouchers and promotions take off an order: a pure calculation (no database, no clock, no settings).

In: the order's lines (:class:`DiscountLine`: unit price, quantity and what the line is: product, variant,
category), the promotions live now (:class:`PromotionRule`), at most one voucher (:class:`VoucherRule`) and the
shipping price (``None`` while unknown: a cart). Out: :class:`Discounts`, amounts for the pricing pipeline
(``shop/pricing/pipeline.py``): ``line_discounts`` (``PriceLine.discount``), ``order_discount`` (``price_order``'s
``order_discount``, which it allocates across lines by largest remainder), ``shipping_discount`` (taken off the
``ShippingCharge`` price before pricing) and the list of what applied, for answers and the usage report.

Rules, in this order:

1. **Promotions** (sales): each unit gets the promotion that takes most off it (ties: the lower id); they never
   stack. Percentage: ``unit x value / 100`` rounded half up to the currency's minor unit once per unit, so the
   sale price a product page shows is exactly what each unit costs; fixed: ``value`` per unit, at most the unit.
2. **The voucher** (at most one), on what the lines cost after sale prices:
   - ``min_spend``: the goods after sale prices must come to at least it (``min_spend_not_met``).
   - its base: every line (``order``), the lines of its products, variants or categories, nothing (``shipping``);
     without ``combines_with_promotions`` lines on sale are left out. An empty base: ``not_eligible``.
   - ``min_quantity``: the base must hold at least that many units (``not_eligible``).
   - the amount, rounded once: percentage of the base, or the fixed value (at most the base); free shipping or
     a shipping voucher off the shipping price (at checkout, with shipping that costs nothing, the voucher is
     left out rather than refused: docs/PRICING.md, "Shipping vouchers").
   - an ``order`` voucher whose base is every line becomes the ``order_discount``; any other is split over its
     base lines by the pipeline's largest-remainder :func:`~shop.pricing.pipeline.allocate`, so its line shares
     add up to it exactly.

Refusals raise :class:`VoucherRefused` with a :class:`~shop.discounts.errors.DiscountsErrorCode` and a message a
shopper reads. Validity in time, the active flag and the usage limits are checked by the caller
(``selectors.voucher_state_refusal`` and the guarded updates in ``services.py``), not here.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from shop.core.money import minor_unit, quantize
from shop.pricing.pipeline import allocate

from .errors import DiscountsErrorCode

HUNDRED = Decimal(100)
ZERO = Decimal(0)


class VoucherRefused(Exception):
    """A voucher that cannot be used on this order: ``code`` (a ``DiscountsErrorCode``) and ``message``."""

    def __init__(self, code: DiscountsErrorCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class DiscountLine:
    """One order line: ``quantity`` units at ``unit_price`` (major units, the shop's entry basis). ``key`` is the
    caller's reference, handed back in ``Discounts.line_discounts``."""

    key: object
    product_id: int
    variant_id: int | None
    category_id: int | None
    unit_price: Decimal
    quantity: int


@dataclass(frozen=True)
class PromotionRule:
    """A promotion live now: ``kind`` ``percentage`` (``value`` percent) or ``fixed`` (``value`` per unit)."""

    id: int
    name: str
    kind: str
    value: Decimal
    product_ids: frozenset[int] = frozenset()
    category_ids: frozenset[int] = frozenset()
    ends_at: datetime | None = None

    def covers(self, product_id: int, category_id: int | None) -> bool:
        return product_id in self.product_ids or (category_id is not None and category_id in self.category_ids)

    def unit_off(self, unit_price: Decimal, currency: str) -> Decimal:
        """What this promotion takes off one unit priced ``unit_price``: never more than the unit, so a sale price
        is never below 0."""
        if self.kind == "percentage":
            return min(quantize(unit_price * self.value / HUNDRED, currency), unit_price)
        return min(self.value, unit_price)

    def free_up_to(self, currency: str) -> Decimal | None:
        """The highest unit price this promotion brings to 0 (``None``: every price, a 100 % sale).

        Fixed: its value. Percentage ``v`` < 100: ``unit_off`` rounds ``p x v / 100`` half up to the minor unit, so
        it reaches ``p`` exactly when ``p x (100 - v) / 100`` is at most half a minor unit.
        """
        if self.kind != "percentage":
            return self.value
        if self.value >= HUNDRED:
            return None
        half = Decimal(5).scaleb(-minor_unit(currency) - 1)
        return half * HUNDRED / (HUNDRED - self.value)


@dataclass(frozen=True)
class VoucherRule:
    """A voucher's rules as the calculation needs them (``models.Voucher``), with the code the customer gave."""

    id: int
    code: str
    name: str
    kind: str
    value: Decimal
    scope: str
    product_ids: frozenset[int] = frozenset()
    variant_ids: frozenset[int] = frozenset()
    category_ids: frozenset[int] = frozenset()
    min_spend: Decimal | None = None
    min_quantity: int | None = None
    combines_with_promotions: bool = False

    def covers(self, line: DiscountLine) -> bool:
        if self.scope == "order":
            return True
        if self.scope == "products":
            return line.product_id in self.product_ids
        if self.scope == "variants":
            return line.variant_id is not None and line.variant_id in self.variant_ids
        if self.scope == "categories":
            return line.category_id is not None and line.category_id in self.category_ids
        return False  # shipping


@dataclass(frozen=True)
class AppliedDiscount:
    """One source of money off: ``source`` ``voucher`` or ``promotion``; ``target`` ``lines``, ``order`` or
    ``shipping``; ``amount`` in major units (0 for a shipping voucher while the shipping is not chosen yet)."""

    source: str
    name: str
    target: str
    amount: Decimal
    code: str = ""
    voucher_id: int | None = None
    promotion_id: int | None = None


@dataclass(frozen=True)
class Discounts:
    """The calculation's answer (see the module docstring). ``line_discounts`` has every line's key."""

    line_discounts: dict = field(default_factory=dict)
    order_discount: Decimal = ZERO
    shipping_discount: Decimal = ZERO
    applied: tuple[AppliedDiscount, ...] = ()
    # What the sale takes off one unit of each line on sale (by line key; a line not on sale is absent): the cart
    # compares the unit price after sale with the one the customer saw (``shop.cart.pricing``).
    unit_sales: dict = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum(self.line_discounts.values(), ZERO) + self.order_discount + self.shipping_discount

    @property
    def voucher_amount(self) -> Decimal:
        return sum((item.amount for item in self.applied if item.source == "voucher"), ZERO)


def best_promotion(product_id: int, category_id: int | None, unit_price: Decimal,
                   promotions: Iterable[PromotionRule], currency: str) -> tuple[PromotionRule, Decimal] | None:
    """The promotion that takes most off one unit of this product (ties: the lower id) and how much, or None."""
    best: tuple[PromotionRule, Decimal] | None = None
    for rule in promotions:
        if not rule.covers(product_id, category_id):
            continue
        off = rule.unit_off(unit_price, currency)
        if off > 0 and (best is None or off > best[1] or (off == best[1] and rule.id < best[0].id)):
            best = (rule, off)
    return best


def sale_unit_price(product_id: int, category_id: int | None, unit_price: Decimal,
                    promotions: Iterable[PromotionRule], currency: str) -> Decimal | None:
    """The unit price on sale (what a product page shows beside the regular one), or None when not on sale."""
    best = best_promotion(product_id, category_id, unit_price, promotions, currency)
    return None if best is None else unit_price - best[1]


def _money(amount: Decimal, currency: str) -> str:
    return f"{quantize(amount, currency)} {currency}"


def discounts_compute(lines: Sequence[DiscountLine], *, promotions: Sequence[PromotionRule],
                      voucher: VoucherRule | None, shipping_price: Decimal | None, currency: str,
                      at_checkout: bool = False) -> Discounts:
    """Apply promotions, then the voucher, to ``lines`` (see the module docstring).

    ``shipping_price``: the shipping the order pays before discounts, ``None`` when not chosen. A shipping voucher
    takes off what the shipping costs: in a cart (shipping unknown) it is listed at 0; at checkout
    (``at_checkout``) with shipping that costs nothing (none chosen, or free) it is left out of the answer (not
    refused, and not applied: the caller holds no use for it).
    Raises :class:`VoucherRefused`. Every amount out is a whole number of the currency's minor units.
    """
    line_discounts = {line.key: ZERO for line in lines}
    left: dict[object, Decimal] = {}
    on_sale: set[object] = set()
    promoted: dict[int, tuple[PromotionRule, Decimal]] = {}
    unit_sales: dict[object, Decimal] = {}
    for line in lines:
        best = best_promotion(line.product_id, line.category_id, line.unit_price, promotions, currency)
        listed = line.unit_price * line.quantity
        if best is not None:
            rule, unit_off = best
            unit_sales[line.key] = unit_off
            off = unit_off * line.quantity
            line_discounts[line.key] = off
            on_sale.add(line.key)
            previous = promoted.get(rule.id)
            promoted[rule.id] = (rule, off + (previous[1] if previous else ZERO))
            listed -= off
        left[line.key] = listed
    applied = [AppliedDiscount(source="promotion", name=rule.name, target="lines", amount=amount,
                               promotion_id=rule.id) for rule, amount in sorted(promoted.values(),
                                                                                key=lambda item: item[0].id)]
    if voucher is None:
        return Discounts(line_discounts=line_discounts, unit_sales=unit_sales, applied=tuple(applied))

    goods = sum(left.values(), ZERO)
    if voucher.min_spend is not None and goods < voucher.min_spend:
        raise VoucherRefused(DiscountsErrorCode.MIN_SPEND_NOT_MET,
                             f"Code {voucher.code} needs a spend of at least {_money(voucher.min_spend, currency)}; "
                             f"your items come to {_money(goods, currency)}.")
    base = [line for line in lines if voucher.covers(line)
            and (voucher.combines_with_promotions or line.key not in on_sale)]
    if voucher.scope == "shipping":
        base = list(lines)
    elif not base:
        covered = any(voucher.covers(line) for line in lines)
        message = (f"Code {voucher.code} cannot be combined with sale prices, and everything it covers is on sale."
                   if covered else f"Code {voucher.code} does not apply to anything in your order.")
        raise VoucherRefused(DiscountsErrorCode.NOT_ELIGIBLE, message)
    units = sum(line.quantity for line in base)
    if voucher.min_quantity is not None and units < voucher.min_quantity:
        raise VoucherRefused(DiscountsErrorCode.NOT_ELIGIBLE,
                             f"Code {voucher.code} needs at least {voucher.min_quantity} items it applies to; "
                             f"your order has {units}.")

    if voucher.scope == "shipping":
        if shipping_price is None or shipping_price <= 0:
            if at_checkout:
                # Shipping costs nothing (pickup, over the method's free_over, or no method): there is nothing to
                # take off, and the order goes through without the voucher, which keeps its use for an order
                # whose shipping costs something. Never a refusal: the cart, which knows no shipping, said it
                # applies.
                return Discounts(line_discounts=line_discounts, unit_sales=unit_sales, applied=tuple(applied))
            amount = ZERO
        elif voucher.kind == "free_shipping":
            amount = shipping_price
        elif voucher.kind == "percentage":
            amount = quantize(shipping_price * voucher.value / HUNDRED, currency)
        else:
            amount = min(voucher.value, shipping_price)
        applied.append(AppliedDiscount(source="voucher", name=voucher.name, target="shipping", amount=amount,
                                       code=voucher.code, voucher_id=voucher.id))
        return Discounts(line_discounts=line_discounts, unit_sales=unit_sales, shipping_discount=amount,
                         applied=tuple(applied))

    base_amount = sum((left[line.key] for line in base), ZERO)
    if voucher.kind == "percentage":
        amount = min(quantize(base_amount * voucher.value / HUNDRED, currency), base_amount)
    else:
        amount = min(voucher.value, base_amount)
    if amount <= 0:
        raise VoucherRefused(DiscountsErrorCode.NOT_ELIGIBLE,
                             f"Code {voucher.code} takes nothing off what your order holds.")
    order_discount = ZERO
    if voucher.scope == "order" and len(base) == len(lines):
        order_discount, target = amount, "order"
    else:
        exponent = minor_unit(currency)
        shares = allocate(int(amount.scaleb(exponent)), [int(left[line.key].scaleb(exponent)) for line in base])
        for line, share in zip(base, shares, strict=True):
            line_discounts[line.key] += Decimal(share).scaleb(-exponent)
        target = "lines"
    applied.append(AppliedDiscount(source="voucher", name=voucher.name, target=target, amount=amount,
                                   code=voucher.code, voucher_id=voucher.id))
    return Discounts(line_discounts=line_discounts, unit_sales=unit_sales, order_discount=order_discount,
                     applied=tuple(applied))
