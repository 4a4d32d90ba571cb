"""The pricing pipeline: the issue's known values, discounts, and hypothesis-checked invariants over random carts."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shop.core.money import from_minor, minor_unit, quantize, to_minor
from shop.pricing.pipeline import (
    ROUNDING_MODES,
    PriceLine,
    PricingError,
    ShippingCharge,
    allocate,
    price_order,
)
from shop.pricing.rates import AppliedRate, TaxRates

D = Decimal
RATE_19 = TaxRates.flat("19", country="DE")


def _price(lines, mode="line", *, gross=True, rates=RATE_19, currency="EUR", **kwargs):
    kwargs.setdefault("shipping", None)
    return price_order(lines, currency=currency, prices_include_tax=gross, rounding_mode=mode, rates=rates, **kwargs)


@pytest.mark.parametrize(
    ("mode", "net", "tax", "gross"),
    [
        ("line", "420.15", "79.85", "500.00"),
        ("sum_by_net", "420.15", "79.83", "499.98"),
        ("sum_by_net_keep_gross", "420.17", "79.83", "500.00"),
    ],
)
def test_five_times_100_gross_at_19_percent(mode, net, tax, gross):
    order = _price([PriceLine(D("100.00"), 5, key="ticket")], mode)
    line = order.lines[0]
    assert (line.key, line.unit_price, line.quantity) == ("ticket", D("100.00"), 5)
    assert (line.net, line.tax, line.gross) == (D(net), D(tax), D(gross))
    assert (order.net_total, order.tax_total, order.total) == (D(net), D(tax), D(gross))
    assert [(t.rate, t.base, t.amount) for t in order.tax_lines] == [(D(19), D(net), D(tax))]
    assert (order.subtotal, order.discount, order.currency, order.tax_source) == (D("500.00"), D("0.00"), "EUR", "rate")


def test_five_positions_match_one_line_of_five():
    """A line of 5 units is priced as 5 positions of 1 unit (pretix's model), in every mode."""
    for mode in ROUNDING_MODES:
        one = _price([PriceLine(D("100.00"), 5)], mode)
        five = _price([PriceLine(D("100.00"), 1)] * 5, mode)
        assert (one.net_total, one.tax_total, one.total) == (five.net_total, five.tax_total, five.total)


def test_net_entry_adds_tax_per_unit():
    order = _price([PriceLine(D("84.03"), 5)], gross=False)
    assert (order.lines[0].net, order.lines[0].tax, order.lines[0].gross) == (D("420.15"), D("79.85"), D("500.00"))
    by_net = _price([PriceLine(D("84.03"), 5)], "sum_by_net", gross=False)
    assert (by_net.net_total, by_net.tax_total, by_net.total) == (D("420.15"), D("79.83"), D("499.98"))


def test_impossible_gross_moves_the_gross_in_keep_gross_mode():
    """99.99 at 19 % has no two-decimal net (84.02 -> 99.98, 84.03 -> 100.00): pretix moves the gross too."""
    order = _price([PriceLine(D("99.99"), 1)], "sum_by_net_keep_gross")
    assert (order.net_total, order.tax_total, order.total) == (D("84.03"), D("15.97"), D("100.00"))
    assert order.lines[0].rounding_correction == D("0.01")


def test_impossible_gross_of_tiny_units_moves_gross_and_net_together():
    """8 units sharing 0.07 at 7.7 %: each unit's tax rounds to 0, and no net gives the gross 0.07 (0.06 -> 0.06,
    0.07 -> 0.08): gross and net both become 0.06 while the tax stays 0, never negative on the way (found by the
    property test below)."""
    rates = TaxRates.flat("7.7")
    order = _price([PriceLine(D("0.01"), 8, discount=D("0.01"))], "sum_by_net_keep_gross", rates=rates)
    line = order.lines[0]
    assert (line.net, line.tax, line.gross, line.rounding_correction) == (D("0.06"), D("0.00"), D("0.06"), D("0.00"))


def test_discounts_line_then_order_allocated_to_the_cent():
    order = _price(
        [PriceLine(D("10.00"), 3, discount=D("1.00")), PriceLine(D("10.00"), 1), PriceLine(D("10.00"), 1)],
        order_discount=D("1.00"), rates=TaxRates.flat("0"),
    )
    # 29.00, 10.00, 10.00 share the 1.00 order discount: 0.5918, 0.2041, 0.2041 -> floors 0.59 + 0.20 + 0.20 = 0.99;
    # the last cent goes to the largest remainder, the second line's (a tie with the third: the earlier wins).
    assert [line.discount for line in order.lines] == [D("1.59"), D("0.21"), D("0.20")]
    assert [line.gross for line in order.lines] == [D("28.41"), D("9.79"), D("9.80")]
    assert (order.subtotal, order.discount, order.total) == (D("50.00"), D("2.00"), D("48.00"))


def test_shipping_is_taxed_with_its_own_class_and_never_discounted():
    rates = TaxRates(country="DE", default_class="standard",
                     by_class={"standard": AppliedRate(D(19)), "reduced": AppliedRate(D(7))})
    order = _price([PriceLine(D("10.00"), 1, tax_class="reduced")], rates=rates,
                   shipping=ShippingCharge(D("5.95")), order_discount=D("1.00"))
    assert (order.lines[0].gross, order.lines[0].tax, order.lines[0].tax_rate) == (D("9.00"), D("0.59"), D(7))
    assert (order.shipping.net, order.shipping.tax, order.shipping.gross) == (D("5.00"), D("0.95"), D("5.95"))
    assert order.shipping.tax_class == "standard"
    assert [(t.rate, t.base, t.amount) for t in order.tax_lines] == [(D(7), D("8.41"), D("0.59")),
                                                                     (D(19), D("5.00"), D("0.95"))]
    assert (order.tax_total, order.total) == (D("1.54"), D("14.95"))


def test_no_rate_is_taxed_at_zero_and_says_so():
    rates = TaxRates(country="KE", default_class="standard", by_class={})
    order = _price([PriceLine(D("10.00"), 2)], rates=rates)
    line = order.lines[0]
    assert (line.tax, line.gross, line.tax_rate, line.tax_source) == (D("0.00"), D("20.00"), D(0), "no_rate")
    assert (order.tax_source, order.tax_country) == ("no_rate", "KE")


@pytest.mark.parametrize(("currency", "price", "total"),
                         [("JPY", D("1000"), D("3000")), ("KWD", D("1.234"), D("3.702"))])
def test_currencies_with_0_and_3_decimals(currency, price, total):
    order = _price([PriceLine(price, 3)], currency=currency)
    assert order.total == total
    assert order.total.as_tuple().exponent == -minor_unit(currency)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lines": [PriceLine(D("1.001"), 1)]}, "line 0: unit price 1.001 has more than 2 decimal places"),
        ({"lines": [PriceLine(D("-1"), 1)]}, "line 0: unit price -1 must be a finite amount of 0 or more"),
        ({"lines": [PriceLine(D("1"), 0)]}, "line 0: quantity must be a whole number of 1 or more, not 0"),
        ({"lines": [PriceLine(D("1"), 1, discount=D("2"))]}, "line 0: discount 2 is more than the line's 1.00"),
        ({"lines": [PriceLine(D("1"), 1)], "order_discount": D("1.01")}, "order discount 1.01 is more than"),
        ({"lines": [PriceLine(1.5, 1)]}, "line 0: unit price must be a Decimal, not float"),
        ({"lines": [], "mode": "nearest"}, "unknown rounding mode 'nearest'"),
        ({"lines": [], "currency": "euro"}, "'euro' is not an ISO 4217 currency code"),
    ],
)
def test_refuses_what_it_cannot_price(kwargs, message):
    with pytest.raises(PricingError) as excinfo:
        _price(kwargs.pop("lines"), kwargs.pop("mode", "line"), **kwargs)
    assert str(excinfo.value).startswith(message)


