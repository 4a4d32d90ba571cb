"""OpenAPI: each operation published once, with a summary, a description and its domain's tag, and declaring
the error answers it can give, all in the one ``ErrorOutput`` shape.

Summaries and descriptions come from ``@extend_schema(summary=..., description=...)`` or, failing that, the view
method's docstring (else the view class's): its first paragraph is the summary, the rest the description.

Views declare their success responses (and any error with a richer body); this postprocessing hook adds the
errors every endpoint shares, so clients and the schemathesis run (tests/fuzz) see the real set of statuses:

- 400 bad input (field errors under ``errors``), 401 missing/invalid token, 403 not allowed, 404 unknown id
  or URL, 429 throttled (``retry_after`` seconds) — any operation;
- 409 conflicting state and 503 a dependency (gateway, busy row lock) failed — writes only;
- any other error a view declares by description only (e.g. 422 ``idempotency_key_reused``).
"""

import re

from django.conf import settings
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_doc
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .errors import error_codes
from .money import minor_unit
from .serializers import MoneyField

# The API is served at the root (the paths clients are documented against) and again under this prefix, for
# clients that want a versioned base URL. The schema publishes the root paths; the prefixed copies are aliases.
ALIAS_PREFIX = "/api/v1/"

# The tag of an operation whose view names none: its path's first segment's domain.
DOMAIN_TAGS = {"auth": "auth", "products": "catalog", "cart": "cart", "orders": "orders", "payments": "payments",
               "pricing": "pricing (staff)",
               "health": "service", "": "service"}


def operation_key(callback, method: str) -> tuple:
    """What makes two routes the same operation: the view class, its ``as_view()`` arguments and the method."""
    view = getattr(callback, "cls", callback)
    initkwargs = getattr(callback, "initkwargs", {}) or {}
    return view, tuple(sorted((name, repr(value)) for name, value in initkwargs.items())), method.upper()


def publish_each_operation_once(endpoints):
    """drf-spectacular preprocessing hook: keep one path per operation.

    ``endpoints`` are ``(path, path_regex, method, callback)`` tuples in URL order. An operation served at
    several paths is published at the first root path that serves it (the URL conf lists the documented path
    first, e.g. ``/orders/admin/{id}/status/`` before ``/orders/{id}/status/``), an ``/api/v1/`` copy only when
    nothing at the root serves it. The other paths still answer; they are aliases left out of the schema.
    """
    ordered = sorted(endpoints, key=lambda endpoint: endpoint[0].startswith(ALIAS_PREFIX))  # stable: URL order
    published, kept = set(), []
    for path, path_regex, method, callback in ordered:
        key = operation_key(callback, method)
        if key not in published:
            published.add(key)
            kept.append((path, path_regex, method, callback))
    return kept


def _unwrap(text: str) -> str:
    """A docstring's paragraphs with their source line breaks removed (Markdown would ignore them anyway)."""
    return "\n\n".join(re.sub(r"\s+", " ", part).strip() for part in text.strip().split("\n\n") if part.strip())


def _paragraphs(doc: str) -> tuple[str, str]:
    first, _, rest = doc.strip().partition("\n\n")
    return _unwrap(first), _unwrap(rest)


class ShopAutoSchema(AutoSchema):
    """drf-spectacular's schema with summaries from docstrings and one tag per domain (see the module doc)."""

    def _docstring(self) -> str:
        handler = getattr(self.view, getattr(self.view, "action", None) or self.method.lower(), None)
        return get_doc(handler) or get_doc(self.view.__class__)

    def get_summary(self) -> str | None:
        return _paragraphs(self._docstring())[0].removesuffix(".") or None

    def get_description(self) -> str:
        doc = self._docstring()
        first, rest = _paragraphs(doc)
        # An explicit summary leaves the whole docstring to the description; else its first paragraph is taken.
        return rest if first and self.get_summary() == first.removesuffix(".") else _unwrap(doc)

    def get_tags(self) -> list[str]:
        segments = self.path.strip("/").split("/")
        return [DOMAIN_TAGS.get(segments[0], segments[0])]

