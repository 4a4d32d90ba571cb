"""OpenAPI: every operation declares the error answers it can give, all in the one ``ErrorOutput`` shape.

Views declare their success responses (and any error with a richer body); this postprocessing hook adds the
errors every endpoint shares, so clients and the schemathesis run (tests/fuzz) see the real set of statuses:

- 400 bad input (field errors under ``errors``), 401 missing/invalid token, 403 not allowed, 404 unknown id
  or URL, 429 throttled (``retry_after`` seconds) — any operation;
- 409 conflicting state and 503 a dependency (gateway, busy row lock) failed — writes only;
- any other error a view declares by description only (e.g. 422 ``idempotency_key_reused``).
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

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


def _error_output_schema() -> dict:
    return {
        "type": "object",
        "description": "The API's one error shape.",
        "properties": {
            "detail": {"type": "string", "description": "A message for people."},
            "code": {"type": "string", "description": "A stable code for programs, e.g. `invalid`, `not_found`."},
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