def test_allocate_largest_remainder():
    assert allocate(100, [500, 500, 500]) == [34, 33, 33]
    assert allocate(0, [5, 7]) == [0, 0]
    assert allocate(12, [0, 12]) == [0, 12]
    with pytest.raises(PricingError):
        allocate(13, [0, 12])


# --- Properties ---------------------------------------------------------------------------------------------------

CURRENCIES = ["JPY", "EUR", "KWD", "KES", "EGP", "GBP"]  # 0, 2, 3 decimals
RATES = [D(0), D(5), D("5.5"), D(7), D(16), D(19), D(20), D(21), D("7.7"), D(25), D(14)]


@st.composite
def carts(draw):
    currency = draw(st.sampled_from(CURRENCIES))
    exponent = minor_unit(currency)
    classes = ["standard", "reduced", "zero"]
    rates = TaxRates(country="XX", default_class="standard",
                     by_class={code: AppliedRate(draw(st.sampled_from(RATES))) for code in classes})

    def amount(max_minor):
        return from_minor_places(draw(st.integers(0, max_minor)), exponent)

    lines = []
    for _ in range(draw(st.integers(0, 6))):
        quantity = draw(st.integers(1, 12))
        unit_minor = draw(st.integers(0, 20) | st.integers(0, 500_000))  # tiny units find the rounding edges
        discount_minor = draw(st.integers(0, unit_minor * quantity))
        lines.append(PriceLine(from_minor_places(unit_minor, exponent), quantity,
                               tax_class=draw(st.sampled_from([None, *classes])),
                               discount=from_minor_places(discount_minor, exponent)))
    after = sum(to_int(line.unit_price, exponent) * line.quantity - to_int(line.discount, exponent) for line in lines)
    order_discount = from_minor_places(draw(st.integers(0, after)), exponent)
    shipping = draw(st.none() | st.builds(ShippingCharge, st.just(amount(5_000)),
                                          st.sampled_from([None, *classes])))
    return {"lines": lines, "shipping": shipping, "currency": currency, "rates": rates,
            "order_discount": order_discount, "rounding_mode": draw(st.sampled_from(ROUNDING_MODES)),
            "prices_include_tax": draw(st.booleans())}


