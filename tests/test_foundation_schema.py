"""The OpenAPI schema covers every route that exists (whoever added it) with no generator warning, and the
docs pages load only our own static files."""

import re

import pytest
import yaml
from django.core.management import call_command
from django.urls import get_resolver
from drf_spectacular.drainage import get_override
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


def test_spectacular_validates_with_no_warnings(tmp_path, capsys):
    target = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))  # raises on any warning

    captured = capsys.readouterr()
    assert "Warning" not in captured.err and "Error" not in captured.err, captured.err
    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")


def test_schema_endpoint_serves_a_valid_schema(api_client):
    response = api_client.get("/api/schema/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    schema = yaml.safe_load(response.content)
    validate_schema(schema)
    assert schema["info"]["title"] == "Shop API"
    for path in ("/auth/register/", "/auth/login/", "/auth/logout/", "/auth/token/refresh/", "/auth/me/",
                 "/auth/change-password/", "/auth/users/", "/auth/password-reset/",
                 "/auth/password-reset/confirm/", "/health/", "/", "/api/v1/token/"):
        assert path in schema["paths"], path
    # The /api/v1/ copies of root paths answer (tests/test_foundation_urls.py) but are not repeated; the other
    # names of an operation are published as its aliases (tests/test_schema_declared_statuses.py).
    for copy in ("/api/v1/auth/login/", "/api/v1/auth/me/", "/api/v1/orders/"):
        assert copy not in schema["paths"], copy
    for alias in ("/api/v1/token/refresh/", "/api/v1/register/", "/api/v1/profile/"):
        assert "alias of" in schema["paths"][alias]["post" if "profile" not in alias else "get"]["summary"], alias
    assert set(schema["components"]["securitySchemes"]) == {"jwtAuth", "cookieAuth"}


def test_schema_as_json(api_client):
    response = api_client.get("/api/schema/?format=json")

    assert response.status_code == 200 and response.json()["paths"]


def _documentable(callback) -> bool:
    """A DRF view with at least one method not hidden by ``@extend_schema(exclude=True)``."""
    view = getattr(callback, "cls", None)
    if view is None:
        return False
    methods = [getattr(view, m) for m in view.http_method_names if m not in ("options", "head") and hasattr(view, m)]
    return any(not get_override(method, "exclude", False) for method in methods)


def _api_routes() -> set[str]:
    """Every DRF route outside the docs, written the way the schema writes paths."""
    routes = set()

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, route)
            elif _documentable(pattern.callback):
                path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
                routes.add(path.replace("{pk}", "{id}"))  # spectacular's SCHEMA_COERCE_PATH_PK

    walk(get_resolver().url_patterns)
    return {route for route in routes if not route.startswith(("/api/schema/", "/api/docs/", "/api/redoc/"))}


def test_every_route_is_in_the_schema(api_client):
    """Every route is documented, at its own path or, for an alias, at the root path of the same view."""
    documented = set(yaml.safe_load(api_client.get("/api/schema/").content)["paths"])

    routes = _api_routes()

    assert "/auth/login/" in routes and "/api/v1/profile/" in routes
    undocumented = {route for route in routes if route not in documented}
    # /api/v1/X is documented as X (the schema's description says so); every other path is published, aliases
    # too (method by method: tests/test_schema_declared_statuses.py).
    assert {route for route in undocumented if route.removeprefix("/api/v1") not in documented} == set()
    assert {"/orders/{order_id}/status/", "/payments/webhooks/stripe/", "/webhook/", "/api/v1/profile/"} <= documented


ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
# What a page would fetch from elsewhere: anything on a CDN, or an image, style sheet or font at another host.
FETCHED_ELSEWHERE = re.compile(rb"https?://[\w.-]*cdn[\w.-]*/|https?://[^\s\"'()]+\.(?:svg|png|jpe?g|gif|css|woff2?)\b")


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_use_only_local_assets(api_client, url):
    response = api_client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assets = ASSET.findall(html)
    assert assets, html
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html, re.I), "external URL in " + url
    for asset in assets:
        assert asset.startswith("/") and not asset.startswith("//"), asset
        response = api_client.get(asset)
        assert response.status_code == 200, asset  # and the file is really served
        body = b"".join(response.streaming_content) if response.streaming else response.content
        # ReDoc's bundle hard-codes its logo on Redocly's CDN; we serve it rewritten to a local copy.
        assert FETCHED_ELSEWHERE.findall(body) == [], asset
    assert "/api/schema/" in html
