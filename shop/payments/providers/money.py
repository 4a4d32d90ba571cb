"""Exact conversion between major-unit Decimals and the integer minor units gateways speak.

Decimal end to end: a float never enters, and an amount finer than the currency allows is refused
rather than rounded, because a silent rounding is a silent change of what the customer pays.
"""

from decimal import Decimal, InvalidOperation

# ISO 4217 exponents that differ from the usual 2 (the lists Stripe documents on /docs/currencies).
# fmt: off
ZERO_DECIMAL_CURRENCIES = frozenset({
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
    "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
})
# fmt: on
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def normalise_currency(currency: str | None) -> str:
    code = (currency or "").strip().upper()
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        raise ValueError(f"{currency!r} is not an ISO 4217 currency code")
    return code


def currency_exponent(currency: str | None) -> int:
    code = normalise_currency(currency)
    if code in ZERO_DECIMAL_CURRENCIES:
        return 0
    if code in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def _as_decimal(amount: Decimal | int) -> Decimal:
    # bool is an int subclass and float is inexact: both are caller bugs, not amounts.
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise TypeError(f"amount must be a Decimal or int, not {type(amount).__name__}")
    value = Decimal(amount)
    if not value.is_finite():
        raise ValueError(f"amount {amount} is not a finite number")
    return value


def to_minor_units(amount: Decimal | int, currency: str, *, multiple_of: int = 1) -> int:
    """Major units -> integer minor units, e.g. Decimal("10.50") USD -> 1050, Decimal("500") JPY -> 500.

    ``multiple_of`` lets a gateway demand coarser steps (Stripe: three-decimal currencies in tens);
    an amount that does not land on such a step is refused, never rounded.
    """
    value = _as_decimal(amount)
    if value < 0:
        raise ValueError(f"amount {value} is negative")
    exponent = currency_exponent(currency)
    try:
        minor = value.scaleb(exponent)
    except InvalidOperation as exc:  # pragma: no cover - only reachable with absurd exponents
        raise ValueError(f"amount {value} cannot be expressed in {currency}") from exc
    if minor != minor.to_integral_value():
        raise ValueError(
            f"amount {value} has more than {exponent} decimal places for {normalise_currency(currency)}"
        )
    result = int(minor)
    if multiple_of > 1 and result % multiple_of:
        step = Decimal(multiple_of).scaleb(-exponent)
        raise ValueError(f"amount {value} {normalise_currency(currency)} must be a multiple of {step}")
    return result


def from_minor_units(value: int, currency: str | None) -> Decimal:
    """Integer minor units -> major-unit Decimal at the currency's exponent: 1050 USD -> Decimal("10.50")."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"minor units must be an int, not {type(value).__name__}")
    exponent = currency_exponent(currency)
    return Decimal(value).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))


def format_major(amount: Decimal | int, currency: str) -> str:
    """A Decimal string with exactly the currency's decimals ("1500.00"), for APIs that take major units."""
    return str(from_minor_units(to_minor_units(amount, currency), currency))


def parse_major(value: object, currency: str) -> Decimal:
    """A gateway's major-unit amount (string, int or Decimal-parsed JSON number) -> exact Decimal."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError(f"amount {value!r} is not a decimal amount")
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"amount {value!r} is not a decimal amount") from exc
    if not amount.is_finite():
        raise ValueError(f"amount {value!r} is not a finite number")
    # Normalise "10.5" to "10.50" so amounts compare and display alike; a finer amount stays as sent.
    step = Decimal(1).scaleb(-currency_exponent(currency))
    quantized = amount.quantize(step)
    return quantized if quantized == amount else amount
