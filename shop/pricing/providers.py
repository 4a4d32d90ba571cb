"""Tax providers: who says which rate applies to which tax class at an address.

Like the payment providers (``shop/payments/providers``), a small class with an ``identifier`` and one call,
``rates_for(lines, address) -> TaxRates``. The built-in :class:`FlatRateTaxProvider` reads the shop's own
:class:`~shop.pricing.models.TaxRate` rows. An external tax service would implement the same call behind a timeout
and fall back to the flat rates when it fails; none is built here.
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import partial
from typing import Protocol

from django.conf import settings

from shop.core.countries import country_code, subdivision_code, subdivision_lineage
from shop.core.memo import memoized_shared

from .memo_invalidation import TAX_MEMO
from .models import TaxClass, TaxRate
from .rates import AppliedRate, TaxRates


class HasTaxClass(Protocol):
    """Anything priced with a tax class code (``None``: the default class): a ``PriceLine``, a ``ShippingCharge``."""

    tax_class: str | None


class TaxProvider:
    """The interface: ``rates_for`` answers the rate of every tax class the lines use, at ``address``."""

    identifier = ""

    def rates_for(self, lines: Iterable[HasTaxClass], address: Mapping[str, str] | None) -> TaxRates:
        raise NotImplementedError


def _region_text(address: Mapping[str, str]) -> str:
    """What the address says its region is (``region``, else ``state``), trimmed and upper-cased; "" for none."""
    return str(address.get("region") or address.get("state") or "").strip().upper()


def tax_place(address: Mapping[str, str] | None) -> tuple[str, str]:
    """``(country, region)`` to tax an order for: the address's country (a code or an English name) and region
    (``region``, else ``state``; ``"CN"`` or ``"ES-CN"`` both read as ``ES-CN``), else ``SHOP_COUNTRY`` with no
    region, else ``("", "")``.

    The region is used only when it is an ISO 3166-2 subdivision code of that country, one the standard really
    has (``shop.core.countries.subdivision_code``, pycountry's table): a state written as a name ("Bayern", "New
    York", "N.Y."), a code of another country ("US-NY" in DE) or one shaped like a code that no subdivision has
    ("AB" in DE, "ZZ" or "C1" in ES) gives ``""``, so the order is taxed at the country's rates
    (``FlatRateTaxProvider`` says so with ``tax_source: "country"``) and never refused for what a customer wrote
    in the state field.
    """
    address = address or {}
    country = country_code(str(address.get("country") or ""))
    if not country:
        return settings.SHOP_COUNTRY, ""
    return country, subdivision_code(country, _region_text(address))


class FlatRateTaxProvider(TaxProvider):
    """Rates from the ``TaxRate`` table: a region's row wins over the rows of the subdivisions holding it (a province
    in the Canary Islands is taxed at ES-CN's rate unless it has its own), which win over its country's; a class
    with none is taxed at 0 with source ``no_rate``. An address whose region (state) is not a subdivision code of
    its country (:func:`tax_place`) gets its country's rows with source ``country``: no regional rate could be
    looked up.
    Every checkout and cart asks, and staff rarely change the rates: the default class and the place's rows are
    memoized per place (``shop.core.memo``, dropped by every tax class or rate write: ``memo_invalidation``), so a
    memoized place costs no query, one not memoized yet two (the default class, the place's rates), whatever the
    number of lines."""

    identifier = "flat_rate"

    def rates_for(self, lines: Iterable[HasTaxClass], address: Mapping[str, str] | None) -> TaxRates:
        country, region = tax_place(address)
        unread = bool(address and country and not region and _region_text(address))
        default, place_rates = memoized_shared(TAX_MEMO, f"{country}:{region}", partial(_place_rates, country, region))
        codes = {line.tax_class or default for line in lines} - {""}
        by_class: dict[str, AppliedRate] = {}
        # Country-wide rows first, then each holding subdivision's, so the most precise row of a class is kept.
        for _region, code, rate in place_rates:
            if code in codes:
                by_class[code] = AppliedRate(rate=rate, source="country" if unread else "rate")
        return TaxRates(country=country, region=region, default_class=default, by_class=by_class)


def _place_rates(country: str, region: str) -> tuple[str, list[tuple[str, str, Decimal]]]:
    """``(default class code or "", [(region, class code, rate), ...])``: the rows of every class at this place
    (the country's, then the region's), what :meth:`FlatRateTaxProvider.rates_for` picks the lines' classes from."""
    default = TaxClass.objects.filter(is_default=True).values_list("code", flat=True).first() or ""
    if not country:
        return default, []
    # A region's rows, its parents' (a province's community: ES-GC in ES-CN) and the country's, broadest first, so
    # that the most precise row of a class is the one kept.
    depth = {code: index for index, code in enumerate(("", *subdivision_lineage(region)))}
    rows = TaxRate.objects.filter(country=country, region__in=depth).values_list("region", "tax_class__code", "rate")
    return default, sorted(rows, key=lambda row: (depth[row[0]], row[1]))


PROVIDERS: dict[str, type[TaxProvider]] = {FlatRateTaxProvider.identifier: FlatRateTaxProvider}


def tax_provider() -> TaxProvider:
    """The shop's tax provider (the flat-rate one until another is registered here)."""
    return FlatRateTaxProvider()
