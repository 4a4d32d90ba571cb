"""The shop's money precision (CLDR, via babel), half-up rounding, and its agreement with the gateway exponent."""

from decimal import Decimal

import pytest
from babel.core import get_global

from shop.core.money import currency_exponent, from_minor, minor_unit, quantize, to_minor


@pytest.mark.parametrize(("currency", "digits"), [("JPY", 0), ("jpy", 0), ("KWD", 3), ("EUR", 2), ("KES", 2)])
def test_minor_unit_from_cldr(currency, digits):
    assert minor_unit(currency) == digits


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [("0.125", "EUR", "0.13"), ("0.124", "EUR", "0.12"), ("-0.125", "EUR", "-0.13"), ("99.5", "JPY", "100"),
     ("1.2345", "KWD", "1.235"), ("2.5", "JPY", "3")],
)
def test_quantize_rounds_half_up(amount, currency, expected):
    result = quantize(Decimal(amount), currency)
    assert result == Decimal(expected)
    assert str(result) == expected


def test_quantize_refuses_floats_and_bad_codes():
    with pytest.raises(TypeError):
        quantize(0.1, "EUR")
    with pytest.raises(ValueError, match="not an ISO 4217 currency code"):
        quantize(Decimal(1), "euro")


def test_every_cldr_amount_converts_to_gateway_minor_units_exactly():
    """A gateway's minor unit is never coarser than CLDR's digits, so whatever the pipeline rounds to converts
    exactly (CLF and UYW, the exceptions, are units of account no gateway takes)."""
    coarser = {code for code in get_global("currency_fractions") if code != "DEFAULT"
               if minor_unit(code) > currency_exponent(code)}
    assert coarser == {"CLF", "UYW"}
    for code in ("JPY", "EUR", "KWD", "LYD", "HUF"):
        step = Decimal(1).scaleb(-minor_unit(code))
        assert from_minor(to_minor(step * 12345, code), code) == step * 12345

