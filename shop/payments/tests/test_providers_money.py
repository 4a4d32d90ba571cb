from decimal import Decimal

import pytest

from shop.core.money import (
    currency_exponent,
    format_major,
    from_minor,
    normalise_currency,
    parse_major,
    to_minor,
)


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        (Decimal("10.50"), "USD", 1050),
        (Decimal("10.5"), "usd", 1050),
        (Decimal("0.01"), "EGP", 1),
        (Decimal("1500"), "KES", 150000),
        (Decimal("500"), "JPY", 500),
        (Decimal("500.00"), "jpy", 500),
        (Decimal("12000"), "UGX", 12000),
        (Decimal("5.125"), "KWD", 5125),
        (Decimal("5.12"), "BHD", 5120),
        (Decimal("0"), "USD", 0),
        (7, "USD", 700),
    ],
)
def test_to_minor_is_exact(amount, currency, minor):
    assert to_minor(amount, currency) == minor


@pytest.mark.parametrize(
    ("minor", "currency", "expected"),
    [
        (1050, "USD", "10.50"),
        (1, "EGP", "0.01"),
        (500, "JPY", "500"),
        (5120, "KWD", "5.120"),
        (0, "KES", "0.00"),
    ],
)
def test_from_minor_keeps_the_currency_exponent(minor, currency, expected):
    value = from_minor(minor, currency)
    assert isinstance(value, Decimal)
    assert str(value) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        (Decimal("10.505"), "USD", "more than 2 decimal places for USD"),
        (Decimal("1.5"), "JPY", "more than 0 decimal places for JPY"),
        (Decimal("5.1255"), "KWD", "more than 3 decimal places for KWD"),
        (Decimal("-1.00"), "USD", "is negative"),
        (Decimal("NaN"), "USD", "not a finite number"),
        (Decimal("Infinity"), "USD", "not a finite number"),
    ],
)
def test_to_minor_refuses_instead_of_rounding(amount, currency, message):
    with pytest.raises(ValueError, match=message):
        to_minor(amount, currency)


@pytest.mark.parametrize("amount", [10.5, "10.50", True, None])
def test_to_minor_rejects_floats_and_other_types(amount):
    with pytest.raises(TypeError, match="Decimal or int"):
        to_minor(amount, "USD")


def test_multiple_of_refuses_amounts_off_the_step():
    assert to_minor(Decimal("5.120"), "KWD", multiple_of=10) == 5120
    with pytest.raises(ValueError, match=r"KWD must be a multiple of 0\.010"):
        to_minor(Decimal("5.125"), "KWD", multiple_of=10)


@pytest.mark.parametrize("currency", ["US", "USDX", "12A", "", "€UR"])
def test_invalid_currency_codes_are_refused(currency):
    with pytest.raises(ValueError, match="not an ISO 4217 currency code"):
        normalise_currency(currency)


def test_exponents():
    assert [currency_exponent(c) for c in ("usd", "JPY", "KWD", "EGP", "TND", "XOF")] == [2, 0, 3, 2, 3, 0]


def test_format_and_parse_major_units():
    assert format_major(Decimal("1500"), "KES") == "1500.00"
    assert format_major(Decimal("99.9"), "USD") == "99.90"
    assert format_major(Decimal("500"), "JPY") == "500"
    assert parse_major("10.5", "KES") == Decimal("10.50")
    assert str(parse_major(Decimal("103.63"), "KES")) == "103.63"
    assert parse_major(100, "KES") == Decimal("100.00")
    # A finer amount is reported as sent, not rounded away.
    assert str(parse_major("10.505", "KES")) == "10.505"
    with pytest.raises(ValueError, match="not a decimal amount"):
        parse_major("ten", "KES")
    with pytest.raises(ValueError, match="not a decimal amount"):
        parse_major(10.5, "KES")
