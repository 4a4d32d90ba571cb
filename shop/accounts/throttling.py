"""Rate limits for the endpoints people try to brute-force, per client IP and per targeted account.

DRF's ScopedRateThrottle keys on the user or IP only; a login flood spread across many IPs against one
account needs a key on the account itself, hence the small subclass.
"""

from rest_framework.throttling import SimpleRateThrottle


class IPScopedThrottle(SimpleRateThrottle):
    scope = ""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AccountScopedThrottle(SimpleRateThrottle):
    scope = ""

    def get_cache_key(self, request, view):
        email = request.data.get("email") if hasattr(request.data, "get") else None
        if not isinstance(email, str) or not email.strip():
            return None
        return self.cache_format % {"scope": f"{self.scope}-account", "ident": email.strip().lower()}


def throttles_for(scope: str) -> list[type]:
    ip = type(f"{scope.title()}IPThrottle", (IPScopedThrottle,), {"scope": scope})
    account = type(f"{scope.title()}AccountThrottle", (AccountScopedThrottle,), {"scope": scope})
    return [ip, account]
