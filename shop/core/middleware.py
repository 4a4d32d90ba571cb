import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.contrib.messages import middleware as message_middleware
from django.contrib.sessions import middleware as session_middleware
from django.http import JsonResponse
from django.middleware import common
from django.utils.http import escape_leading_slashes
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.utils.mediatypes import media_type_matches

from .errors import CoreErrorCode
from .exceptions import unsupported_media_type_detail
from .logging import request_id_var

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def safe_request_id(value) -> str | None:
    """A well-formed id (from a proxy's header or a task message), or None."""
    return value if isinstance(value, str) and _SAFE_ID.match(value) else None


class RequestIdMiddleware:
    """Tags every request (and every log line it writes) with an id, echoed back as ``X-Request-ID``.

    A well-formed incoming id from a proxy is kept so one request can be followed across services.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = safe_request_id(request.headers.get("X-Request-ID")) or uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


# --- Sessions only where a browser page uses them -----------------------------------------------------------


def sessionless(request) -> bool:
    """Whether the request's path is under ``SESSIONLESS_PATH_PREFIXES``: JSON routes that authenticate with JWTs
    (header or cookie, never the session) and render no page, so Django's session, login and message layers
    have nothing to do there."""
    return request.path_info.startswith(settings.SESSIONLESS_PATH_PREFIXES)


class _SkippedWhereSessionless:
    """Runs the Django middleware it is mixed into, except on sessionless paths, where it hands the request on
    untouched. A subclass of Django's own class, so the admin's system checks still find it in MIDDLEWARE.
    Under ASGI ``get_response`` is a coroutine function: handing on its coroutine is what awaiting callers expect.
    """

    get_response: Callable

    def __call__(self, request):
        if sessionless(request):
            return self.get_response(request)
        return super().__call__(request)  # type: ignore[misc]


class SessionMiddleware(_SkippedWhereSessionless, session_middleware.SessionMiddleware):
    """Django's sessions, for the admin and the other browser pages (see ``sessionless``)."""


class AuthenticationMiddleware(_SkippedWhereSessionless, auth_middleware.AuthenticationMiddleware):
    """Django's ``request.user`` from the session, for the admin (see ``sessionless``); API views get their user
    from DRF's authentication instead."""


class MessageMiddleware(_SkippedWhereSessionless, message_middleware.MessageMiddleware):
    """Django's messages, which only the admin shows (see ``sessionless``)."""


def _slash_redirect_keeping_method(redirect_to: str) -> JsonResponse:
    """308 Permanent Redirect (RFC 9110, section 15.4.9: the client repeats the same method and body at
    ``Location``) with the API's JSON error body saying where to send the request."""
    response = JsonResponse({
        "detail": f"This URL ends with a slash: send the request again to {redirect_to} (nothing was done).",
        "code": CoreErrorCode.TRAILING_SLASH_REQUIRED}, status=308)
    response["Location"] = redirect_to
    return response


class CommonMiddleware(common.CommonMiddleware):
    """Django's ``CommonMiddleware`` (``APPEND_SLASH``), except for a write (POST, PUT, PATCH, DELETE) to a URL
    missing its trailing slash: a 308 with a JSON body instead of Django's empty ``text/html`` 301, which clients
    follow as a GET (RFC 9110, section 15.4.2 lets them; curl -L, browsers and httpx do), and which Django turns
    into a 500 (``RuntimeError``) under ``DEBUG``. A GET or HEAD is redirected as Django does (301)."""

    def get_full_path_with_slash(self, request):
        # Django raises RuntimeError here under DEBUG for a write: its 301 would lose the body. Ours is a 308.
        return escape_leading_slashes(request.get_full_path(force_append_slash=True))

    def process_response(self, request, response):
        if (response.status_code == 404 and request.method not in ("GET", "HEAD")
                and self.should_redirect_with_slash(request)):
            return _slash_redirect_keeping_method(self.get_full_path_with_slash(request))
        return super().process_response(request, response)


_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _has_body(request) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return length > 0 or "HTTP_TRANSFER_ENCODING" in request.META


class RequestBodyTypeMiddleware:
    """A body of a type the API route does not read is a 415 ``unsupported_media_type`` before the view runs, on
    every route, including those that take no fields (``POST /cart/clear/``) and so never parse their body.

    DRF refuses a body's type only when the view reads ``request.data``: a route that reads nothing ran its action
    on a form body (``x=1``) that README promises is refused and changes nothing. DRF has no switch for this, hence
    this check: for a DRF view (``view_func.cls``) with parsers, a write that carries a body (``Content-Length`` above
    0, or chunked) whose ``Content-Type`` none of them reads is answered as DRF would answer it
    (``shop.core.exceptions``: the types the route reads named). Views without parsers read their raw bytes (the
    gateways' signed webhooks) and plain Django views (the admin, the sandbox page) are left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method not in _BODY_METHODS or not _has_body(request):
            return None
        view_class = getattr(view_func, "cls", None)
        parsers = getattr(view_class, "parser_classes", None)
        if not parsers:
            return None
        content_type = request.META.get("CONTENT_TYPE", "")
        if any(media_type_matches(parser.media_type, content_type) for parser in parsers):
            return None
        refused = UnsupportedMediaType(content_type.split(";")[0].strip()[:100])
        detail = unsupported_media_type_detail(str(refused.detail), (parser.media_type for parser in parsers))
        return JsonResponse({"detail": detail, "code": CoreErrorCode.UNSUPPORTED_MEDIA_TYPE},
                            status=refused.status_code)
