"""Page-number pagination for every list: ``page`` (from 1) and ``page_size`` (default 10, at most 100).

A ``page`` that is not a whole number or lies past the last page is a 400 naming ``page`` (DRF answers 404
"Invalid page.", which reads as "this list does not exist"); a bad ``page_size`` falls back to the default.
"""

from django.core.paginator import EmptyPage, PageNotAnInteger
from rest_framework import pagination
from rest_framework.exceptions import ValidationError


def _shown(value) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:40] + "..."


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 10
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        """The rows of the requested page; raises ``ValidationError({"page": [...]})`` for a bad page."""
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        paginator = self.django_paginator_class(queryset, page_size)
        page_number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(page_number)
        except PageNotAnInteger:
            raise ValidationError(
                {self.page_query_param: [f"'{_shown(page_number)}' is not a page number; pages are whole numbers "
                                         f"from 1."]}
            ) from None
        except EmptyPage:
            raise ValidationError(
                {self.page_query_param: [f"Page {_shown(page_number)} does not exist; pages run from 1 to "
                                         f"{max(paginator.num_pages, 1)}."]}
            ) from None
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        self.request = request
        return list(self.page)
