"""Writes of tax classes and rates (staff API and admin). Each validates with ``full_clean()`` inside a transaction."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from shop.core.exceptions import Conflict
from shop.core.models import same_text

from .errors import PricingErrorCode
from .models import TaxClass, TaxRate


@transaction.atomic
def tax_class_save(*, data: dict[str, Any], tax_class: TaxClass | None = None) -> TaxClass:
    """Create (``tax_class=None``) or change a tax class from ``data`` (``code``, ``name``, ``is_default``).

    Making a class the default takes the flag from the previous default in the same transaction; un-defaulting the
    default class is refused (409 ``tax_class_default_required``): make another class the default instead.
    Raises Django's ``ValidationError`` (400 naming ``code``) for a code another class has, in any case
    (``Books`` when ``books`` exists), or a bad value.
    """
    tax_class = tax_class or TaxClass()
    if tax_class.pk and tax_class.is_default and data.get("is_default") is False:
        raise Conflict("The default tax class stays the default until another class is made the default.",
                       code=PricingErrorCode.TAX_CLASS_DEFAULT_REQUIRED)
    for field, value in data.items():
        setattr(tax_class, field, value)
    holder = TaxClass.objects.filter(same_text("code", tax_class.code)).exclude(pk=tax_class.pk).first()
    if holder is not None:
        raise ValidationError({"code": [f"A tax class with the code '{holder.code}' already exists (codes ignore "
                                        "case)."]})
    if tax_class.is_default:
        TaxClass.objects.select_for_update().filter(is_default=True).exclude(pk=tax_class.pk).update(is_default=False)
    tax_class.full_clean()
    try:
        with transaction.atomic():
            tax_class.save()
    except IntegrityError as exc:  # a concurrent write took the code after the check above
        if "pricing_taxclass_code_ci_unique" not in str(exc):
            raise
        raise ValidationError({"code": [f"'{tax_class.code}' was just taken by another write; choose another code."]}
                              ) from exc
    return tax_class


@transaction.atomic
def tax_class_delete(*, tax_class: TaxClass) -> None:
    """Delete a tax class and its rates. The default class is refused (409 ``tax_class_is_default``)."""
    if tax_class.is_default:
        raise Conflict("The default tax class cannot be deleted; make another class the default first.",
                       code=PricingErrorCode.TAX_CLASS_IS_DEFAULT)
    tax_class.delete()


@transaction.atomic
def tax_rate_save(*, data: dict[str, Any], tax_rate: TaxRate | None = None) -> TaxRate:
    """Create (``tax_rate=None``) or change a tax rate from ``data`` (``tax_class``, ``country``, ``region``,
    ``rate``). Raises Django's ``ValidationError`` (400) for a second rate of the same class and place, a region
    outside the country, or a rate outside 0..100."""
    tax_rate = tax_rate or TaxRate()
    for field, value in data.items():
        setattr(tax_rate, field, value)
    tax_rate.full_clean()
    tax_rate.save()
    return tax_rate


@transaction.atomic
def tax_rate_delete(*, tax_rate: TaxRate) -> None:
    """Delete a tax rate: orders to that place then find no rate for its class (taxed at 0, ``no_rate``)."""
    tax_rate.delete()
