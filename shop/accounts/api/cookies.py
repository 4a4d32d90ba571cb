from django.conf import settings
from django.middleware.csrf import get_token

from shop.accounts.services import TokenPair


def wants_cookies(request) -> bool:
    return request.query_params.get("use_cookies", "").lower() in ("1", "true", "yes")


def used_cookies(request) -> bool:
    """Whether this request was authenticated by the access cookie (no Authorization header)."""
    return request.auth is not None and "HTTP_AUTHORIZATION" not in request.META


def set_auth_cookies(request, response, pair: TokenPair) -> None:
    jwt = settings.SIMPLE_JWT
    common = {"httponly": True, "secure": settings.JWT_COOKIE_SECURE, "samesite": settings.JWT_COOKIE_SAMESITE}
    response.set_cookie(settings.JWT_COOKIE_ACCESS, pair.access,
                        max_age=int(jwt["ACCESS_TOKEN_LIFETIME"].total_seconds()), **common)
    response.set_cookie(settings.JWT_COOKIE_REFRESH, pair.refresh,
                        max_age=int(jwt["REFRESH_TOKEN_LIFETIME"].total_seconds()), path="/", **common)
    get_token(request._request)  # issues the csrftoken cookie the SPA echoes on cookie-authenticated writes


def delete_auth_cookies(response) -> None:
    response.delete_cookie(settings.JWT_COOKIE_ACCESS, samesite=settings.JWT_COOKIE_SAMESITE)
    response.delete_cookie(settings.JWT_COOKIE_REFRESH, samesite=settings.JWT_COOKIE_SAMESITE)
