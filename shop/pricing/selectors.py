"""Reads of tax classes and rates, shaped for their readers."""

from django.db.models import QuerySet

from shop.core.models import same_text

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
