from django.conf import settings
from django.middleware.csrf import get_token

from shop.accounts.services import TokenPair


def wants_cookies(request) -> bool:
    return request.query_params.get("use_cookies", "").lower() in ("1", "true", "yes")


def used_cookies(request) -> bool:
    """Whether this request was authenticated by the access cookie (no Authorization header)."""
    return request.auth is not None and "HTTP_AUTHORIZATION" not in request.META


def cookies_secure(request) -> bool:
    """The auth cookies' ``Secure`` flag: ``JWT_COOKIE_SECURE`` when set (production forces True), otherwise
    whether this request came over HTTPS. A Secure cookie sent over plain http is dropped by curl, Safari and
    most non-browser clients, which made cookie mode dead on ``make run``'s http://127.0.0.1:8000."""
    forced = settings.JWT_COOKIE_SECURE
    return request.is_secure() if forced is None else forced


def set_auth_cookies(request, response, pair: TokenPair) -> None:
    jwt = settings.SIMPLE_JWT
    common = {"httponly": True, "secure": cookies_secure(request), "samesite": settings.JWT_COOKIE_SAMESITE}
    response.set_cookie(settings.JWT_COOKIE_ACCESS, pair.access,
                        max_age=int(jwt["ACCESS_TOKEN_LIFETIME"].total_seconds()), **common)
    response.set_cookie(settings.JWT_COOKIE_REFRESH, pair.refresh,
                        max_age=int(jwt["REFRESH_TOKEN_LIFETIME"].total_seconds()), path="/", **common)
    get_token(request._request)  # issues the csrftoken cookie the SPA echoes on cookie-authenticated writes


def has_auth_cookies(request) -> bool:
    """Whether the request carries either auth cookie (a cookie-mode session, possibly a stale one)."""
    return bool(request.COOKIES.get(settings.JWT_COOKIE_ACCESS) or request.COOKIES.get(settings.JWT_COOKIE_REFRESH))


def delete_auth_cookies(response) -> None:
    response.delete_cookie(settings.JWT_COOKIE_ACCESS, samesite=settings.JWT_COOKIE_SAMESITE)
    response.delete_cookie(settings.JWT_COOKIE_REFRESH, samesite=settings.JWT_COOKIE_SAMESITE)
