"""Start-up checks (``manage.py check``, ``runserver``, ``migrate``): a deployment whose payment methods cannot
take the shop's currency, or not to its last digit, is told at start-up, not by orders failing."""

from decimal import Decimal

from django.conf import settings
from django.core.checks import Warning, register

from shop.core.money import minor_unit


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


@register("payments")
def payment_methods_take_every_minor_unit(app_configs=None, **kwargs) -> list[Warning]:
    """A warning (``payments.W003``) per deployed method whose gateway counts ``SHOP_CURRENCY`` more coarsely than
    the shop does (Stripe: KWD, BHD, JOD, OMR, TND in steps of 0.010, while prices and taxes are in fils): a total
    or refund off its steps is refused for that method (never rounded), so the operator hears it now. Reads
    settings only."""
    from .gateways import provider_class
    from .methods import KNOWN_METHODS

    currency = settings.SHOP_CURRENCY
    try:
        unit = Decimal(1).scaleb(-minor_unit(currency))
    except ValueError:  # not a currency code: pricing.E002 says so
        return []
    warnings = []
    for code in settings.PAYMENT_METHODS:
        method = KNOWN_METHODS.get(code)
        if method is None or not method.takes_currency(currency):
            continue
        step = provider_class(method.provider).amount_step(currency)
        if step > unit:
            warnings.append(Warning(
                f"{method.name} takes {currency} amounts in steps of {step}, the shop counts {unit}: an order total "
                f"or refund off those steps cannot use '{method.id}' (refused, never rounded).",
                hint=f"Totals land on steps of {step} when prices and shipping fees do and PRICES_INCLUDE_TAX is "
                     "on (percentage discounts may still leave one off); offer another method beside it "
                     "(docs/PRICING.md, Currencies).",
                id="payments.W003"))
    return warnings
