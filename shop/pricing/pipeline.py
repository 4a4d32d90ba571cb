"""The pricing pipeline: every amount of an order, computed in one order and rounded once, exactly.

``price_order(lines, shipping=..., currency=..., prices_include_tax=..., rounding_mode=..., rates=...)`` is a pure
function (no database, no settings): what goes in is what comes out, so a cart, a checkout and a stored order can
all be priced by it and agree. Steps, in this order:

1. **Unit price** x quantity = the line's list amount (``unit_price`` is gross if ``prices_include_tax``, else net).
2. **Line discounts** (``PriceLine.discount``, an amount for the whole line) are taken off each line.
3. **Order discount** is allocated across the product lines in proportion to what is left of each, by the largest
   remainder method to the minor unit, so the shares add up to the discount exactly (never to a cent more or less).
4. **Shipping** joins as one more taxed line (its own tax class), never discounted by the order discount.
5. **Tax**: each line is ``quantity`` units; its amount is spread over them to the minor unit (a 29.00 line of 3
   units is 9.67 + 9.67 + 9.66), and each unit's tax is rounded on its own (``line`` mode), as if every unit were a
   position of its own: a refund of one unit later returns exactly that unit's tax. Then the order-level rounding
   mode may correct some units by one minor unit (see below).
6. **Total** = the sum of the lines' and shipping's gross amounts.

Rounding modes (pretix's definitions, from its developer documentation, "Pricing algorithms: Rounding of taxes",
``doc/development/algorithms/pricing.rst``): lines are grouped by tax rate; units are corrected from the highest
gross unit price down, by one minor unit each (a unit takes a second one only if a group cannot absorb the
difference otherwise), a unit priced 0 never.

- ``line``: each unit's tax rounded on its own; nothing corrected. 5 x 100.00 gross at 19 % = 5 x (84.03 + 15.97):
  net 420.15, tax 79.85, gross 500.00. Per-line exact, but 19 % of the net total 420.15 is 79.83, not 79.85.
- ``sum_by_net``: the group's tax is its net total x rate, rounded once (what EN 16931 e-invoices require); net
  prices stay, gross prices and taxes of some units move by one minor unit: 420.15 / 79.83 / 499.98.
- ``sum_by_net_keep_gross``: the same order-level tax, but gross prices stay wherever possible; net prices (and so
  taxes) of some units move instead: 420.17 / 79.83 / 500.00. A group gross total that no rounded net total can
  produce (99.99 at 19 %: 84.02 -> 99.98, 84.03 -> 100.00) moves the gross too, as pretix does.

Every amount in and out is a ``Decimal`` in major units; internally the pipeline counts integer minor units of the
currency's :func:`shop.core.money.minor_unit`, so nothing is lost between steps. Errors: :class:`PricingError`
(a ``ValueError``) for input the pipeline cannot price (an amount finer than the currency allows, a negative
amount, a discount larger than what it discounts, an unknown rounding mode).
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Literal

from shop.core.money import minor_unit, normalise_currency

from .rates import TaxRates, TaxSource

RoundingMode = Literal["line", "sum_by_net", "sum_by_net_keep_gross"]
ROUNDING_MODES: tuple[RoundingMode, ...] = ("line", "sum_by_net", "sum_by_net_keep_gross")
_HUNDRED = Decimal(100)


class PricingError(ValueError):
    """Input the pipeline cannot price; the message names the line and the amount."""


@dataclass(frozen=True)
class PriceLine:
    """One line to price: ``quantity`` units at ``unit_price`` (major units, gross or net as the shop enters
    prices), less ``discount`` (for the whole line, same basis), taxed as ``tax_class`` (a code; ``None`` = the
    default class). ``key`` is the caller's reference (a cart line id), handed back on the result."""

    unit_price: Decimal
    quantity: int
    tax_class: str | None = None
    discount: Decimal = Decimal(0)
    key: object = None


@dataclass(frozen=True)
class ShippingCharge:
    """The shipping price (major units, same basis as unit prices) and its tax class (``None`` = default)."""

    price: Decimal
    tax_class: str | None = None


