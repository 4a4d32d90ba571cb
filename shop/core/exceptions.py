"""One error shape for the whole API: ``{"detail": str, "code": str}`` plus ``errors`` for field messages.

Domain code raises :class:`ApplicationError`; Django's and DRF's own exceptions are translated here.
Anything else stays a 500, which Django logs with the request id (see ``config.urls.handler500``).
"""

import logging

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

from .errors import CoreErrorCode

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """A refusal the client can act on: a message for people, a stable code for programs.

    ``code`` is a member of an app's error-code enum (``shop/<app>/errors.py``, see ``shop.core.errors``);
    ``extra`` adds keys to the body (``errors`` for field messages, ``conflict``, ``attempts_left``, ...).
    """

    status_code = status.HTTP_400_BAD_REQUEST
    default_code: str = CoreErrorCode.INVALID

    def __init__(self, message: str, *, code: str | None = None, status_code: int | None = None, extra=None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        if status_code is not None:
            self.status_code = status_code
        self.extra = extra or {}


class NotFound(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = CoreErrorCode.NOT_FOUND


class Conflict(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = CoreErrorCode.CONFLICT


class ServiceUnavailable(ApplicationError):
    """A dependency (payment gateway, a lock held too long) failed; nothing was changed, retry later."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = CoreErrorCode.SERVICE_UNAVAILABLE


def _summary(errors) -> str:
    """The first field message, prefixed with its field, so a person sees what to fix."""
    if isinstance(errors, dict):
        for field, value in errors.items():
            inner = _summary(value)
            if field == api_settings.NON_FIELD_ERRORS_KEY:
                return inner
            return f"{field}: {inner}"
    if isinstance(errors, list) and errors:
        return _summary(errors[0])
    return str(errors)


def _django_errors(exc: DjangoValidationError) -> dict:
    """A model's ``full_clean()`` errors keyed as the API keys every error: a field's under its name; one about a
    combination of fields (a unique-together constraint: ``code`` ``unique_together``, the fields in its
    ``unique_check``) under each of them; any other error about no one field under ``non_field_errors``, never
    Django's ``__all__``."""
    if not hasattr(exc, "error_dict"):
        return as_serializer_error(exc)  # a message or a list of them: non_field_errors
    keyed: dict[str, list[DjangoValidationError]] = {}
    for key, errors in exc.error_dict.items():
        for error in errors:
            names = [key]
            if key == NON_FIELD_ERRORS:
                unique_check = (error.params or {}).get("unique_check") if error.code == "unique_together" else None
                names = list(unique_check) if unique_check else [api_settings.NON_FIELD_ERRORS_KEY]
            for name in names:
                keyed.setdefault(name, []).append(error)
    return as_serializer_error(DjangoValidationError(keyed))


# SQLite's answers when another connection holds the lock past the busy timeout (SQLITE_BUSY: "database is
# locked") or a shared-cache table lock (SQLITE_LOCKED: "database table is locked"): https://sqlite.org/rescode.html
SQLITE_BUSY_MESSAGES = ("database is locked", "database table is locked", "database schema is locked")


def _is_lock_timeout(exc: Exception) -> bool:
    """A lock wait that gave up: PostgreSQL's lock_timeout or a deadlock, or SQLite busy/locked. Retryable."""
    cause = getattr(exc, "__cause__", None)
    if getattr(cause, "sqlstate", None) in ("55P03", "40P01"):  # lock_not_available, deadlock_detected
        return True
    return str(exc).lower().startswith(SQLITE_BUSY_MESSAGES)


def _is_database_unavailable(exc: Exception) -> bool:
    """The connection to PostgreSQL lost or refused, as opposed to an error in what was asked: a closed connection
    (InterfaceError), libpq's own failures (no SQLSTATE: "consuming input failed"), or SQLSTATE class 08
    (connection exception), 53 (insufficient resources: too many connections) or 57P (the server shutting down,
    restarting or not yet accepting connections), per PostgreSQL's "Appendix A. Error Codes". SQLite's
    OperationalError ("no such table") is a fault of the code, not of availability: it stays a logged 500."""
    if isinstance(exc, InterfaceError):
        return True
    cause = getattr(exc, "__cause__", None)
    if not hasattr(cause, "sqlstate"):  # not a psycopg error
        return False
    sqlstate = cause.sqlstate
    return sqlstate is None or sqlstate.startswith(("08", "53", "57P"))


def _retry_later(detail: str, code: str, *, seconds: int) -> Response:
    """A 503 with ``Retry-After`` (seconds): nothing was done that a retry would repeat wrongly."""
    response = Response({"detail": detail, "code": code}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
    response["Retry-After"] = str(seconds)
    return response


def unsupported_media_type_detail(detail: str, accepted) -> str:
    """DRF's 415 message (``detail``), ending with the media types the route reads (``accepted``):
    ``Unsupported media type "x" in request; send application/json.`` Used by the exception handler and by
    ``shop.core.middleware.RequestBodyTypeMiddleware``, which refuses before DRF reads anything."""
    accepted = list(accepted)
    if not accepted:
        return detail
    return f"{detail.removesuffix('.')}; send {' or '.join(accepted)}."


def _unsupported_media_type_detail(exc, context) -> str:
    request = context.get("request")
    return unsupported_media_type_detail(
        str(exc.detail), (parser.media_type for parser in getattr(request, "parsers", None) or ()))


def api_exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        body = {"detail": exc.message, "code": exc.code, **exc.extra}
        response = Response(body, status=exc.status_code)
        if exc.status_code == 503:
            response["Retry-After"] = "5"
        if exc.status_code == 401:  # RFC 9110: a 401 names the scheme that would work, as DRF's own 401s do
            response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_errors(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, OperationalError) and _is_lock_timeout(exc):
        logger.warning("lock timeout answered with 503: %s", exc)
        return _retry_later("The resource is busy; please retry shortly.", CoreErrorCode.BUSY, seconds=2)
    elif isinstance(exc, (OperationalError, InterfaceError)) and _is_database_unavailable(exc):
        # The database unreachable or gone mid-request (a restart, a failover, a cut connection): the request could
        # not finish, and a retry in a moment (a checkout's with the same Idempotency-Key) finds the database back;
        # Django reconnects for the next request (CONN_HEALTH_CHECKS). Was a 500.
        logger.error("database unavailable, answered with 503: %s", exc)
        return _retry_later("The database is unavailable; please retry shortly.", CoreErrorCode.SERVICE_UNAVAILABLE,
                            seconds=5)

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        response.data = {"detail": _summary(errors), "code": CoreErrorCode.INVALID, "errors": errors}
    else:
        data = response.data if isinstance(response.data, dict) else {"detail": response.data}
        codes = exc.get_codes() if hasattr(exc, "get_codes") else None
        if not isinstance(codes, str):
            # simplejwt's InvalidToken carries a dict detail with its own "code" (token_not_valid); keep it.
            codes = data.get("code") if isinstance(data.get("code"), str) else CoreErrorCode.ERROR
        response.data = {"detail": str(data.get("detail", "")), "code": codes}
        if isinstance(exc, exceptions.UnsupportedMediaType):
            response.data["detail"] = _unsupported_media_type_detail(exc, context)
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            response.data["retry_after"] = int(exc.wait)
    return response
