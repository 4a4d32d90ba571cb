"""Page-number pagination for every list: ``page`` (from 1) and ``page_size`` (default 10, at most 100).

A ``page`` that is not a whole number or lies past the last page is a 400 naming ``page`` (DRF answers 404
"Invalid page.", which reads as "this list does not exist"). A ``page_size`` that is not a whole number or is
below 1 is a 400 naming ``page_size`` (DRF quietly answers the default size, so a client's typo went unseen); one
above 100 is cut to 100, as DRF does, so a client asking for "everything" gets the largest page.
"""

from django.core.paginator import EmptyPage, PageNotAnInteger
from rest_framework import pagination
from rest_framework.exceptions import ValidationError


def _shown(value) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:40] + "..."


PAGE_DESCRIPTION = "Page number (starts at 1); a page that is not a whole number or is past the last page is a 400."
PAGE_SIZE_DESCRIPTION = ("Items per page: default 10, at most 100 (a larger size is cut to 100); not a whole "
                         "number, or below 1, is a 400 naming page_size.")


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 10
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request) -> int:
        """The requested ``page_size`` (at most ``max_page_size``), or the default when none is sent.

        Raises ``ValidationError({"page_size": [...]})`` (400) for a value that is not a whole number or is below 1.
        """
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            raise ValidationError(
                {self.page_size_query_param: [f"'{_shown(raw)}' is not a page size; give a whole number from 1 to "
                                              f"{self.max_page_size} (larger sizes are cut to {self.max_page_size})."]}
            )
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view):
        """``page`` and ``page_size`` as the schema shows them on every paginated list."""
        return [
            {"name": self.page_query_param, "required": False, "in": "query",
             "description": PAGE_DESCRIPTION, "schema": {"type": "integer"}},
            {"name": self.page_size_query_param, "required": False, "in": "query",
             "description": PAGE_SIZE_DESCRIPTION, "schema": {"type": "integer"}},
        ]

    def paginate_queryset(self, queryset, request, view=None):
        """The rows of the requested page; raises ``ValidationError({"page": [...]})`` for a bad page."""
        page = self.page_of(queryset, request)
        return None if page is None else list(page)

    def page_of(self, queryset, request):
        """The requested Django ``Page``, its ``object_list`` not evaluated yet (for a reader that fetches the
        rows its own way); raises ``ValidationError({"page": [...]})`` for a bad page."""
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
        return self.page
