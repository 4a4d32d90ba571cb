"""Reads of tax classes and rates, shaped for their readers."""

from django.db.models import QuerySet

from shop.core.memo import memoized_shared
from shop.core.models import same_text

from .memo_invalidation import TAX_MEMO
from .models import TaxClass, TaxRate


def tax_class_list() -> QuerySet[TaxClass]:
    """Every tax class, by code."""
    return TaxClass.objects.order_by("code")


def tax_rate_list(*, country: str = "", tax_class: str = "") -> QuerySet[TaxRate]:
    """Every tax rate (optionally of one country and/or one class code, ignoring case), with its class, by place
    then class."""
    rates = TaxRate.objects.select_related("tax_class").order_by("country", "region", "tax_class__code", "pk")
    if country:
        rates = rates.filter(country=country)
    if tax_class:
        rates = rates.filter(same_text("tax_class__code", tax_class))
    return rates


def _any_tax_rate() -> bool:
    return TaxRate.objects.exists()


def tax_rates_configured() -> bool:
    """Whether the shop has any tax rate at all: then an order with no place to tax it at (no address country, no
    ``SHOP_COUNTRY``) would be taxed at 0 only because the place is unknown. Memoized with the rates (one query when
    not memoized, dropped by every rate write: ``memo_invalidation``)."""
    return memoized_shared(TAX_MEMO, "any-rate", _any_tax_rate)
