"""Tax rates stored before regions were checked against ISO 3166-2 (0004; until then a pattern let ``ES-ZZ`` or
``US-NY`` in ``DE`` through) may name a region no address can be taxed in any more: checkout reads an address's
region only as a real subdivision code of its country (``shop.pricing.providers.tax_place``), so such a row has
applied to no order since 0004, and neither the rates API nor the admin would save it as it is.

What this does with each of them, as a shop owner would want it, one WARNING line per row (logger
``shop.pricing.migrations``) saying what the row was and why it changed, so nothing goes unnoticed:

- a real subdivision of the row's country written another way (``es-cn``, ``CN`` for ``ES-CN``): stored as its code,
  as the rates API stores it today, so the rate applies in that region, as its author meant; if the class already
  has a rate at that code (the one checkout has been applying there), that one is kept and this one deleted;
- no subdivision of the row's country (made up, or another country's code): deleted. Keeping it would keep a rate
  in the table that looks as if it applied and never does, and that staff cannot edit, only delete. Its line in the
  log has everything needed to enter it again with a real code, should it have been meant for a real region.

The only prices that change are those of a region whose rate was written another way: it applies there now (the
shared memo of the rates is dropped for it: these historical models send no signals). Deleted rows applied to no
order since 0004. Migrating back does not restore them (the log keeps them).
"""

import logging

import pycountry
from django.db import migrations

from shop.core.memo import memo_invalidate

logger = logging.getLogger("shop.pricing.migrations")


def _subdivision(country: str, region: str) -> str:
    """The ISO 3166-2 code ``region`` names in ``country`` (with or without its prefix, any case), else ""; from
    pycountry's table, as ``shop.core.countries.subdivision_code`` reads it today (kept here: a migration must not
    change with the code)."""
    code = region.strip().upper()
    if not country or not code:
        return ""
    if not code.startswith(f"{country}-"):
        code = f"{country}-{code}"
    found = pycountry.subdivisions.get(code=code)
    return code if found is not None and found.country_code == country else ""


def _example(country: str) -> str:
    codes = sorted(subdivision.code for subdivision in pycountry.subdivisions.get(country_code=country) or ())
    return f"one of {country}'s codes, such as {codes[0]}" if codes else f"no region: {country} has no subdivisions"


def check_regions(apps, schema_editor):
    TaxRate = apps.get_model("pricing", "TaxRate")
    repaired = False
    for row in TaxRate.objects.exclude(region="").select_related("tax_class").order_by("pk"):
        country = str(row.country)
        code = _subdivision(country, row.region)
        if code == row.region:
            continue
        rate = format(row.rate.normalize(), "f")
        what = f"tax rate {row.pk} (class {row.tax_class.code}, {country}, region {row.region!r}, {rate} %)"
        if not code:
            row.delete()
            logger.warning(
                "pricing 0005: deleted %s: %r is no ISO 3166-2 subdivision of %s, so no address is taxed at it. If it "
                "was meant for a real region, add it again with %s.", what, row.region, country, _example(country))
            continue
        kept = TaxRate.objects.filter(tax_class_id=row.tax_class_id, country=country, region=code).first()
        if kept is not None:
            row.delete()
            logger.warning(
                "pricing 0005: deleted %s: it names %s, which the class already has a rate for (tax rate %s, %s %%), "
                "kept; check that rate is the one meant.", what, code, kept.pk, format(kept.rate.normalize(), "f"))
            continue
        row.region = code
        row.save(update_fields=["region"])
        repaired = True
        logger.warning("pricing 0005: %s stored as region %s, the ISO 3166-2 code it names: it now applies to "
                       "addresses in %s, as meant.", what, code, code)
    if repaired:
        memo_invalidate("tax")  # shop.pricing.memo_invalidation.TAX_MEMO, as of this migration


class Migration(migrations.Migration):
    dependencies = [("pricing", "0004_tax_rate_region_iso_3166_2")]
    operations = [migrations.RunPython(check_regions, migrations.RunPython.noop)]
