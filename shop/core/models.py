from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

from .money import TOO_MANY_WHOLE_DIGITS, exceeds_money_columns, fits_minor_unit, minor_unit


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def same_text(field: str, value: str) -> Exact:
    """The condition ``LOWER(field) = LOWER(value)``, for ``filter()``: ``field`` equals ``value`` ignoring case.

    Every lookup of an identifier that is unique ignoring case (product and category slugs, variant SKUs, tax class
    codes) uses it, so it finds exactly the row the uniqueness rule protects. Both sides are lowered by the
    database, as the ``Lower(...)`` unique indexes are, so PostgreSQL answers it from those indexes (``LOWER('x')`` is
    folded to a constant at planning; with the live-rows condition in the query, the partial ones qualify).
    """
    return Exact(Lower(field), Lower(Value(value)))


def shop_amount_validator(value: Decimal | None) -> None:
    """Model validator of an amount entered in the shop's currency (prices, fees, limits; the price filters): no more
    whole digits than the money columns hold, then no more decimals than ``SHOP_CURRENCY`` has (the columns hold
    three for every currency), so an admin form or a service's ``full_clean()`` refuses 9.999 in a EUR shop as the
    API does (``shop.core.serializers.MoneyField``)."""
    if value is None:
        return
    if exceeds_money_columns(value):
        # Said first, and instead of the decimals: ``fits_minor_unit`` is False for ``1e999999`` too (no column
        # holds it), which read "no more than 2 decimal places" of an amount with none.
        raise ValidationError(TOO_MANY_WHOLE_DIGITS, code="max_whole_digits")
    currency = settings.SHOP_CURRENCY
    if not fits_minor_unit(value, currency):
        raise ValidationError(
            "Ensure that there are no more than %(digits)s decimal places (%(currency)s).",
            code="max_decimal_places", params={"digits": minor_unit(currency), "currency": currency})


def positive_amount_validator(value: Decimal | None) -> None:
    """Model validator of an amount that must be more than 0 (a price): the smallest is one minor unit of the
    shop's currency (0.01 EUR, 1 JPY, 0.001 KWD), which :func:`shop_amount_validator` checks beside it."""
    if value is not None and value <= 0:
        raise ValidationError("Ensure this amount is more than 0.", code="min_value")
