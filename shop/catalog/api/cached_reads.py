"""The fast path of a cached public read: an anonymous GET answered from the catalog cache before DRF wraps it.

A cache hit is one Redis round trip. Before this path, DRF's request cycle ran first on every hit: a ``Request``
wrapper, fresh parser, authenticator, negotiator, permission and throttle instances, content negotiation, then
the cache. For a request with no credentials and an ``Accept`` the JSON renderer matches, the outcome of all of
it is known in advance: an anonymous user, a read every client may make, the JSON renderer, the anonymous rate
window. So :class:`CachedPublicReadMixin` asks the cache first and answers a hit itself, with the same body and
headers the full view would (measured in bench/README.md, "Cached reads: where a hit spent its time").

Everything else goes through the full view unchanged: a credential (``Authorization`` header or the access
cookie, even an invalid one: the view answers 401), a ``format`` parameter, an ``Accept`` the renderer does not
match (406), ``HEAD``, a miss, a client over its rate (429) and a cache that cannot answer. The view re-uses this
lookup (``public_cache_hit`` keeps it on the request), so a request is counted against its rate once either way.
"""

from django.conf import settings
from rest_framework.exceptions import NotAcceptable
from rest_framework.settings import api_settings
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from shop.catalog.cache import RateWindow, public_cache_hit

# Accept values that need no negotiation: none, anything, JSON (what fetch, curl and most clients send).
_PLAIN_ACCEPTS = frozenset({"", "*/*", "application/json"})


class _NegotiationView:
    """What DRF's content negotiation reads of a request (``Accept``; ``format`` is never set here)."""

    def __init__(self, request):
        self.headers = request.headers
        self.META = request.META
        self.query_params = request.GET


def carries_credentials(request) -> bool:
    """Whether DRF's authentication (``JWTHeaderOrCookieAuthentication``) could find someone: an
    ``Authorization`` header, a non-empty access cookie, or a user forced by DRF's test client
    (``force_authenticate``). Without any of them every read is anonymous."""
    return (
        jwt_settings.AUTH_HEADER_NAME in request.META
        or bool(request.COOKIES.get(settings.JWT_COOKIE_ACCESS))
        or getattr(request, "_force_auth_user", None) is not None
        or getattr(request, "_force_auth_token", None) is not None
    )


class CachedPublicReadMixin:
    """For catalog views whose ``get`` answers through ``shop.catalog.cache.cached_public_response`` under
    ``cache_scope``: anonymous cache hits are answered before DRF's request cycle (see the module docstring)."""

    cache_scope: str = ""

    def _renders_json_for(self, request) -> bool:
        if api_settings.URL_FORMAT_OVERRIDE and api_settings.URL_FORMAT_OVERRIDE in request.GET:
            return False
        if request.META.get("HTTP_ACCEPT", "") in _PLAIN_ACCEPTS:
            return True
        try:
            renderer, _media_type = self.get_content_negotiator().select_renderer(  # type: ignore[attr-defined]
                _NegotiationView(request), self.get_renderers()  # type: ignore[attr-defined]
            )
        except NotAcceptable:
            return False
        return renderer.format == "json"

    def _anonymous_window(self, request) -> tuple[bool, RateWindow | None]:
        """(whether the fast path may answer, the window to count the request in). A throttle that cannot say
        what it would count for an anonymous client keeps the request on the full view."""
        window = None
        for throttle in self.get_throttles():  # type: ignore[attr-defined]
            if not hasattr(throttle, "anonymous_window"):
                return False, None
            window = window or throttle.anonymous_window(request)
        return True, window

    def dispatch(self, request, *args, **kwargs):
        if request.method == "GET" and not carries_credentials(request) and self._renders_json_for(request):
            eligible, window = self._anonymous_window(request)
            hit = public_cache_hit(request, scope=self.cache_scope, window=window) if eligible else None
            if hit is not None:
                # What APIView.dispatch sets before answering, and its finalize_response (the Allow header).
                self.args, self.kwargs, self.request = args, kwargs, request
                self.headers = self.default_response_headers  # type: ignore[attr-defined]
                return self.finalize_response(request, hit, *args, **kwargs)  # type: ignore[attr-defined]
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
