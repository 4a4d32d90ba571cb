"""Error codes are the API's public contract: every code the source raises is a member of an app's ``*ErrorCode``
enum, a code belongs to one enum only, and the OpenAPI schema publishes exactly those codes.

The source is read, not run: every call of an API error class with a literal ``code=`` (and ``{"detail": ...,
"code": "..."}`` bodies, ``default_code = "..."``, the order policy's ``Refusal(status, "code", ...)``) outside
tests. OpenAPI examples (``examples.py``) may spell a code out, as long as it is one the API has.
"""

import ast
from pathlib import Path

from drf_spectacular.generators import SchemaGenerator

from shop.core.errors import error_code_enums, error_codes

SHOP = Path(__file__).resolve().parents[2]

# The API's error classes: their ``code`` is what a client reads in the body. Payment providers' own exceptions
# (GatewayRejected, WebhookVerificationError, ...) are not here: their codes stay inside the payments app.
API_ERRORS = {"ApplicationError", "NotFound", "Conflict", "ServiceUnavailable", "InsufficientStock",
              "PermissionDenied", "AuthenticationFailed", "NotAuthenticated", "Throttled", "Refusal"}

def _callee(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _literal(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def literal_codes(tree: ast.AST):
    """``(line, code)`` for every error code written as a string literal in ``tree``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _callee(node) in API_ERRORS:
            for keyword in node.keywords:
                if keyword.arg == "code" and _literal(keyword.value) is not None:
                    yield node.lineno, _literal(keyword.value)
            if _callee(node) == "Refusal" and len(node.args) > 1 and _literal(node.args[1]) is not None:
                yield node.lineno, _literal(node.args[1])
        elif isinstance(node, ast.Dict):  # an error body: {"detail": ..., "code": "..."}
            body = {_literal(key): value for key, value in zip(node.keys, node.values, strict=True) if key}
            if "detail" in body and _literal(body.get("code")) is not None:
                yield node.lineno, _literal(body["code"])
        elif (isinstance(node, ast.Assign) and _literal(node.value) is not None
              and any(isinstance(target, ast.Name) and target.id == "default_code" for target in node.targets)):
            yield node.lineno, _literal(node.value)


def _source_files():
    for path in sorted(SHOP.rglob("*.py")):
        relative = path.relative_to(SHOP).as_posix()
        if "/tests/" not in f"/{relative}" and "/migrations/" not in relative:
            yield relative, path


def test_the_scanner_sees_each_way_a_code_is_written():
    source = '''
raise ApplicationError("x", code="one")
raise exceptions.PermissionDenied("x", code="two")
JsonResponse({"detail": "x", "code": "three"})
class E(ApplicationError):
    default_code = "four"
NOT_X = Refusal(400, "five", "message")
raise ApplicationError("x", code=CoreErrorCode.INVALID)
GatewayRejected("internal", code="six")
'''
    assert sorted(code for _, code in literal_codes(ast.parse(source))) == ["five", "four", "one", "three", "two"]


def test_every_code_written_in_the_source_is_in_an_error_code_enum():
    known = set(error_codes())
    unknown = []
    for relative, path in _source_files():
        for line, code in literal_codes(ast.parse(path.read_text(), filename=str(path))):
            if relative.endswith("examples.py"):  # documentation: the string a client reads, as long as it is real
                if code not in error_codes():
                    unknown.append(f"shop/{relative}:{line} '{code}': no such code")
            elif code in known:
                unknown.append(f"shop/{relative}:{line} '{code}': raise it as its enum member")
            else:
                unknown.append(f"shop/{relative}:{line} '{code}': add it to the app's errors.py enum")
    assert unknown == [], "\n".join(unknown)


def test_a_code_has_one_home():
    homes: dict[str, list[str]] = {}
    for enum in error_code_enums():
        for member in enum:
            homes.setdefault(member.value, []).append(f"{enum.__name__}.{member.name}")
    shared = {code: names for code, names in homes.items() if len(names) > 1}
    assert shared == {}, "a code in two enums: keep it in the lowest app's enum and import it from there"
    assert {enum.__name__ for enum in error_code_enums()} >= {
        "CoreErrorCode", "AccountErrorCode", "CatalogErrorCode", "CartErrorCode", "PricingErrorCode",
        "OrderErrorCode", "PaymentErrorCode"}
    for enum in error_code_enums():
        assert all(member.name == member.value.upper() for member in enum), enum


def test_the_schema_publishes_every_code_as_the_enum_of_the_error_body():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    code = schema["components"]["schemas"]["ErrorOutput"]["properties"]["code"]
    assert code["type"] == "string"
    assert code["enum"] == error_codes()
    assert {"invalid", "not_found", "busy", "throttled", "csrf_failed", "insufficient_stock", "email_taken",
            "variant_required", "tax_class_is_default", "not_cancellable", "gateway_unavailable"} <= set(code["enum"])
    # Every error body a view declares in its own shape lists the same codes.
    for name in ("CatalogError", "EmailVerificationError"):
        assert schema["components"]["schemas"][name]["properties"]["code"]["enum"] == error_codes()
