"""Every list's range parameters are declared as ranges, so a range sent upside down is a 400 naming both bounds
(``shop.core.filters.StrictFilterSet.ranges``): found by a tester with ``created_from`` after ``created_to``
answered 200 with an empty list, while ``min_price`` above ``max_price`` was already a 400."""

import re

from django.urls import get_resolver

from shop.catalog.api.filters import ProductFilter
from shop.core.filters import StrictFilterSet
from shop.orders.api.filters import OrderAdminFilter


def _filtersets() -> list[type[StrictFilterSet]]:
    assert get_resolver().url_patterns  # every view imported, so every list's filter set
    found, todo = [], [StrictFilterSet]
    while todo:
        for subclass in todo.pop().__subclasses__():
            found.append(subclass)
            todo.append(subclass)
    return found


def test_every_range_filter_is_checked():
    """A list filter with a ``<x>_from``/``<x>_to`` or ``min_<x>``/``max_<x>`` pair declares it in ``ranges``."""
    filtersets = _filtersets()
    assert {ProductFilter, OrderAdminFilter} <= set(filtersets)
    assert ("min_price", "max_price") in ProductFilter.ranges
    assert ("created_from", "created_to") in OrderAdminFilter.ranges
    for filterset in filtersets:
        names = set(filterset.base_filters)
        pairs = {(f"{stem}_from", f"{stem}_to") for stem in (re.sub(r"_from$", "", name) for name in names)
                 if f"{stem}_from" in names and f"{stem}_to" in names}
        pairs |= {(f"min_{stem}", f"max_{stem}") for stem in (name.removeprefix("min_") for name in names)
                  if f"min_{stem}" in names and f"max_{stem}" in names}
        assert pairs <= set(filterset.ranges), (filterset.__name__, pairs)
