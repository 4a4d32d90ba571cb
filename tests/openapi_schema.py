"""The published OpenAPI schema as the schema tests read it: loaded once per test module, walked operation by
operation."""

import yaml
from rest_framework.test import APIClient

METHODS = ("get", "post", "put", "patch", "delete")


def published_schema(django_db_blocker) -> dict:
    """``GET /api/schema/``, parsed (a module-scoped fixture calls it with pytest-django's ``django_db_blocker``)."""
    with django_db_blocker.unblock():
        return yaml.safe_load(APIClient().get("/api/schema/").content)


def operations(schema: dict):
    """Every ``(path, method, operation)`` of ``schema``, in its order."""
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def json_schema(node):
    """OpenAPI 3.0 -> JSON Schema: ``nullable: true`` becomes "this, or null" (for ``jsonschema.validate``)."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: json_schema(value) for key, value in node.items() if key != "nullable"}
    return {"anyOf": [converted, {"type": "null"}]} if node.get("nullable") is True else converted
