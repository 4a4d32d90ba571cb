"""The one way the shop prices a cart or an order: the shop's settings + the tax provider + the pipeline.

``price_quote(lines=..., shipping=..., address=..., order_discount=...)`` is what cart reads, checkout (from the
cart and direct orders) and the voucher code call; nothing else computes money. Discounts plug in here: a line's
``PriceLine.discount`` and the ``order_discount`` go straight to the pipeline, which places them (docs/PRICING.md).
"""

from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.conf import settings

from shop.core.exceptions import ApplicationError

from .errors import PricingErrorCode
from .pipeline import OrderPrice, PriceLine, PricingError, ShippingCharge, price_order
from .providers import TaxProvider, tax_provider


def price_quote(
    *,
    lines: Sequence[PriceLine],
    shipping: ShippingCharge | None = None,
    address: Mapping[str, str] | None = None,
    order_discount: Decimal = Decimal(0),
    provider: TaxProvider | None = None,
) -> OrderPrice:
    """Price ``lines`` (+ ``shipping``) for delivery to ``address`` in the shop's currency, entry basis
    (``PRICES_INCLUDE_TAX``) and rounding mode (``TAX_ROUNDING_MODE``).

    ``address`` is any mapping with ``country`` (ISO code or English name) and optionally ``region``/``state``;
    ``None`` or no country: the shop's ``SHOP_COUNTRY``. The rates come from ``provider`` (default: the shop's,
    :func:`shop.pricing.providers.tax_provider`: two queries whatever the number of lines). Input the pipeline
    cannot price (a discount larger than the line, an amount finer than the currency) raises
    ``ApplicationError`` 400 ``unpriceable`` with the pipeline's message.
    """
    provider = provider or tax_provider()
    taxed = [*lines, *([shipping] if shipping is not None else [])]
    rates = provider.rates_for(taxed, address)
    try:
        return price_order(
            lines, shipping=shipping, currency=settings.SHOP_CURRENCY,
            prices_include_tax=settings.PRICES_INCLUDE_TAX, rounding_mode=settings.TAX_ROUNDING_MODE,
            rates=rates, order_discount=order_discount,
        )
    except PricingError as exc:
        raise ApplicationError(f"These lines cannot be priced: {exc}.",
                               code=PricingErrorCode.UNPRICEABLE) from exc
