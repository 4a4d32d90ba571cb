"""Moved to :mod:`shop.core.money` (the pricing pipeline rounds with the same helpers); re-exported for the
providers and anything else that imports them from here."""

from shop.core.money import (  # noqa: F401
    THREE_DECIMAL_CURRENCIES,
    ZERO_DECIMAL_CURRENCIES,
    currency_exponent,
    format_major,
    from_minor,
    from_minor_units,
    minor_unit,
    normalise_currency,
    parse_major,
    quantize,
    to_minor,
    to_minor_units,
)
