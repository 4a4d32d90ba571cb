"""Page-number pagination for catalog lists, shaped for 100,000 products.

Same contract as ``shop.core.pagination.PageNumberPagination`` (``page``, ``page_size`` up to 100, ``count`` /
``next`` / ``previous`` / ``results``); two changes in how a page is fetched, each measured in bench/README.md
("Profiling"):

- the total ``count`` of a public list is memoized per catalog version and per filter (page, page size and
  ordering do not change it), so paging through one filter counts its rows once per catalog change;
- a page is fetched by a deferred join: the page's ids first (an index-only scan over the partial ordering
  indexes, cheap even at a deep OFFSET), then only those rows with their category, images and variants; the
  plain public list reads its ids with a query compiled once (``page_ids``) and its rows by id;
- a ranked search whose count is not memoized yet reads its page's ids and its total in one query
  (``COUNT(*) OVER ()``): ranking already sorts every match, so the total costs no second scan of the full-text
  index. Plain lists keep their separate COUNT: a window over 100,000 rows costs ~20x the index-only COUNT
  (EXPLAIN ANALYZE on shop_bench, bench/README.md "Uncached pages, round two").
"""

from collections.abc import Callable
from functools import partial
from urllib.parse import urlencode

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Count, Window
from django.utils.functional import cached_property

from shop.catalog.cache import memo_get, memo_set, memoized, search_mode_suffix
from shop.core.pagination import PageNumberPagination

# Parameters that choose a page or its order, never which rows are counted.
_NOT_COUNTED = {"page", "page_size", "ordering"}


def _count_name(request) -> str:
    params = request.query_params
    return "count:" + urlencode(sorted((k, v) for k in params if k not in _NOT_COUNTED for v in params.getlist(k))
                                + search_mode_suffix(params))


class CatalogPage(Page):
    """A page whose ``ids`` (its products' ids, in its order) are known when its query read them already (a
    ranked search page), else None: the page's rows can then be read by id (``product_page_rows(ids=...)``)."""

    ids: list[int] | None = None


class CatalogPaginator(Paginator):
    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, request=None,
                 page_ids: Callable[[int, int], list[int]] | None = None):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.request = request
        self.page_ids = page_ids

    @cached_property
    def count(self) -> int:
        if self.request is None:
            return self.object_list.count()
        return memoized(self.request, _count_name(self.request), self.object_list.count)

    def _ranked(self) -> bool:
        return "search_rank" in self.object_list.query.annotations and "count" not in self.__dict__

    def _whole(self, number) -> int:
        """The page number as an int >= 1, or Django's PageNotAnInteger / EmptyPage (the upper bound is checked
        once the total is known)."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def _ranked_page(self, number):
        """A search page whose total is not known yet: ids and ``COUNT(*) OVER ()`` in one query, then the rows."""
        if self.request is not None:
            known = memo_get(self.request, _count_name(self.request))
            if known is not None:
                self.__dict__["count"] = known
                return None
        bottom = (self._whole(number) - 1) * self.per_page
        found = list(self.object_list.annotate(total=Window(Count("pk")))
                     .values_list("pk", "total")[bottom:bottom + self.per_page + self.orphans])
        if found:  # else an empty search or a page past the end: the COUNT decides which (EmptyPage)
            self.__dict__["count"] = found[0][1]
            if self.request is not None:
                memo_set(self.request, _count_name(self.request), found[0][1])
        number = self.validate_number(number)
        keep = [pk for pk, _ in found[:self.per_page if number < self.num_pages else len(found)]]
        page = self._get_page(self.object_list.filter(pk__in=keep), number, self)
        page.ids = keep
        return page

    def _get_page(self, *args, **kwargs) -> "CatalogPage":
        return CatalogPage(*args, **kwargs)

    def page(self, number):
        if self._ranked():
            page = self._ranked_page(number)
            if page is not None:
                return page
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if self.page_ids is not None and top > bottom:
            ids = self.page_ids(bottom, top - bottom)
            page = self._get_page(self.object_list.filter(pk__in=ids), number, self)
            page.ids = ids
            return page
        # The outer query keeps the ordering (and any search rank), and its prefetches run on these rows only.
        rows = self.object_list.filter(pk__in=self.object_list.values("pk")[bottom:top])
        return self._get_page(rows, number, self)


class CatalogPagination(PageNumberPagination):
    def page_of(self, queryset, request, *, page_ids: Callable[[int, int], list[int]] | None = None):
        """The requested page of ``queryset``; ``page_ids(offset, limit)``, when given, reads the page's ids
        (those ``queryset``'s ids would give at that slice, e.g. ``selectors.public_page_ids``) instead of the
        deferred join, and the page then carries them (``CatalogPage.ids``)."""
        self.django_paginator_class = partial(CatalogPaginator, request=request, page_ids=page_ids)
        return super().page_of(queryset, request)
