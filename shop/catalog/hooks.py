"""Sale prices in catalog answers, supplied by an app above the catalog (the discounts app fills this in its
``AppConfig.ready()``), so the catalog shows them without importing it (the layering in pyproject.toml).

- :func:`sale_prices` gives the answer being built a :class:`SalePrices`: ``unit_price(product_id, category_id,
  price)`` is the unit price on sale, or ``None`` when the product is not on sale. Product and variant answers
  show it as ``sale_price`` beside ``price``.
- :func:`sale_snapshot` gives the prices seen now, loaded, with how long they stay true without a write:
  ``(prices, last, next)``, ``last`` and ``next`` the latest start or end of a sale at or before now and the next
  one. The public catalog cache keeps the snapshot per catalog version until ``next`` (every promotion write
  moves the version, so an uncached page does not read the promotions again), keeps no answer past ``next``
  and dates its ``Last-Modified`` no earlier than ``last`` (``shop.catalog.cache``), so pages switch at a sale's
  start and end with no write at that moment.

With nothing registered, nothing is on sale and prices never switch by themselves.
"""

from datetime import datetime
from decimal import Decimal
from typing import Protocol


class SalePrices(Protocol):
    def unit_price(self, product_id: int, category_id: int | None, price: Decimal) -> Decimal | None:
        """The unit price on sale, or None (not on sale)."""


class SalePricing(Protocol):
    def prices(self) -> SalePrices:
        """Sale prices as of now, for one answer (loaded at most once, on first use)."""

    def snapshot(self, now: datetime) -> "tuple[SalePrices, datetime | None, datetime | None]":
        """``(prices, last, next)``: the sale prices live at ``now``, already loaded and picklable (they are
        cached), and the boundaries of the sales around ``now`` (None: none)."""


class _NoSales:
    def unit_price(self, product_id: int, category_id: int | None, price: Decimal) -> Decimal | None:
        return None


_registered: list[SalePricing] = []


def sale_pricing_register(pricing: SalePricing) -> None:
    """Install the sale pricing (one; registering again replaces it, so a reloaded app config is harmless)."""
    _registered[:] = [pricing]


def sale_prices() -> SalePrices:
    return _registered[0].prices() if _registered else _NoSales()


def sale_snapshot(now: datetime) -> tuple[SalePrices, datetime | None, datetime | None]:
    return _registered[0].snapshot(now) if _registered else (_NoSales(), None, None)
