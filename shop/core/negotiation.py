"""Content negotiation: DRF's, except that a format the route cannot render is a 406, not a 404.

The same rule holds for the few plain Django pages (the sandbox's hosted page): :func:`format_refused` answers
their 406 with the same body."""

from collections.abc import Iterable

from django.http import JsonResponse
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer

from .errors import CoreErrorCode

# Set on the request once its ``?format=`` was refused, so the error itself is rendered in JSON.
_FORMAT_REFUSED = "_shop_format_refused"


class ShopContentNegotiation(DefaultContentNegotiation):
    """``?format=<name>`` (or a ``.json``-style suffix) naming no renderer of the route answers 406
    ``not_acceptable`` in the API's JSON error shape, listing the formats the route has.

    DRF's ``filter_renderers`` raises ``Http404`` there: the route exists, so "not found" sent clients looking for a
    wrong URL, and a 404 reads as the resource (an order, a product) being gone. The Accept header's own mismatch
    is already DRF's 406; the format parameter now answers the same. Known formats are untouched: ``?format=json``
    everywhere, and the schema route's ``json``/``yaml`` (``/api/schema/?format=json``).

    DRF renders the refusal by negotiating again with ``force=True`` and falling back to the route's first
    renderer (the schema route's is YAML, the docs pages' HTML). The second call for a request already refused
    answers ``JSONRenderer`` instead, so the 406 is JSON whatever the route renders.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        """The renderer and media type for ``request``; raises ``NotAcceptable`` (406) for an unknown format."""
        wanted = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if wanted and not any(renderer.format == wanted for renderer in renderers):
            if getattr(request, _FORMAT_REFUSED, False):  # the forced negotiation rendering the 406 itself
                return JSONRenderer(), JSONRenderer.media_type
            setattr(request, _FORMAT_REFUSED, True)
            raise NotAcceptable(_refusal({renderer.format for renderer in renderers if renderer.format}),
                                available_renderers=renderers)
        return super().select_renderer(request, renderers, format_suffix)


def _refusal(formats: Iterable[str]) -> str:
    # The client's value is not echoed: it can be any length.
    return f"The format query parameter names no format this route answers ({', '.join(sorted(formats))})."


def format_refused(request, *, formats: Iterable[str]) -> JsonResponse | None:
    """For a plain Django view answering only ``formats``: None when ``?format=`` is absent, empty or one of them;
    else the 406 ``not_acceptable`` the API answers (:class:`ShopContentNegotiation`), JSON, to return before the
    view does anything."""
    wanted = request.GET.get("format")
    if not wanted or wanted in formats:
        return None
    return JsonResponse({"detail": _refusal(formats), "code": CoreErrorCode.NOT_ACCEPTABLE}, status=406)
