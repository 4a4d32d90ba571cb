"""The shop's money precision (CLDR, via babel), half-up rounding, and its agreement with the gateway exponent."""

from decimal import Decimal

import pytest
from babel.core import get_global
from django.core.exceptions import ValidationError

from shop.core.models import shop_amount_validator
from shop.core.money import (
    MONEY_COLUMN,
    MONEY_LIMIT,
    currency_exponent,
    fits_minor_unit,
    from_minor,
    minor_unit,
    money_text,
    quantize,
    to_minor,
)


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



@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [("100.000", "JPY", "100"), ("100.000", "EUR", "100.00"), ("1.25", "KWD", "1.250"), ("1.255", "KWD", "1.255"),
     ("-0.000", "EUR", "0.00"), ("1E+3", "EUR", "1000.00"), ("9999999999.999", "KWD", "9999999999.999"),
     # finer than the currency (a row from before a currency change): every digit kept, never rounded
     ("10.505", "JPY", "10.505"), ("10.500", "JPY", "10.5")],
)
def test_money_text_has_exactly_the_currencys_digits_and_never_rounds(amount, currency, text):
    assert money_text(Decimal(amount), currency) == text
    assert Decimal(money_text(Decimal(amount), currency)) == Decimal(amount)


@pytest.mark.parametrize(("amount", "currency", "fits"),
                         [("10.50", "EUR", True), ("10.500", "EUR", True), ("10.505", "EUR", False),
                          ("100", "JPY", True), ("100.5", "JPY", False), ("1.255", "KWD", True),
                          ("1.2555", "KWD", False), ("1E+40", "EUR", False)])
def test_fits_minor_unit_compares_by_value(amount, currency, fits):
    assert fits_minor_unit(Decimal(amount), currency) is fits


def test_the_money_columns_hold_every_currency_the_shop_takes_and_its_old_range():
    """Three decimals (KWD, BHD, OMR, JOD, TND, LYD) and the ten whole digits the columns always had."""
    assert (MONEY_COLUMN["max_digits"] - MONEY_COLUMN["decimal_places"], MONEY_COLUMN["decimal_places"]) == (10, 3)
    assert Decimal("1e10") == MONEY_LIMIT
    finer = {code for code in get_global("currency_fractions") if code != "DEFAULT"
             if minor_unit(code) > MONEY_COLUMN["decimal_places"]}
    assert finer == {"CLF", "UYW"}  # units of account: refused at start-up (pricing.E001)


@pytest.mark.parametrize(("amount", "message"), [
    ("1e999999", "Ensure that there are no more than 10 digits before the decimal point."),
    ("-1E+999999999999999999", "Ensure that there are no more than 10 digits before the decimal point."),
    ("10000000000.005", "Ensure that there are no more than 10 digits before the decimal point."),
    ("1.005", "Ensure that there are no more than 2 decimal places (EUR)."),
    ("1e-999999", "Ensure that there are no more than 2 decimal places (EUR)."),
])
def test_the_amount_validator_names_the_size_before_the_decimals(settings, amount, message):
    """``shop_amount_validator`` (model fields, the admin, the price filters) said "2 decimal places" of 1e999999."""
    settings.SHOP_CURRENCY = "EUR"
    with pytest.raises(ValidationError) as refused:
        shop_amount_validator(Decimal(amount))
    assert refused.value.messages == [message]
    shop_amount_validator(Decimal("9999999999.99"))  # the largest amount fits
