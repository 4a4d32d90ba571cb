"""Error codes: the ``code`` of the API's error body, one ``StrEnum`` per app, one meaning per code.

Each app that refuses something keeps its codes in ``shop/<app>/errors.py`` as ``class <App>ErrorCode(StrEnum)``
(members UPPER_CASE, values the snake_case strings clients see) and raises
``ApplicationError(message, code=<App>ErrorCode.X)``. A code lives in the lowest app that raises it; an app
above that raises it too imports it from there (the cart's ``insufficient_stock`` is
``CatalogErrorCode.INSUFFICIENT_STOCK``), so a string has one home and one meaning.

:func:`error_code_enums` finds every such enum through the installed apps, and the OpenAPI schema publishes
the union of their values as the ``enum`` of the error body's ``code`` (``shop.core.schema``); a test
(``shop/core/tests/test_error_codes.py``) refuses a code raised as a bare string or found in two enums.
"""

import importlib
import inspect
from enum import StrEnum

from django.apps import apps


class CoreErrorCode(StrEnum):
    """Codes of the error handler, the shared exception classes and Django's/DRF's own refusals."""

    # ApplicationError's default and every validation failure (field messages under ``errors``).
    INVALID = "invalid"
    # An unknown id or URL (NotFound's default, Http404, DRF's NotFound, the JSON 404 page).
    NOT_FOUND = "not_found"
    # Conflict's default: the resource's current state does not allow the write (409).
    CONFLICT = "conflict"
    # ServiceUnavailable's default: a dependency failed; nothing changed, retry later (503).
    SERVICE_UNAVAILABLE = "service_unavailable"
    # A row lock or SQLite's database lock was not granted in time; nothing changed, retry (503).
    BUSY = "busy"
    # A DRF exception whose detail carries no single code.
    ERROR = "error"
    # A same-origin (CSRF) check failed for a cookie-authenticated write or a Django form (403).
    CSRF_FAILED = "csrf_failed"
    # An Idempotency-Key reused with a different request; nothing was done (422).
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    # An earlier request for the same thing (the same idempotency key, or another opening the same payment) is still
    # being processed, waiting on a payment gateway; nothing was done: send the same request again shortly (409).
    REQUEST_IN_PROGRESS = "request_in_progress"
    # An idempotency key over IDEMPOTENCY_KEY_MAX_LENGTH (255) characters, in the Idempotency-Key header or a body's
    # ``idempotency_key`` alike; nothing was done (400, ``max_length``, ``errors`` naming the carrier).
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    # DRF's own refusals, passed through with DRF's codes.
    PARSE_ERROR = "parse_error"  # a body that is not valid JSON/form data (400)
    NOT_AUTHENTICATED = "not_authenticated"  # no credentials where they are needed (401)
    AUTHENTICATION_FAILED = "authentication_failed"  # credentials given but refused (401)
    PERMISSION_DENIED = "permission_denied"  # logged in, not allowed (403)
    METHOD_NOT_ALLOWED = "method_not_allowed"  # (405)
    NOT_ACCEPTABLE = "not_acceptable"  # no renderer for the Accept header (406)
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"  # no parser for the Content-Type (415)
    THROTTLED = "throttled"  # rate limit hit; ``retry_after`` seconds (429)
    # Django's own error pages outside DRF, answered in the JSON shape (shop/core/views.py).
    BAD_REQUEST = "bad_request"  # 400 from Django (e.g. a disallowed Host)
    REQUEST_TOO_LARGE = "request_too_large"  # 413: the body is over DATA_UPLOAD_MAX_MEMORY_SIZE
    FORBIDDEN = "forbidden"  # 403 from Django outside the API's permission checks
    SERVER_ERROR = "server_error"  # 500, logged with the request id
    # 308: a write sent to a URL without its trailing slash; nothing was done, send it again to ``Location``.
    TRAILING_SLASH_REQUIRED = "trailing_slash_required"


def _is_error_code_enum(value: object, module_name: str) -> bool:
    return (inspect.isclass(value) and issubclass(value, StrEnum) and value.__name__.endswith("ErrorCode")
            and value.__module__ == module_name)


def error_code_enums() -> list[type[StrEnum]]:
    """Every ``*ErrorCode`` StrEnum defined in an installed ``shop.<app>.errors`` module, in app order.

    An app without an ``errors`` module has no codes of its own; any other import error propagates.
    """
    enums: list[type[StrEnum]] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("shop."):
            continue
        module_name = f"{config.name}.errors"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        enums.extend(value for value in vars(module).values() if _is_error_code_enum(value, module_name))
    return enums


def error_codes() -> list[str]:
    """Every code the API answers, sorted and without repeats: the values of every error-code enum. The schema's
    ``code`` enum."""
    return sorted({member.value for enum in error_code_enums() for member in enum})