@dataclass(frozen=True)
class LinePrice:
    """A priced line. ``unit_price`` as entered; ``discount`` = its line discount + its share of the order
    discount; ``net + tax == gross`` for the whole line after discounts; ``tax_rate`` in percent;
    ``rounding_correction`` = what the order-level rounding mode added to the line's tax (0 in ``line`` mode)."""

    key: object
    unit_price: Decimal
    quantity: int
    discount: Decimal
    net: Decimal
    tax: Decimal
    gross: Decimal
    tax_rate: Decimal
    tax_class: str
    tax_source: TaxSource
    rounding_correction: Decimal


@dataclass(frozen=True)
class ShippingPrice:
    """Shipping after tax: ``net + tax == gross``; zeros when the order ships nothing."""

    net: Decimal
    tax: Decimal
    gross: Decimal
    tax_rate: Decimal
    tax_class: str
    tax_source: TaxSource


@dataclass(frozen=True)
class TaxLine:
    """One invoice tax line: every line and shipping taxed at ``rate`` (percent), their net ``base`` and tax
    ``amount``."""

    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class OrderPrice:
    """A priced order. ``subtotal`` = the product lines at their unit prices before any discount (entry basis);
    ``discount`` = all line and order discounts; ``net_total + tax_total == total`` = the lines' and shipping's
    gross; ``tax_lines`` one per rate, ascending. ``tax_source`` is ``no_rate`` when any taxed amount found no
    configured rate (and was taxed at 0), else ``country`` when the country's rate stood in for a region that is
    not an ISO 3166-2 code, else ``rate``; ``tax_country``/``tax_region`` the place taxed for."""

    lines: tuple[LinePrice, ...]
    shipping: ShippingPrice
    subtotal: Decimal
    discount: Decimal
    net_total: Decimal
    tax_total: Decimal
    total: Decimal
    currency: str
    prices_include_tax: bool
    rounding_mode: RoundingMode
    tax_lines: tuple[TaxLine, ...]
    tax_source: TaxSource
    tax_country: str
    tax_region: str


# --- Minor-unit arithmetic ------------------------------------------------------------------------------------


