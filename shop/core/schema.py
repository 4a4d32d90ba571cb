"""OpenAPI: each operation published once, with a summary, a description and its domain's tag, and declaring
the error answers it can give, all in the one ``ErrorOutput`` shape.

Summaries and descriptions come from ``@extend_schema(summary=..., description=...)`` or, failing that, the view
method's docstring (else the view class's): its first paragraph is the summary, the rest the description.

Views declare their success responses (and any error with a richer body); this postprocessing hook adds the
errors every endpoint shares, so clients and the schemathesis run (tests/fuzz) see the real set of statuses:

- 400 bad input (field errors under ``errors``), 401 missing/invalid token, 403 not allowed, 404 unknown id
  or URL, 406 ``not_acceptable`` (a ``?format=`` or ``Accept`` the route cannot answer: content negotiation runs
  on every route), 429 throttled (``retry_after`` seconds) — any operation;
- 409 conflicting state and 503 a dependency (gateway, busy row lock) failed — writes only;
- 413 ``request_too_large`` — operations that take a body (``DATA_UPLOAD_MAX_MEMORY_SIZE``);
- 415 ``unsupported_media_type`` — every write (and any operation taking a body) of a view with parsers: not the
  gateways' webhooks, which read the raw bytes;
- 422 ``idempotency_key_reused`` and 409 ``request_in_progress`` — every operation that takes an
  ``Idempotency-Key`` header or an ``idempotency_key`` field, derived from the operation itself so a new one cannot
  forget them (the 409 beside any 409 the view declares itself);
- any other error a view declares by description only.

405 is not declared: the methods a path lists are the ones it has, and any other answers 405 (in the one error
shape, ``method_not_allowed``) by definition.

Each path is published once. An operation served at several root paths (``POST /orders/`` and
``POST /orders/checkout/`` are two views; ``/orders/{order_id}/status/`` is the same view as
``/orders/admin/{order_id}/status/``) is published at each, the later paths marked "alias of" the first; the
``/api/v1/`` copy of a root path is the one alias not repeated (the schema's description says so).
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


# ``(path, METHOD)`` of each published alias -> the path of the operation it is an alias of. Filled by
# ``publish_each_operation_once`` (the preprocessing hook) and read by ``add_error_responses`` (the postprocessing
# hook) in the same schema generation; the same URL conf always gives the same map.
_ALIASES: dict[tuple[str, str], str] = {}


def publish_each_operation_once(endpoints):
    """drf-spectacular preprocessing hook: every path once, the ``/api/v1/`` copies of root paths left out.

    ``endpoints`` are ``(path, path_regex, method, callback)`` tuples in URL order. The first root path serving an
    operation is its own (the URL conf lists the documented path first, e.g. ``/orders/admin/{id}/status/``
    before ``/orders/{id}/status/``); any other path serving it is an alias, published too and marked so
    (``_mark_aliases``), except an ``/api/v1/`` path whose root path serves the same operation: that prefix is
    documented once, in the schema's description. An ``/api/v1/`` path nothing at the root serves is its own
    (``/api/v1/token/``) or an alias (``/api/v1/profile/`` of ``/auth/me/``).
    """
    ordered = sorted(endpoints, key=lambda endpoint: endpoint[0].startswith(ALIAS_PREFIX))  # stable: URL order
    root = {(path, operation_key(callback, method)) for path, _, method, callback in ordered}
    first: dict[tuple, str] = {}
    aliases: dict[tuple[str, str], str] = {}
    kept = []
    for path, path_regex, method, callback in ordered:
        key = operation_key(callback, method)
        if path.startswith(ALIAS_PREFIX) and ("/" + path.removeprefix(ALIAS_PREFIX), key) in root:
            continue
        if key in first:
            aliases[(path, method.upper())] = first[key]
        else:
            first[key] = path
        kept.append((path, path_regex, method, callback))
    _ALIASES.clear()
    _ALIASES.update(aliases)
    return kept


def _schema_path(path: str) -> str:
    return path.replace("{pk}", "{id}")  # spectacular's SCHEMA_COERCE_PATH_PK, as it writes the published paths


def _mark_aliases(paths: dict) -> None:
    """Say on each alias operation which operation it is: the same request, answered the same way."""
    for (path, method), canonical in _ALIASES.items():
        operation = paths.get(_schema_path(path), {}).get(method.lower())
        if not isinstance(operation, dict):
            continue
        of = f"`{method} {_schema_path(canonical)}`"
        operation["summary"] = f"{operation.get('summary', '')} (alias of {of})".strip()
        operation["description"] = (f"Alias of {of}: the same operation, taking the same request and giving the "
                                    f"same answers.\n\n{operation.get('description', '')}").strip()


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

    def get_operation(self, *args, **kwargs):
        """The operation, with the error answers that follow from what it takes (see the module doc): 406 on
        every operation, 413 where a body is taken, 415 where DRF parses it, 422 and 409 where an idempotency key
        is taken."""
        operation = super().get_operation(*args, **kwargs)
        if not operation:
            return operation
        if "requestBody" not in operation and self._takes_no_fields():
            # drf-spectacular leaves out a body without fields; the view still parses one (any field is a 400),
            # so the schema says so: an optional empty object.
            operation["requestBody"] = {"required": False, "content": {"application/json": {"schema": {
                "type": "object", "additionalProperties": False, "maxProperties": 0}}}}
        responses = operation.setdefault("responses", {})
        responses.setdefault("406", {"description": NOT_ACCEPTABLE})
        if "requestBody" in operation:  # read, parsed or raw (a webhook's signed bytes): Django caps its size
            responses.setdefault("413", {"description": REQUEST_TOO_LARGE})
        # A write's body of a type the route does not read is refused whether or not the view reads it
        # (shop.core.middleware.RequestBodyTypeMiddleware); a body of a read is never looked at.
        if ("requestBody" in operation or self.method.lower() in _WRITE_METHODS) and self.view.parser_classes:
            responses.setdefault("415", {"description": UNSUPPORTED_MEDIA_TYPE})
        if self._takes_idempotency_key(operation):
            responses.setdefault("422", {"description": KEY_REUSED})
            conflict = responses.setdefault("409", {})
            conflict["description"] = " ".join(filter(None, [conflict.get("description", ""), KEY_IN_PROGRESS]))
        return operation

    def _takes_no_fields(self) -> bool:
        from shop.core.serializers import NoFieldsInput

        if self.method not in ("POST", "PUT", "PATCH"):  # drf-spectacular reads no body for the others
            return False
        declared = self.get_request_serializer()
        declared = declared if isinstance(declared, type) else type(declared)
        return isinstance(declared, type) and issubclass(declared, NoFieldsInput)

    def _takes_idempotency_key(self, operation) -> bool:
        header = any(parameter.get("in") == "header" and parameter.get("name", "").lower() == "idempotency-key"
                     for parameter in operation.get("parameters", []))
        serializer = self.get_request_serializer() if "requestBody" in operation else None
        if isinstance(serializer, type) and issubclass(serializer, serializers.BaseSerializer):
            serializer = serializer()  # ``@extend_schema(request=SomeInput)`` names the class
        fields = getattr(serializer, "fields", {}) if isinstance(serializer, serializers.BaseSerializer) else {}
        return header or "idempotency_key" in fields


NOT_ACCEPTABLE = ("`not_acceptable`: the `?format=` parameter or the `Accept` header names no format this route "
                  "answers (the error is JSON all the same).")
REQUEST_TOO_LARGE = "`request_too_large`: the body is over `DATA_UPLOAD_MAX_MEMORY_SIZE`; nothing was done."
UNSUPPORTED_MEDIA_TYPE = ("`unsupported_media_type`: the body's `Content-Type` is none this route reads (the "
                          "request body lists those it does); nothing was done.")
KEY_REUSED = ("`idempotency_key_reused`: this idempotency key was already used with a different request; nothing "
              "was done. Send a new key for a new request, or the original request unchanged for its result.")
KEY_IN_PROGRESS = ("`request_in_progress`: a request with this idempotency key (or another opening the same payment) "
                   "is still being processed, waiting on the payment gateway; nothing was done for this one. Send "
                   "the same request again in a few seconds: once the first is done it gets that request's answer.")

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
    """drf-spectacular postprocessing hook: mark the aliases, add the shared error responses and the
    ``ErrorOutput`` component."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(ERROR_COMPONENT, _error_output_schema())
    _publish_error_codes(schemas)
    ref = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    _mark_aliases(result.get("paths", {}))
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


def money_pattern(digits: int, *, exact: bool, signed: bool = True, bounded: bool = True) -> str:
    """The regular expression of a money string with ``digits`` decimals: at most ``digits`` in a request
    (``exact`` false: "10", "10.5" and "10.50" are all 10.50 EUR), exactly ``digits`` in an answer; a minus sign
    only when ``signed``; at most the money columns' whole digits when ``bounded`` (any number otherwise: a sum)."""
    whole = ("^-?" if signed else "^") + (rf"\d{{1,{MoneyField.WHOLE_DIGITS}}}" if bounded else r"\d+")
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
                  "pattern": money_pattern(digits, exact=direction == "response", signed=not unsigned,
                                           bounded=field.bounded or direction == "request")}
        if direction == "response":
            schema["example"] = f"{1250:.{digits}f}"
        return schema
