"""O(1) rate limits for the public catalog reads.

DRF's Anon/UserRateThrottle keep a list of every request time in the window and re-pickle it on each request,
so their cost grows with the allowed rate: at catalog read volumes (one NAT'd office, a load balancer health
check, a crawler) that list dominates the response time. These use the same scopes and rates (``anon``,
``user``, so ``THROTTLE_RATES`` applies) as a fixed-window counter: one atomic INCR per request.
"""

import time

from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle


class _FixedWindowThrottle(SimpleRateThrottle):
    cache = cache

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        self.wait_seconds = (window + 1) * self.duration - now
        key = f"{ident}:w{window}"
        try:
            try:
                count = self.cache.incr(key)
            except ValueError:  # first request of the window
                count = 1 if self.cache.add(key, 1, timeout=self.duration + 1) else self.cache.incr(key)
        except Exception:  # a cache outage must not take the catalog down
            return True
        return count is None or count <= self.num_requests

    def wait(self):
        return self.wait_seconds


class CatalogAnonThrottle(_FixedWindowThrottle):
    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": "catalog-anon", "ident": self.get_ident(request)}


class CatalogUserThrottle(_FixedWindowThrottle):
    scope = "user"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": "catalog-user", "ident": request.user.pk}
