"""Start-up checks (``manage.py check``, ``runserver``, ``migrate``): a deployment whose payment methods cannot
take the shop's currency is told at start-up, not by every order failing."""

from django.conf import settings
from django.core.checks import Warning, register


@register("payments")
def payment_methods_take_shop_currency(app_configs=None, **kwargs) -> list[Warning]:
    """A warning per deployed method (``PAYMENT_METHODS``) whose provider cannot take ``SHOP_CURRENCY`` (Paymob
    takes only EGP, IntaSend KES/USD/EUR/GBP: ``shop.payments.methods.KNOWN_METHODS``), and one more when no
    deployed method can, so checkouts without a method would all be refused. Reads settings only, no database
    (staff's per-method currency lists are validated when saved)."""
    from .methods import KNOWN_METHODS

    currency = settings.SHOP_CURRENCY
    deployed = [KNOWN_METHODS[code] for code in settings.PAYMENT_METHODS if code in KNOWN_METHODS]
    refusing = [method for method in deployed if method.currencies and currency not in method.currencies]
    warnings = [
        Warning(f"Payment method '{method.id}' cannot take SHOP_CURRENCY={currency}; it is not offered.",
                hint=f"{method.name} takes {', '.join(method.currencies)}: set SHOP_CURRENCY to one of them "
                     f"or remove '{method.id}' from PAYMENT_METHODS.",
                id="payments.W001")
        for method in refusing
    ]
    if deployed and len(refusing) == len(deployed):
        warnings.append(Warning(
            f"No method in PAYMENT_METHODS takes SHOP_CURRENCY={currency}: every checkout will be refused.",
            hint="Set SHOP_CURRENCY to a currency your payment methods take (Paymob: EGP; IntaSend: KES).",
            id="payments.W002"))
    return warnings
