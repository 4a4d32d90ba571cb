"""Money helpers: how finely a currency is counted, rounding to it, and the integer minor units gateways speak.

Two facts about a currency, from two sources, kept apart on purpose:

- :func:`minor_unit` — the decimals an amount is *rounded to* in the shop (prices, taxes, totals): CLDR's
  currency digits, read from babel (``babel.numbers.get_currency_precision``): 0 for JPY, 2 for EUR, 3 for KWD.
  :func:`quantize` rounds to it, half up.
- :func:`currency_exponent` — the exponent a *gateway* counts minor units in (ISO 4217 as Stripe documents it on
  /docs/currencies). It is never finer than CLDR's digits for a currency a gateway takes (tested), so every amount
  the pricing pipeline produces converts exactly; it can be coarser-looking the other way round: CLDR rounds HUF,
  ISK, IDR and COP to whole units while gateways still count them in hundredths (150000 = 1500 HUF).

:func:`to_minor` / :func:`from_minor` convert at the gateway boundary. Decimal end to end: a float never enters,
and an amount finer than the currency allows is refused rather than rounded, because a silent rounding is a silent
change of what the customer pays.

Storage and text: every money column holds :data:`MONEY_COLUMN` (3 decimals, the finest minor unit of a currency the
shop takes, and 10 whole digits), whatever the shop's currency; :func:`money_text` writes an amount with exactly the
currency's digits ("100" JPY, "10.00" EUR, "1.250" KWD), so the column's format ("100.000") never reaches a reader.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import get_currency_precision

#: How every money column is declared (``models.DecimalField(**MONEY_COLUMN)``): 3 decimals, enough for the
#: three-decimal currencies (KWD, BHD, OMR, JOD, TND, LYD), and 10 whole digits. A currency CLDR counts more finely
#: (CLF and UYW: 4 decimals, units of account) is refused at start-up (``pricing.E001``).
MONEY_DECIMAL_PLACES = 3
MONEY_MAX_DIGITS = 13
MONEY_COLUMN = {"max_digits": MONEY_MAX_DIGITS, "decimal_places": MONEY_DECIMAL_PLACES}
#: Every stored amount is below this (10 whole digits).
MONEY_WHOLE_DIGITS = MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES
MONEY_LIMIT = Decimal(10) ** MONEY_WHOLE_DIGITS
#: What an amount with more whole digits than the columns hold is told, body or query parameter alike: its size is
#: the problem, whatever else is wrong with it (``1e999999`` has no decimals too many, and no column holds it).
TOO_MANY_WHOLE_DIGITS = f"Ensure that there are no more than {MONEY_WHOLE_DIGITS} digits before the decimal point."

# ISO 4217 exponents that differ from the usual 2 (the lists Stripe documents on /docs/currencies).
# fmt: off
ZERO_DECIMAL_CURRENCIES = frozenset({
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
    "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
})
# fmt: on
# LYD: ISO 4217 and CLDR count it in thousandths (Stripe does not list it); kept here so LYD amounts convert exactly.
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "JOD", "KWD", "LYD", "OMR", "TND"})


def normalise_currency(currency: str | None) -> str:
    """An ISO 4217 code, upper-cased (``"eur"`` -> ``"EUR"``); ``ValueError`` for anything not three ASCII letters."""
    code = (currency or "").strip().upper()
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        raise ValueError(f"{currency!r} is not an ISO 4217 currency code")
    return code


def currency_exponent(currency: str | None) -> int:
    """The exponent of a gateway's integer minor units (2 for EUR: cents; 0 for JPY; 3 for KWD). See the module doc."""
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


def minor_unit(currency: str | None) -> int:
    """How many decimals the shop rounds amounts in ``currency`` to: CLDR's digits via babel (JPY 0, EUR 2, KWD 3).

    An unknown but well-formed code gets CLDR's default, 2. ``ValueError`` for a malformed code.
    """
    return get_currency_precision(normalise_currency(currency))


def quantize(amount: Decimal | int, currency: str) -> Decimal:
    """``amount`` rounded to the currency's :func:`minor_unit`, half up: ``quantize(Decimal("0.125"), "EUR")`` is
    ``Decimal("0.13")``, ``quantize(Decimal("99.5"), "JPY")`` is ``Decimal("100")``.

    Half up (``decimal.ROUND_HALF_UP``: ties away from zero) is commercial rounding, the rule invoices and VAT
    returns are checked against by hand and the one pretix rounds currency amounts with (``round_decimal`` in
    pretix.base.decimal); Python's default banker's rounding (ROUND_HALF_EVEN) would turn 0.125 into 0.12, which
    no customer reproduces on a calculator. ``TypeError`` for a float (or bool); ``ValueError`` for NaN or
    infinity.
    """
    value = _as_decimal(amount)
    return value.quantize(Decimal(1).scaleb(-minor_unit(currency)), rounding=ROUND_HALF_UP)


def exceeds_money_columns(amount: Decimal) -> bool:
    """Whether ``amount`` has more whole digits than a money column holds (:data:`MONEY_WHOLE_DIGITS`). Compared,
    never computed: ``abs()`` of ``Decimal("1e9999999")``, an amount a client may send, overflows the decimal
    context (``decimal.Overflow``, a 500), while a comparison never does."""
    return not -MONEY_LIMIT < amount < MONEY_LIMIT


def fits_minor_unit(amount: Decimal | int, currency: str) -> bool:
    """Whether ``amount`` is a whole number of the currency's :func:`minor_unit`, by value: ``10.50`` and
    ``10.500`` fit EUR, ``10.505`` does not; ``100`` fits JPY, ``100.5`` does not."""
    value = _as_decimal(amount)
    try:
        return value == value.quantize(Decimal(1).scaleb(-minor_unit(currency)))
    except InvalidOperation:  # more digits than the context holds: no amount the shop could store either
        return False


def money_text(amount: Decimal | int, currency: str) -> str:
    """``amount`` as every answer, e-mail and message writes it: exactly the currency's :func:`minor_unit` digits,
    whatever the column stored (``Decimal("100.000")`` JPY -> ``"100"``, EUR -> ``"100.00"``, ``Decimal("1.25")``
    KWD -> ``"1.250"``). Never rounds: an amount finer than the currency (a row written before the shop changed
    its currency) is written with all its digits, trailing zeros dropped (``"10.505"`` in JPY). No exponent,
    no ``-0``. ``TypeError`` for a float, ``ValueError`` for NaN, infinity or a malformed currency code."""
    value = _as_decimal(amount)
    if fits_minor_unit(value, currency):
        value = value.quantize(Decimal(1).scaleb(-minor_unit(currency)))
    else:
        value = value.normalize()
    if value.is_zero():
        value = value.copy_abs()
    return f"{value:f}"


def to_minor(amount: Decimal | int, currency: str, *, multiple_of: int = 1) -> int:
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


def from_minor(value: int, currency: str | None) -> Decimal:
    """Integer minor units -> major-unit Decimal at the currency's exponent: 1050 USD -> Decimal("10.50")."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"minor units must be an int, not {type(value).__name__}")
    exponent = currency_exponent(currency)
    return Decimal(value).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))


def format_major(amount: Decimal | int, currency: str) -> str:
    """A Decimal string with exactly the currency's decimals ("1500.00"), for APIs that take major units."""
    return str(from_minor(to_minor(amount, currency), currency))


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

