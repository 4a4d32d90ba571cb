"""The discounts app's answer to the catalog's sale-price hook (``shop.catalog.hooks``): live promotions, read
at most once per catalog answer (3 queries whatever the page size or the number of promotions), and for the
public catalog cache at most once per catalog version (``snapshot``)."""

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from . import selectors
from .calculation import PromotionRule, sale_unit_price


class _LivePrices:
    def __init__(self, rules: list[PromotionRule] | None = None) -> None:
        self._rules = rules  # None: read on first use

    def unit_price(self, product_id: int, category_id: int | None, price: Decimal) -> Decimal | None:
        if self._rules is None:
            self._rules = selectors.promotions_live(now=timezone.now())
        if not self._rules:
            return None
        return sale_unit_price(product_id, category_id, price, self._rules, settings.SHOP_CURRENCY)


class PromotionSalePricing:
    def prices(self) -> _LivePrices:
        return _LivePrices()

    def snapshot(self, now: datetime) -> tuple[_LivePrices, datetime | None, datetime | None]:
        last, next_switch = selectors.promotion_boundaries(now=now)
        return _LivePrices(selectors.promotions_live(now=now)), last, next_switch
