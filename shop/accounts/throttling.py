"""Rate limits for the endpoints people try to brute-force, per client IP and per targeted account.

DRF's ScopedRateThrottle keys on the user or IP only; a login flood spread across many IPs against one
account needs a key on the account itself, hence the small subclass.
"""

import hashlib

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.state import token_backend


def _account_of(request) -> str | None:
    """The account a request targets: the email in the body, else the user of a genuine refresh token."""
    data = request.data if hasattr(request.data, "get") else {}
    email = data.get("email")
    if isinstance(email, str) and email.strip():
        return "email:" + email.strip().lower()
    refresh = data.get("refresh") or request.COOKIES.get(settings.JWT_COOKIE_REFRESH)
    if not isinstance(refresh, str) or not refresh:
        return None
    try:
        # Signature and expiry only (no database): a forged token naming someone must not eat their budget.
        claims = token_backend.decode(refresh, verify=True)
    except TokenBackendError:
        return None
    user_id = claims.get(jwt_settings.USER_ID_CLAIM)
    return f"user:{user_id}" if user_id is not None else None


class IPScopedThrottle(SimpleRateThrottle):
    scope = ""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AccountScopedThrottle(SimpleRateThrottle):
    scope = ""

    def get_cache_key(self, request, view):
        account = _account_of(request)
        if account is None:
            return None
        # Throttles run before validation, so the email is any client string: hash it into a bounded key.
        ident = hashlib.sha256(account.encode()).hexdigest()
        return self.cache_format % {"scope": f"{self.scope}-account", "ident": ident}


def throttles_for(scope: str) -> list[type]:
    ip = type(f"{scope.title()}IPThrottle", (IPScopedThrottle,), {"scope": scope})
    account = type(f"{scope.title()}AccountThrottle", (AccountScopedThrottle,), {"scope": scope})
    return [ip, account]


class UserScopedThrottle(SimpleRateThrottle):
    """Per authenticated user (its id); anonymous requests are left to the IP throttle."""

    scope = ""

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": f"{self.scope}-user", "ident": request.user.pk}


def user_throttles_for(scope: str) -> list[type]:
    """Limits for an authenticated endpoint: ``scope``'s rate per client IP and, separately, per user."""
    ip = type(f"{scope.title()}IPThrottle", (IPScopedThrottle,), {"scope": scope})
    user = type(f"{scope.title()}UserThrottle", (UserScopedThrottle,), {"scope": scope})
    return [ip, user]
