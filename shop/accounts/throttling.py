"""Rate limits for the endpoints people try to brute-force, per client IP and per targeted account.

DRF's ScopedRateThrottle keys on the user or IP only; a login flood spread across many IPs against one
account needs a key on the account itself, hence the small subclass.
"""

import hashlib

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
        # Throttles run before validation, so the email is any client string: hash it into a bounded key.
        ident = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": f"{self.scope}-account", "ident": ident}


def throttles_for(scope: str) -> list[type]:
    ip = type(f"{scope.title()}IPThrottle", (IPScopedThrottle,), {"scope": scope})
    account = type(f"{scope.title()}AccountThrottle", (AccountScopedThrottle,), {"scope": scope})
    return [ip, account]
