"""Page-number pagination for catalog lists, shaped for 100,000 products.

Same contract as ``shop.core.pagination.PageNumberPagination`` (``page``, ``page_size`` up to 100, ``count`` /
``next`` / ``previous`` / ``results``); two changes in how a page is fetched, each measured in bench/README.md
("Profiling"):

- the total ``count`` of a public list is memoized per catalog version and per filter (page, page size and
  ordering do not change it), so paging through one filter counts its rows once per catalog change;
- a page is fetched by a deferred join: the page's ids first (an index-only scan over the partial ordering
  indexes, cheap even at a deep OFFSET), then only those rows with their category, images and variants.
"""

from functools import partial
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.utils.functional import cached_property

from shop.catalog.cache import memoized
from shop.core.pagination import PageNumberPagination

# Parameters that choose a page or its order, never which rows are counted.
_NOT_COUNTED = {"page", "page_size", "ordering"}


def _count_name(request) -> str:
    params = request.query_params
    return "count:" + urlencode(sorted((k, v) for k in params if k not in _NOT_COUNTED for v in params.getlist(k)))


class CatalogPaginator(Paginator):
    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, request=None):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.request = request

    @cached_property
    def count(self) -> int:
        if self.request is None:
            return self.object_list.count()
        return memoized(self.request, _count_name(self.request), self.object_list.count)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        # The outer query keeps the ordering (and any search rank), and its prefetches run on these rows only.
        rows = self.object_list.filter(pk__in=self.object_list.values("pk")[bottom:top])
        return self._get_page(rows, number, self)


class CatalogPagination(PageNumberPagination):
    def paginate_queryset(self, queryset, request, view=None):
        self.django_paginator_class = partial(CatalogPaginator, request=request)
        return super().paginate_queryset(queryset, request, view)