ERROR_COMPONENT = "ErrorOutput"
_ALWAYS = {
    "400": "Bad input: the request was not understood or did not validate.",
    "401": "No valid credentials.",
    "403": "Not allowed for this user.",
    "404": "Not found.",
    "429": "Too many requests; retry after `retry_after` seconds.",
}
_WRITES = {
    "409": "The resource's current state does not allow this.",
    "503": "A dependency failed or the resource is busy; nothing changed, retry later.",
}
_WRITE_METHODS = {"post", "put", "patch", "delete"}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: add the shared error responses and the ``ErrorOutput`` component."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(ERROR_COMPONENT, _error_output_schema())
    _publish_error_codes(schemas)
    ref = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = dict(_ALWAYS)
            if method in _WRITE_METHODS:
                codes |= _WRITES
            for code, description in codes.items():
                operation["responses"].setdefault(
                    code, {"content": {"application/json": {"schema": ref}}, "description": description}
                )
            for code, response in operation["responses"].items():
                # A view declaring an extra error by description only (``OpenApiResponse(description=...)``,
                # e.g. a 422) answers it in the one error shape too.
                if str(code).startswith(("4", "5")) and "content" not in response:
                    response["content"] = {"application/json": {"schema": ref}}
    return result


def _publish_error_codes(schemas: dict) -> None:
    """Make the ``code`` of every error body an ``enum`` of the API's codes (``shop.core.errors.error_codes``).

    Error bodies are ``ErrorOutput`` and the few richer shapes views declare (``CatalogError``,
    ``EmailVerificationError``): any component whose properties are a string ``detail`` and a string ``code``.
    """
    codes = error_codes()
    for component in schemas.values():
        properties = component.get("properties", {}) if isinstance(component, dict) else {}
        detail, code = properties.get("detail"), properties.get("code")
        if detail and code and detail.get("type") == "string" and code.get("type") == "string":
            code["enum"] = codes


def _error_output_schema() -> dict:
    return {
        "type": "object",
        "description": "The API's one error shape.",
        "properties": {
            "detail": {"type": "string", "description": "A message for people."},
            "code": {"type": "string", "description": "A stable code for programs, e.g. `invalid`, `not_found`; "
                                                      "every code the API answers is listed."},
            "errors": {
                "type": "object",
                "additionalProperties": {},
                "description": "Per-field messages (400 validation errors).",
            },
            "retry_after": {"type": "integer", "description": "Seconds to wait (429)."},
        },
        "required": ["detail", "code"],
    }


@extend_schema_field({"anyOf": [{"type": "string", "format": "uri"}, {"type": "string", "enum": [""]}]})
class BlankableURLField(serializers.URLField):
    """A URL that may still be empty (``URLField(blank=True)``): the schema says ``""`` or a URI, not just a URI."""


@extend_schema_field({"anyOf": [{"type": "string", "format": "email"}, {"type": "string", "enum": [""]}]})
class BlankableEmailField(serializers.EmailField):
    """An e-mail address that may be empty (``EmailField(blank=True)``), e.g. on an address given as free text."""


def money_pattern(digits: int, *, exact: bool, signed: bool = True) -> str:
    """The regular expression of a money string with ``digits`` decimals: at most ``digits`` in a request
    (``exact`` false: "10", "10.5" and "10.50" are all 10.50 EUR), exactly ``digits`` in an answer; a minus sign
    only when ``signed``."""
    whole = ("^-?" if signed else "^") + rf"\d{{1,{MoneyField.WHOLE_DIGITS}}}"
    if digits == 0:
        return whole + "$"
    return whole + (rf"\.\d{{{digits}}}$" if exact else rf"(?:\.\d{{0,{digits}}})?$")


class MoneyFieldExtension(OpenApiSerializerFieldExtension):
    """How the schema publishes a ``shop.core.serializers.MoneyField``: a string of format ``decimal`` whose pattern
    has the shop currency's digits (read from ``SHOP_CURRENCY`` when the schema is generated: a KWD shop's schema
    says three decimals, a JPY shop's none), exactly that many in answers, up to that many in requests."""

    target_class = MoneyField

    def map_serializer_field(self, auto_schema, direction):
        # drf-spectacular adds the field's own facts (help text, nullable, read-only, default) after this.
        field = self.target
        digits = minor_unit(settings.SHOP_CURRENCY)
        unsigned = field.positive or (field.min_value is not None and field.min_value >= 0)
        schema = {"type": "string", "format": "decimal",
                  "pattern": money_pattern(digits, exact=direction == "response", signed=not unsigned)}
        if direction == "response":
            schema["example"] = f"{1250:.{digits}f}"
        return schema
