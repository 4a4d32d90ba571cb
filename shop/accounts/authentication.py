from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import CSRFCheck
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from shop.core.csrf import csrf_failure_detail
from shop.core.errors import CoreErrorCode

from .errors import AccountErrorCode
from .tokens import REVOKED_MESSAGE, token_is_current


def enforce_csrf(request) -> None:
    """Cookies are sent by the browser on their own, so a cookie-authenticated write must prove it came from
    our front end (Django's CSRF check, the same one DRF's SessionAuthentication uses)."""

    def _no_view(request):  # CSRFCheck needs a view callable; the check itself is what we want
        return None

    check = CSRFCheck(_no_view)
    check.process_request(request)
    reason = check.process_view(request, None, (), {})
    if reason:
        raise exceptions.PermissionDenied(csrf_failure_detail(reason), code=CoreErrorCode.CSRF_FAILED)


class JWTHeaderOrCookieAuthentication(JWTAuthentication):
    """``Authorization: Bearer <access>`` first; otherwise the HttpOnly access cookie (with a CSRF check).

    A token issued before the user's last password change, reset or deactivation is refused (401
    ``token_not_valid``): its version claim is compared with the user row simplejwt loads anyway.
    """

    def get_raw_token(self, header: bytes) -> bytes | None:
        """The token of ``Authorization: <scheme> <token>``, the scheme (``Bearer``, ``Token``) in any case: RFC 7235
        says auth schemes are case-insensitive, and clients send ``bearer``/``token``. simplejwt compares exactly,
        so a known scheme is put in its configured spelling first."""
        parts = header.split()
        schemes = {scheme.lower().encode(): scheme.encode() for scheme in jwt_settings.AUTH_HEADER_TYPES}
        if parts and parts[0].lower() in schemes:
            header = b" ".join([schemes[parts[0].lower()], *parts[1:]])
        return super().get_raw_token(header)

    def get_user(self, validated_token):
        user = super().get_user(validated_token)  # the one query: the user row (missing or inactive: 401)
        if not token_is_current(validated_token, user.token_version):
            raise exceptions.AuthenticationFailed(REVOKED_MESSAGE, code=AccountErrorCode.TOKEN_NOT_VALID)
        return user

    def authenticate(self, request):
        header = self.get_header(request)
        if header is not None:
            return super().authenticate(request)
        raw_token = request.COOKIES.get(settings.JWT_COOKIE_ACCESS)
        if not raw_token:
            return None
        validated = self.get_validated_token(raw_token.encode())
        user = self.get_user(validated)
        enforce_csrf(request._request)
        return user, validated


class JWTHeaderOrCookieScheme(OpenApiAuthenticationExtension):
    target_class = JWTHeaderOrCookieAuthentication
    name = ["jwtAuth", "cookieAuth"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            {"type": "apiKey", "in": "cookie", "name": settings.JWT_COOKIE_ACCESS},
        ]
