"""Start-up checks (``manage.py check``): a shop currency whose minor unit the stored amounts cannot hold."""

from django.conf import settings
from django.core.checks import Error, register

from shop.core.money import minor_unit

#: Decimal places of the stored money columns (orders, lines, payments, refunds).
STORED_DECIMALS = 2


@register("pricing")
def shop_currency_fits_the_stored_amounts(app_configs=None, **kwargs) -> list[Error]:
    """An error when ``SHOP_CURRENCY`` has more decimals (CLDR, via babel: KWD, BHD, OMR have 3) than the stored
    money columns: every tax and total would be cut to two decimals on save. Reads settings only."""
    try:
        digits = minor_unit(settings.SHOP_CURRENCY)
    except ValueError as exc:
        return [Error(f"SHOP_CURRENCY={settings.SHOP_CURRENCY!r}: {exc}", id="pricing.E002")]
    if digits <= STORED_DECIMALS:
        return []
    return [Error(f"SHOP_CURRENCY={settings.SHOP_CURRENCY} has {digits} decimals; amounts are stored with "
                  f"{STORED_DECIMALS}.", hint="Use a currency with at most two decimals (docs/PRICING.md).",
                  id="pricing.E001")]
