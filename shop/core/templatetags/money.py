"""``{% load money %}`` then ``{{ order.total|money:order.currency }}``: an amount with exactly its currency's digits
(``shop.core.money.money_text``: "100" JPY, "10.00" EUR, "1.250" KWD), never the stored column's three decimals.
Without a currency, the shop's (``SHOP_CURRENCY``). E-mails, the admin's pages and the sandbox page use it."""

from decimal import Decimal

from django import template
from django.conf import settings

from shop.core.money import money_text

register = template.Library()


@register.filter(name="money")
def money(amount: Decimal | int | None, currency: str | None = None) -> str:
    """``amount`` in ``currency`` (default ``SHOP_CURRENCY``); "" for None, so an empty field stays empty."""
    if amount is None or amount == "":
        return ""
    return money_text(amount, currency or settings.SHOP_CURRENCY)