def from_minor_places(value: int, exponent: int) -> Decimal:
    return Decimal(value).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))


def to_int(amount: Decimal, exponent: int) -> int:
    return int(amount.scaleb(exponent))


def _is_whole_minor(amount: Decimal, currency: str) -> bool:
    return amount == quantize(amount, currency)


@settings(max_examples=3000, deadline=None)
@given(carts())
def test_invariants_over_random_carts(cart):
    order = price_order(**cart)
    currency = cart["currency"]
    lines = order.lines
    # Sum of line taxes (and shipping's) is the order's tax; net + tax = gross per line and in total.
    assert sum((line.tax for line in lines), order.shipping.tax) == order.tax_total
    assert sum((line.gross for line in lines), order.shipping.gross) == order.total
    for line in lines:
        assert line.net + line.tax == line.gross
        assert line.tax >= 0 and line.net >= 0
    assert order.shipping.net + order.shipping.tax == order.shipping.gross
    assert order.net_total + order.tax_total == order.total
    # The tax lines add up to the order's tax and net.
    assert sum(t.amount for t in order.tax_lines) == order.tax_total
    assert sum(t.base for t in order.tax_lines) == order.net_total
    # Every amount is a whole number of minor units.
    amounts = [order.subtotal, order.discount, order.net_total, order.tax_total, order.total,
               order.shipping.net, order.shipping.tax, order.shipping.gross]
    for line in lines:
        amounts += [line.unit_price, line.discount, line.net, line.tax, line.gross, line.rounding_correction]
    for tax_line in order.tax_lines:
        amounts += [tax_line.base, tax_line.amount]
    assert all(_is_whole_minor(amount, currency) for amount in amounts)
    # The amount a gateway is sent is the order total exactly.
    assert from_minor(to_minor(order.total, currency), currency) == order.total
    # Discounts add up exactly: the lines' discounts are the line discounts plus the order discount.
    assert sum(line.discount for line in lines) == order.discount
    assert order.discount == sum(line.discount for line in cart["lines"]) + cart["order_discount"]
    # Summed modes: each rate's tax is its net base x rate, rounded once (EN 16931).
    if cart["rounding_mode"] != "line":
        for tax_line in order.tax_lines:
            expected = (tax_line.base * tax_line.rate / 100).quantize(tax_line.base, rounding=ROUND_HALF_UP)
            assert tax_line.amount == expected, tax_line
    # Gross entry keeps every gross price except in sum_by_net (and impossible grosses, at most a unit per unit).
    if cart["prices_include_tax"] and cart["rounding_mode"] == "line":
        entered = sum(line.unit_price * line.quantity - line.discount for line in cart["lines"])
        assert sum(line.gross for line in lines) == entered - cart["order_discount"]
