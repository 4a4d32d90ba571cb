"""What a refund gives back, line by line, with its tax: read from the order's stored prices, never recomputed.

An order stores each line's ``gross`` and ``tax`` and its shipping's (``shop/orders/pricing.py``); the refunds of
each, so far, are their ``RefundLine`` rows (of refunds that did not fail). Two ways to ask:

- **By line** (:func:`refund_split_lines`): ``quantity`` units of an order line (all that is left by default) and/or
  what is left of shipping. All that is left of a line is exactly its remaining gross and tax; some of its units
  are their share of what is left, rounded half up to the minor unit: so refunding a whole line returns exactly its
  gross and tax, whatever came before.
- **By amount** (:func:`refund_split_amount`, the existing amount refunds): the amount is spread over the lines and
  shipping in proportion to what is left of each, by the largest remainder method (to the minor unit, the shares
  add up to the amount, none above what is left); its tax is each share's part of what is left of that line's
  tax, the total rounded once half up and spread by largest remainder too. A share that takes all that is left of
  a line counts its units left as refunded (shipping: 1), a smaller one 0 units. Anything above what is left of
  the whole order (money paid twice) is ``excess``, with no tax in it and 0 units.

Either way no line (nor shipping) is ever refunded more than its gross, nor more tax than it had. Pure
arithmetic on what the caller read (under the order's lock); errors are ``ApplicationError`` 400 naming ``lines``.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db.models import Q, Sum

from shop.core.exceptions import ApplicationError
from shop.core.money import minor_unit
from shop.orders.models import Order
from shop.pricing.pipeline import allocate
from shop.pricing.rates import tax_lines_text

from .errors import PaymentErrorCode
from .models import Refund, RefundLine

Kind = RefundLine.Kind


@dataclass(frozen=True)
class RefundLineRequest:
    """Refund ``quantity`` units of order line ``order_item_id`` (``None``: all of it that is left)."""

    order_item_id: int
    quantity: int | None = None


@dataclass(frozen=True)
class RefundPart:
    """What a refund gives back of one line, of shipping, or of money paid beyond the order (major units)."""

    kind: str
    order_item_id: int | None
    quantity: int
    amount: Decimal
    tax: Decimal
    tax_rate: Decimal


@dataclass(frozen=True)
class RefundSplit:
    """A refund's parts; ``amount`` and ``tax`` are their sums, ``tax_lines`` their split by rate for the credit
    note (``[{"rate", "base", "amount"}]``, ``base`` the net refunded at that rate)."""

    parts: tuple[RefundPart, ...]

    @property
    def amount(self) -> Decimal:
        return sum((part.amount for part in self.parts), Decimal(0))

    @property
    def tax(self) -> Decimal:
        return sum((part.tax for part in self.parts), Decimal(0))

    @property
    def tax_lines(self) -> list[dict[str, str]]:
        by_rate: dict[Decimal, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for part in self.parts:
            if part.kind != Kind.EXCESS:
                by_rate[part.tax_rate][0] += part.amount - part.tax
                by_rate[part.tax_rate][1] += part.tax
        return tax_lines_text({"rate": rate, "base": base, "amount": tax}
                              for rate, (base, tax) in sorted(by_rate.items()))

    def rows(self, refund: Refund) -> list[RefundLine]:
        """The ``RefundLine`` rows to store with ``refund``."""
        return [RefundLine(refund=refund, kind=part.kind, order_item_id=part.order_item_id, quantity=part.quantity,
                           amount=part.amount, tax=part.tax, tax_rate=part.tax_rate) for part in self.parts]


@dataclass(frozen=True)
class _Left:
    """What is left to refund of one line or of shipping, in integer minor units."""

    kind: str
    order_item_id: int | None
    units: int  # units not yet refunded by unit (shipping: 1)
    gross: int
    tax: int
    rate: Decimal


def _lefts(order: Order, exponent: int) -> list[_Left]:
    """Every line and shipping with what is left of it: two queries (the lines, the refunds so far by line)."""
    refunded = {
        (row["kind"], row["order_item_id"]): row
        for row in RefundLine.objects.filter(refund__payment__order=order)
        .filter(~Q(refund__status=Refund.Status.FAILED))
        .values("kind", "order_item_id").annotate(gross=Sum("amount"), tax=Sum("tax"), units=Sum("quantity"))
    }

    def minor(value) -> int:
        return int(Decimal(value or 0).scaleb(exponent))

    lefts = []
    for item in order.items.order_by("id"):
        done = refunded.get((Kind.ITEM, item.pk), {})
        lefts.append(_Left(Kind.ITEM, item.pk, item.quantity - (done.get("units") or 0),
                           minor(item.gross) - minor(done.get("gross")), minor(item.tax) - minor(done.get("tax")),
                           item.tax_rate))
    done = refunded.get((Kind.SHIPPING, None), {})
    lefts.append(_Left(Kind.SHIPPING, None, 1 - (done.get("units") or 0),
                       minor(order.shipping_fee) - minor(done.get("gross")),
                       minor(order.shipping_tax) - minor(done.get("tax")), order.shipping_tax_rate))
    return lefts


def _half_up(value: Fraction) -> int:
    """A non-negative fraction rounded half up to a whole number."""
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)


def _major(value: int, exponent: int) -> Decimal:
    return Decimal(value).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))


def _line_error(message: str, code: PaymentErrorCode) -> ApplicationError:
    return ApplicationError(message, code=code, extra={"errors": {"lines": [message]}})


def refund_split_lines(*, order: Order, lines: Sequence[RefundLineRequest], shipping: bool = False) -> RefundSplit:
    """Refund some of ``order``'s lines (and, with ``shipping``, what is left of shipping). Raises 400
    ``refund_line_unknown`` (not a line of this order), ``refund_exceeds_line`` (more units than are left),
    ``refund_line_duplicate``, ``nothing_to_refund`` (nothing is left of what was asked)."""
    exponent = minor_unit(order.currency)
    lefts = _lefts(order, exponent)
    by_item = {left.order_item_id: left for left in lefts if left.kind == Kind.ITEM}
    seen: set[int] = set()
    parts = []
    for request in lines:
        left = by_item.get(request.order_item_id)
        if left is None:
            raise _line_error(f"Order line {request.order_item_id} is not a line of this order.",
                              PaymentErrorCode.REFUND_LINE_UNKNOWN)
        if request.order_item_id in seen:
            raise _line_error(f"Order line {request.order_item_id} is named twice.",
                              PaymentErrorCode.REFUND_LINE_DUPLICATE)
        seen.add(request.order_item_id)
        units = left.units if request.quantity is None else request.quantity
        if units > left.units:
            raise _line_error(f"Order line {request.order_item_id} has {max(left.units, 0)} units left to refund, "
                              f"not {units}.", PaymentErrorCode.REFUND_EXCEEDS_LINE)
        if units == left.units:  # all that is left: exactly the rest, whatever earlier refunds took
            gross, tax = left.gross, left.tax
        else:
            gross = _half_up(Fraction(left.gross * units, left.units))
            tax = min(_half_up(Fraction(left.tax * units, left.units)), gross)
        parts.append(RefundPart(Kind.ITEM, left.order_item_id, units, _major(gross, exponent),
                                _major(tax, exponent), left.rate))
    if shipping:
        left = lefts[-1]
        parts.append(RefundPart(Kind.SHIPPING, None, max(left.units, 0), _major(left.gross, exponent),
                                _major(left.tax, exponent), left.rate))
    parts = [part for part in parts if part.amount > 0]
    if not parts:
        raise _line_error("Nothing is left to refund of what was asked.", PaymentErrorCode.NOTHING_TO_REFUND)
    return RefundSplit(parts=tuple(parts))


def refund_split_amount(*, order: Order, amount: Decimal) -> RefundSplit:
    """Spread a refund of ``amount`` (major units of the order's currency) over ``order``'s lines and shipping, in
    proportion to what is left of each (largest remainder), with its tax (see the module doc); any part above what
    is left of the whole order is ``excess``."""
    exponent = minor_unit(order.currency)
    lefts = [left for left in _lefts(order, exponent) if left.gross > 0]
    wanted = int(amount.scaleb(exponent).to_integral_value(rounding=ROUND_HALF_UP))
    spread = min(wanted, sum(left.gross for left in lefts))
    shares = allocate(spread, [left.gross for left in lefts])
    exact = [Fraction(left.tax * share, left.gross) for left, share in zip(lefts, shares, strict=True)]
    taxes = [int(value) for value in exact]  # floors (all non-negative)
    missing = _half_up(sum(exact, Fraction(0))) - sum(taxes)
    for index in sorted(range(len(exact)), key=lambda i: (-(exact[i] - taxes[i]), i))[:missing]:
        taxes[index] += 1
    # A share that takes all the money left of a line takes its units left too (shipping: its one), as refunding
    # the rest of the line by line would: the line then reads as refunded in full (the order's refunded_quantity).
    # A smaller share is money, not units: quantity 0.
    parts = [RefundPart(left.kind, left.order_item_id, max(left.units, 0) if share == left.gross else 0,
                        _major(share, exponent), _major(tax, exponent), left.rate)
             for left, share, tax in zip(lefts, shares, taxes, strict=True) if share > 0]
    if wanted > spread:
        parts.append(RefundPart(Kind.EXCESS, None, 0, _major(wanted - spread, exponent), Decimal(0), Decimal(0)))
    return RefundSplit(parts=tuple(parts))