def _round_half_up(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def _minor(amount: Decimal, exponent: int, what: str) -> int:
    """Major-unit Decimal -> integer minor units, refusing floats, negatives and anything finer than the currency."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise PricingError(f"{what} must be a Decimal, not {type(amount).__name__}")
    value = Decimal(amount)
    if not value.is_finite() or value < 0:
        raise PricingError(f"{what} {amount} must be a finite amount of 0 or more")
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise PricingError(f"{what} {amount} has more than {exponent} decimal places")
    return int(scaled)


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` (integer minor units) in proportion to ``weights`` by the largest remainder method.

    The shares add up to ``total`` exactly and no share exceeds its weight while ``total <= sum(weights)``; ties go
    to the earlier weight. ``PricingError`` if ``total`` is more than ``sum(weights)`` or negative.
    """
    whole = sum(weights)
    if total < 0 or total > whole:
        raise PricingError(f"cannot allocate {total} over {whole}")
    if total == 0:
        return [0] * len(weights)
    shares, remainders = [], []
    for index, weight in enumerate(weights):
        share, remainder = divmod(total * weight, whole)
        shares.append(share)
        remainders.append((-remainder, index))
    for _, index in sorted(remainders)[: total - sum(shares)]:
        shares[index] += 1
    return shares


@dataclass
class _Taxed:
    """A line being priced, in minor units: ``quantity`` units worth ``amount`` (entry basis, after discounts)."""

    index: int  # position in the input (shipping: -1)
    quantity: int
    amount: int
    rate: Decimal
    gross: int = 0
    tax: int = 0
    correction: int = 0

    @property
    def net(self) -> int:
        return self.gross - self.tax


def _unit_tax(amount: int, rate: Decimal, *, gross: bool) -> int:
    """The tax of one unit of ``amount`` minor units, rounded half up to a whole minor unit."""
    if gross:
        return _round_half_up(amount * rate / (_HUNDRED + rate))
    return _round_half_up(amount * rate / _HUNDRED)


def _tax_line_mode(item: _Taxed, *, gross: bool) -> None:
    """Spread the line's amount over its units (the first ``remainder`` units one minor unit more) and tax each."""
    base, remainder = divmod(item.amount, item.quantity)
    tax = (item.quantity - remainder) * _unit_tax(base, item.rate, gross=gross)
    if remainder:
        tax += remainder * _unit_tax(base + 1, item.rate, gross=gross)
    item.tax = tax
    item.gross = item.amount if gross else item.amount + tax


def _spread(diff: int, items: list[_Taxed], *, room) -> list[int]:
    """Hand out ``diff`` minor units (either sign) one per unit, highest gross unit price first, as many rounds as
    needed; ``room(item, step)`` says whether an item can take one more ``step`` (+1/-1) now. Returns the amount
    each item takes. Raises ``AssertionError`` if the group cannot absorb it (a bug, never an input problem)."""
    step = 1 if diff > 0 else -1
    taken = [0] * len(items)
    order = sorted(range(len(items)), key=lambda i: (-Fraction(items[i].gross, items[i].quantity), i))
    left = abs(diff)
    while left:
        moved = False
        for i in order:
            item = items[i]
            units = min(left, item.quantity)
            while units and not room(item, taken[i] + step * units):
                units -= 1
            if units:
                taken[i] += step * units
                left -= units
                moved = True
            if not left:
                break
        assert moved, "rounding correction could not be placed"  # noqa: S101 - an invariant, not input checking
    return taken


def _correct_group(items: list[_Taxed], rate: Decimal, mode: RoundingMode) -> None:
    """Apply ``sum_by_net`` or ``sum_by_net_keep_gross`` to one rate's lines (see the module doc)."""
    items = [item for item in items if item.gross > 0]
    if not items or rate == 0:
        return
    net_total = sum(item.net for item in items)
    gross_total = sum(item.gross for item in items)
    keep_net = mode == "sum_by_net"
    target_net = net_total if keep_net else _round_half_up(gross_total * _HUNDRED / (_HUNDRED + rate))
    target_gross = _round_half_up(target_net * (_HUNDRED + rate) / _HUNDRED)

    diff_gross = target_gross - gross_total
    diff_net = target_net - net_total
    # An impossible gross in keep-gross mode can need gross and net to move the same way (7 units at 7.7 %: 7 -> 6
    # both): move them together first (tax stays), so no unit's tax passes through a negative value on the way.
    if diff_gross and diff_net and (diff_gross > 0) == (diff_net > 0):
        both = min(diff_gross, diff_net) if diff_gross > 0 else max(diff_gross, diff_net)
        for item, share in zip(items, _spread(both, items, room=lambda item, d: item.net + d >= 0), strict=True):
            item.gross += share
        diff_gross -= both
    # Gross and tax move together (net stays): never below a zero tax.
    if diff_gross:
        shares = _spread(diff_gross, items, room=lambda item, d: item.tax + d >= 0)
        for item, share in zip(items, shares, strict=True):
            item.gross += share
            item.tax += share
            item.correction += share
    # Net moves against tax (gross stays): tax stays between 0 and the gross.
    diff_net = target_net - sum(item.net for item in items)
    if diff_net:
        shares = _spread(diff_net, items, room=lambda item, d: 0 <= item.tax - d <= item.gross)
        for item, share in zip(items, shares, strict=True):
            item.tax -= share
            item.correction -= share


def price_order(
    lines: Sequence[PriceLine],
    *,
    shipping: ShippingCharge | None,
    currency: str,
    prices_include_tax: bool,
    rounding_mode: RoundingMode,
    rates: TaxRates,
    order_discount: Decimal = Decimal(0),
) -> OrderPrice:
    """Price an order: see the module docstring for the steps and rounding modes.

    ``lines`` and ``shipping`` (``None``: nothing to ship) carry amounts in major units of ``currency`` in the
    entry basis (gross when ``prices_include_tax``), each a whole number of the currency's minor units;
    ``order_discount`` likewise, at most what the lines come to after their own discounts. ``rates`` is a tax
    provider's answer. Raises :class:`PricingError` for input it cannot price.
    """
    if rounding_mode not in ROUNDING_MODES:
        raise PricingError(f"unknown rounding mode {rounding_mode!r}: use one of {', '.join(ROUNDING_MODES)}")
    try:
        code = normalise_currency(currency)
    except ValueError as exc:
        raise PricingError(str(exc)) from exc
    exponent = minor_unit(code)

    items: list[_Taxed] = []
    list_amounts, line_discounts = [], []
    for index, line in enumerate(lines):
        if isinstance(line.quantity, bool) or not isinstance(line.quantity, int) or line.quantity < 1:
            raise PricingError(f"line {index}: quantity must be a whole number of 1 or more, not {line.quantity!r}")
        unit = _minor(line.unit_price, exponent, f"line {index}: unit price")
        listed = unit * line.quantity
        discount = _minor(line.discount, exponent, f"line {index}: discount")
        if discount > listed:
            raise PricingError(f"line {index}: discount {line.discount} is more than the line's {_major(listed, code)}")
        list_amounts.append(listed)
        line_discounts.append(discount)
        rate = rates.for_class(line.tax_class).rate
        items.append(_Taxed(index=index, quantity=line.quantity, amount=listed - discount, rate=rate))

    order_off = _minor(order_discount, exponent, "order discount")
    if order_off > sum(item.amount for item in items):
        raise PricingError(f"order discount {order_discount} is more than the lines come to after their discounts")
    shares = allocate(order_off, [item.amount for item in items])
    for item, share in zip(items, shares, strict=True):
        item.amount -= share

    ship_item = _Taxed(index=-1, quantity=1, amount=0, rate=Decimal(0))
    if shipping is not None:
        ship_item.amount = _minor(shipping.price, exponent, "shipping price")
        ship_item.rate = rates.for_class(shipping.tax_class).rate
    everything = [*items, ship_item]
    for item in everything:
        _tax_line_mode(item, gross=prices_include_tax)

    if rounding_mode != "line":
        groups: dict[Decimal, list[_Taxed]] = defaultdict(list)
        for item in everything:
            groups[item.rate].append(item)
        for rate, group in groups.items():
            _correct_group(group, rate, rounding_mode)

    def money(value: int) -> Decimal:
        return _major(value, code)

    priced = []
    sources: set[TaxSource] = set()
    for line, item, listed, discount, share in zip(lines, items, list_amounts, line_discounts, shares, strict=True):
        applied = rates.for_class(line.tax_class)
        sources.add(applied.source)
        priced.append(LinePrice(
            key=line.key, unit_price=money(listed // line.quantity), quantity=line.quantity,
            discount=money(discount + share), net=money(item.net), tax=money(item.tax), gross=money(item.gross),
            tax_rate=applied.rate, tax_class=rates.class_code(line.tax_class), tax_source=applied.source,
            rounding_correction=money(item.correction),
        ))
    if shipping is None:
        shipping_price = ShippingPrice(net=money(0), tax=money(0), gross=money(0), tax_rate=Decimal(0), tax_class="",
                                       tax_source="rate")
    else:
        ship_rate = rates.for_class(shipping.tax_class)
        if ship_item.amount:
            sources.add(ship_rate.source)
        shipping_price = ShippingPrice(
            net=money(ship_item.net), tax=money(ship_item.tax), gross=money(ship_item.gross), tax_rate=ship_rate.rate,
            tax_class=rates.class_code(shipping.tax_class), tax_source=ship_rate.source,
        )

    by_rate: dict[Decimal, list[int]] = defaultdict(lambda: [0, 0])
    for item in everything:
        if item.gross or item.tax:
            by_rate[item.rate][0] += item.net
            by_rate[item.rate][1] += item.tax
    tax_lines = tuple(
        TaxLine(rate=rate, base=money(base), amount=money(amount)) for rate, (base, amount) in sorted(by_rate.items())
    )
    tax_total = sum(item.tax for item in everything)
    total = sum(item.gross for item in everything)
    return OrderPrice(
        lines=tuple(priced), shipping=shipping_price, subtotal=money(sum(list_amounts)),
        discount=money(sum(line_discounts) + order_off), net_total=money(total - tax_total),
        tax_total=money(tax_total), total=money(total), currency=code, prices_include_tax=prices_include_tax,
        rounding_mode=rounding_mode, tax_lines=tax_lines, tax_source=_order_source(sources),
        tax_country=rates.country, tax_region=rates.region,
    )


def _order_source(sources: set[TaxSource]) -> TaxSource:
    """The order's ``tax_source``: ``no_rate`` if anything found no rate, else ``country`` if a country's rate
    stood in for the address's unreadable region, else ``rate``."""
    if "no_rate" in sources:
        return "no_rate"
    return "country" if "country" in sources else "rate"


def _major(value: int, currency: str) -> Decimal:
    """Minor units -> major-unit Decimal, like :func:`shop.core.money.from_minor` but at the shop's rounding
    precision (CLDR digits), which may be coarser than a gateway's exponent (HUF: 0 here, 2 at the gateway)."""
    exponent = minor_unit(currency)
    return Decimal(value).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))
