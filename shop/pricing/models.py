"""Tax classes and the rates that apply to them per country (and, optionally, per region).

A product, a variant (else its product's) and a shipping method carry a tax class (none: the default); the rate
comes from the place the order ships to (``providers.FlatRateTaxProvider``).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django_countries.fields import CountryField

from shop.core.countries import subdivision_code, subdivision_example

from .rates import percent_text


class TaxClass(models.Model):
    """What kind of goods a line is, for tax: ``standard``, ``reduced``, ``zero``, ``exempt`` (seeded) or any class
    the shop defines. Exactly one may be the default, the class of a line that names none."""

    # Unique ignoring case, like product slugs and SKUs (the constraint below), and looked up ignoring case
    # (``shop.core.models.same_text``): ``Books`` names the class ``books``.
    code = models.SlugField(max_length=50, help_text="Stable identifier, e.g. 'reduced' (case is ignored).")
    name = models.CharField(max_length=100)
    is_default = models.BooleanField(default=False, help_text="Lines without a tax class are taxed as this class.")

    class Meta:
        ordering = ("code",)
        verbose_name_plural = "tax classes"
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_tax_class"),
            models.UniqueConstraint(
                Lower("code"), name="pricing_taxclass_code_ci_unique",
                violation_error_message="A tax class with this code already exists (codes ignore case).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class TaxRate(models.Model):
    """The rate, in percent, of one tax class in one country, or in one region of it (ISO 3166-2, e.g. ``ES-CN``).

    ``region`` empty = the whole country; a region's rate wins over its country's for addresses in that region.
    """

    tax_class = models.ForeignKey(TaxClass, on_delete=models.CASCADE, related_name="rates")
    country = CountryField()
    # Checked against ISO 3166-2 itself in ``clean()`` (a pattern let ES-ZZ through), and stored with its prefix.
    region = models.CharField(
        max_length=6, blank=True, default="",
        help_text="ISO 3166-2 subdivision code of the country, with or without its prefix (CN or ES-CN); empty for "
                  "the whole country.",
    )
    rate = models.DecimalField(
        max_digits=7, decimal_places=4,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text="Percent, e.g. 19 for 19 %.",
    )

    class Meta:
        ordering = ("country", "region", "tax_class__code")
        constraints = [
            models.UniqueConstraint(fields=["tax_class", "country", "region"], name="one_tax_rate_per_class_and_place"),
        ]

    def __str__(self) -> str:
        return f"{self.tax_class.code} {self.region or self.country}: {percent_text(self.rate)} %"

    def clean(self):
        """``region`` is read as checkout reads an address's state (``shop.pricing.providers.tax_place``): an ISO
        3166-2 code of ``country`` with or without its prefix (``CN`` is stored as ``ES-CN``); a code the standard
        does not have in that country is refused, so no rate is kept for a region no address can be taxed in."""
        super().clean()
        if not self.region or not self.country:
            return
        code = subdivision_code(str(self.country), self.region)
        if not code:
            raise ValidationError({"region": region_refusal(str(self.country), self.region)})
        self.region = code


def region_refusal(country: str, region: str) -> str:
    """What to send instead of ``region``, which is no ISO 3166-2 subdivision of ``country``."""
    example = subdivision_example(country)
    if not example:
        return f"{country} has no ISO 3166-2 subdivisions: leave region empty for the whole country."
    return (f"'{region[:20]}' is not an ISO 3166-2 subdivision code of {country}: send one of its codes, with or "
            f"without the country prefix ({example.removeprefix(f'{country}-')} or {example}), or leave region empty "
            "for the whole country.")
