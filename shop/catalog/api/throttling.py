"""O(1) rate limits for the public catalog reads.

DRF's Anon/UserRateThrottle keep a list of every request time in the window and re-pickle it on each request,
so their cost grows with the allowed rate: at catalog read volumes (one NAT'd office, a load balancer health
check, a crawler) that list dominates the response time. These use the same scopes and rates (``anon``,
``user``, so ``THROTTLE_RATES`` applies) as a fixed-window counter: one atomic INCR per request, which the
cached public reads fold into their single Redis round trip (views with ``defer_read_throttle = True``).
"""

import time

from rest_framework.throttling import SimpleRateThrottle

from shop.catalog.cache import RateWindow, rate_count


class _FixedWindowThrottle(SimpleRateThrottle):
    def _window(self, ident: str) -> RateWindow:
        now = time.time()
        window_number = int(now // self.duration)
        return RateWindow(key=f"{ident}:w{window_number}", limit=self.num_requests, timeout=self.duration + 1,
                          wait=(window_number + 1) * self.duration - now)

    def anonymous_window(self, request) -> RateWindow | None:
        """The window a request without credentials counts in, for the cached read's fast path, which answers
        before DRF has authenticated anyone (``shop.catalog.api.cached_reads``); None when this throttle does not
        apply to anonymous clients or has no rate. ``request`` is Django's request (``META`` is all it reads)."""
        return None

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        window = self._window(ident)
        self.wait_seconds = window.wait
        if request.method in ("GET", "HEAD") and getattr(view, "defer_read_throttle", False):
            # Counted (and enforced) by the cached read path in its single cache round trip.
            request._request.catalog_rate_window = window
            return True
        count = rate_count(window)
        return count is None or count <= self.num_requests

    def wait(self):
        return self.wait_seconds


class CatalogAnonThrottle(_FixedWindowThrottle):
    scope = "anon"

    def _ident(self, request) -> str:
        return self.cache_format % {"scope": "catalog-anon", "ident": self.get_ident(request)}

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self._ident(request)

    def anonymous_window(self, request) -> RateWindow | None:
        return None if self.rate is None else self._window(self._ident(request))


class CatalogUserThrottle(_FixedWindowThrottle):
    scope = "user"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": "catalog-user", "ident": request.user.pk}
