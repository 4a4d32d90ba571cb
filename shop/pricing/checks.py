"""Start-up checks (``manage.py check``): a shop currency whose minor unit the stored amounts cannot hold."""

from django.conf import settings
from django.core.checks import Error, register

from shop.core.money import MONEY_DECIMAL_PLACES, minor_unit


@register("pricing")
def shop_currency_fits_the_stored_amounts(app_configs=None, **kwargs) -> list[Error]:
    """An error when ``SHOP_CURRENCY`` is counted more finely (CLDR, via babel) than the money columns store
    (``shop.core.money.MONEY_DECIMAL_PLACES``, 3: every currency with 0, 2 or 3 decimals, KWD and BHD included).
    Only units of account such as CLF and UYW (4 decimals) are refused: every tax and total would be cut on save.
    ``pricing.E002`` for a code that is not a currency code at all. Reads settings only."""
    try:
        digits = minor_unit(settings.SHOP_CURRENCY)
    except ValueError as exc:
        return [Error(f"SHOP_CURRENCY={settings.SHOP_CURRENCY!r}: {exc}", id="pricing.E002")]
    if digits <= MONEY_DECIMAL_PLACES:
        return []
    return [Error(f"SHOP_CURRENCY={settings.SHOP_CURRENCY} has {digits} decimals; amounts are stored with "
                  f"{MONEY_DECIMAL_PLACES}.",
                  hint=f"Use a currency with at most {MONEY_DECIMAL_PLACES} decimals (docs/PRICING.md, Currencies).",
                  id="pricing.E001")]
