"""The schema says what the API answers: every route is published, and each error status an operation can give
(406, 415, 422) is declared where, and only where, it can occur. Found by a tester: 422 `idempotency_key_reused`
missing from guest checkout, guest pay and the cart checkout alias; 406 and 415 never listed; `POST /orders/` and
`/orders/{id}/status/` answering but absent."""

import re

import jsonschema
import pytest
from django.urls import get_resolver
from drf_spectacular.drainage import get_override
from rest_framework.test import APIClient

from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order
from shop.orders.tests.guests import guest_cart, guest_checkout, guest_order_url
from shop.payments.models import Payment
from tests.openapi_schema import METHODS, json_schema, published_schema
from tests.openapi_schema import operations as _operations

pytestmark = pytest.mark.django_db
DOCS = ("/api/schema/", "/api/docs/", "/api/redoc/")


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    return published_schema(django_db_blocker)


def _conforms(schema, path, method, response):
    """The answer's status is declared for the operation, and its body fits the declared shape."""
    declared = schema["paths"][path][method]["responses"]
    assert str(response.status_code) in declared, (method, path, response.status_code, sorted(declared))
    body_schema = declared[str(response.status_code)]["content"]["application/json"]["schema"]
    jsonschema.validate(response.json(), json_schema({**body_schema, "components": schema["components"]}))


# --- Every route is in the schema ----------------------------------------------------------------------------

def _route_methods() -> set[tuple[str, str]]:
    """``(path, method)`` of every method every DRF view of the URL conf serves (not excluded from the schema on
    purpose), written as the schema writes paths: independent of the schema hooks."""
    found = set()

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, route)
                continue
            view = getattr(pattern.callback, "cls", None)
            if view is None:
                continue
            path = ("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)).replace("{pk}", "{id}")
            for method in METHODS:
                if hasattr(view, method) and not get_override(getattr(view, method), "exclude", False):
                    found.add((path, method))

    walk(get_resolver().url_patterns)
    return {(path, method) for path, method in found if not path.startswith(DOCS)}


def test_every_method_of_every_api_route_is_in_the_schema(schema):
    routes = _route_methods()
    published = {(path, method) for path, method, _ in _operations(schema)}

    assert {("/orders/", "post"), ("/orders/{order_id}/status/", "post"), ("/orders/{order_id}/status/", "patch"),
            ("/api/v1/profile/", "get"), ("/webhook/", "post")} <= routes
    # The one alias not repeated: /api/v1/X, the versioned base URL of a published X (the schema's description).
    missing = sorted(f"{method.upper()} {path}" for path, method in routes - published
                     if (path.removeprefix("/api/v1"), method) not in published)
    assert missing == []
    assert "`/api/v1/`" in schema["info"]["description"]


def test_an_alias_is_published_once_and_says_what_it_is_an_alias_of(schema):
    paths = schema["paths"]

    assert paths["/orders/{order_id}/status/"]["post"]["summary"].endswith(
        "(alias of `POST /orders/admin/{order_id}/status/`)")
    assert paths["/orders/"]["post"]["summary"] == "Check out the cart (alias of `POST /orders/checkout/`)"
    # What an alias is an alias of is not itself one (the tester found the checkout described as its own alias).
    for path, method, operation in _operations(schema):
        assert f"alias of `{method.upper()} {path}`" not in operation.get("summary", ""), (method, path)
    assert paths["/orders/checkout/"]["post"]["summary"] == "Check out the cart (or direct lines)"
    assert paths["/webhook/"]["post"]["summary"].endswith("(alias of `POST /payments/webhooks/paymob/`)")
    assert paths["/api/v1/profile/"]["get"]["summary"].endswith("(alias of `GET /auth/me/`)")
    assert "/api/v1/auth/me/" not in paths and "/orders/admin/{order_id}/status/" in paths
    # An alias takes the same request and gives the same answers as what it is an alias of.
    alias, canonical = paths["/orders/{order_id}/status/"]["patch"], paths["/orders/admin/{order_id}/status/"]["patch"]
    assert alias["requestBody"] == canonical["requestBody"] and alias["responses"] == canonical["responses"]


def test_post_orders_is_the_checkout_as_published(schema, user_client, settings):
    settings.PAYMENT_METHODS = ["cod"]
    product = ProductFactory(stock_quantity=5)

    response = user_client.post("/orders/", {"items": [{"product_id": product.pk}], "payment_method": "cod"},
                                format="json")

    assert response.status_code == 201, response.content
    _conforms(schema, "/orders/", "post", response)


# --- 422 idempotency_key_reused: every operation taking a key -------------------------------------------------

def test_exactly_the_operations_taking_an_idempotency_key_declare_422(schema):
    def takes_key(operation):
        header = any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
        component = schema["components"]["schemas"].get(body.get("$ref", "").rsplit("/", 1)[-1], {})
        return header or "idempotency_key" in component.get("properties", {})

    declaring = {f"{method.upper()} {path}" for path, method, operation in _operations(schema)
                 if "422" in operation["responses"]}
    taking = {f"{method.upper()} {path}" for path, method, operation in _operations(schema) if takes_key(operation)}

    assert declaring == taking
    assert taking == {"POST /orders/", "POST /orders/checkout/", "POST /api/shop/checkout/cart",
                      "POST /orders/guest/checkout/", "POST /orders/guest/{order_key}/pay/",
                      "POST /payments/create-intent/"}


@pytest.mark.parametrize("path", ["/orders/checkout/", "/orders/", "/api/shop/checkout/cart"])
def test_a_reused_checkout_key_is_the_declared_422(schema, user_client, settings, path):
    settings.PAYMENT_METHODS = ["cod"]
    product = ProductFactory(stock_quantity=5)
    body = {"items": [{"product_id": product.pk}], "payment_method": "cod"}
    first = user_client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code in (200, 201), first.content

    reused = user_client.post(path, {**body, "notes": "changed"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")

    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    _conforms(schema, path, "post", reused)
    assert Order.objects.count() == 1


def test_a_reused_guest_checkout_key_is_the_declared_422(schema, payments_on):
    client = APIClient()
    token = guest_cart(client, (ProductFactory(stock_quantity=5), 1))
    assert guest_checkout(client, token, key="g1", payment_method="cod").status_code == 201

    reused = guest_checkout(client, token, key="g1", payment_method="cod", notes="Ring twice")

    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    _conforms(schema, "/orders/guest/checkout/", "post", reused)
    assert Order.objects.count() == 1


def test_a_reused_guest_pay_key_is_the_declared_422(schema, payments_on):
    client = APIClient()
    order = guest_checkout(client, guest_cart(client, (ProductFactory(stock_quantity=5), 1)),
                           payment_method="sandbox").json()
    url = guest_order_url(order, "pay/")
    first = client.post(url, {"idempotency_key": "gk1", "payment_method": "sandbox"}, format="json")
    assert first.status_code == 201, first.content
    payments = Payment.objects.count()

    reused = client.post(url, {"idempotency_key": "gk1", "payment_method": "cod"}, format="json")

    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    _conforms(schema, "/orders/guest/{order_key}/pay/", "post", reused)
    assert Payment.objects.count() == payments


# --- 406: content negotiation runs on every operation ---------------------------------------------------------

def test_every_operation_answers_the_declared_406_for_a_format_it_has_not(schema):
    """Negotiation runs before authentication, so an anonymous request reaches it on every operation."""
    client = APIClient()
    checked = 0
    for path, method, _operation in _operations(schema):
        url = re.sub(r"\{\w+\}", "1", path)
        response = getattr(client, method)(url + "?format=xml")
        assert response.status_code == 406, (method, path, response.status_code)
        assert response.json()["code"] == "not_acceptable"
        _conforms(schema, path, method, response)
        checked += 1
    assert checked > 140


def test_an_accept_header_the_route_cannot_answer_is_the_declared_406(schema, user_client):
    response = user_client.get("/orders/", HTTP_ACCEPT="application/xml")

    assert response.status_code == 406 and response.json()["code"] == "not_acceptable"
    _conforms(schema, "/orders/", "get", response)


# --- 415: where DRF parses the body ---------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path"), [("post", "/cart/items/"), ("post", "/orders/checkout/"),
                                              ("patch", "/auth/me/"), ("post", "/pricing/tax-rates/"),
                                              ("post", "/auth/login/")])
def test_a_body_of_a_type_the_route_does_not_read_is_the_declared_415(schema, staff_client, method, path):
    response = getattr(staff_client, method)(path, "product_id=1", content_type="text/plain")

    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"
    _conforms(schema, path, method, response)


def test_operations_that_do_not_parse_a_body_never_answer_415(schema, staff_client):
    """Every write not declaring 415 is sent a body it could not parse: none answers 415 (a view reading
    ``request.data`` without a declared body would)."""
    undeclared = [(path, method) for path, method, operation in _operations(schema)
                  if method != "get" and "415" not in operation["responses"]]
    assert ("/payments/webhooks/paymob/", "post") in undeclared  # reads the raw body it verifies
    for path, method in undeclared:
        url = re.sub(r"\{\w+\}", "1", path)
        response = getattr(staff_client, method)(url, "x=1", content_type="text/plain")
        assert response.status_code != 415, (method, path)


# --- 413: every operation that takes a body -----------------------------------------------------------------

@pytest.mark.parametrize(("method", "path"), [("post", "/cart/items/"), ("post", "/payments/webhooks/paymob/"),
                                              ("patch", "/auth/me/")])
def test_a_body_over_the_limit_is_the_declared_413(schema, user_client, settings, method, path):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024

    response = getattr(user_client, method)(path, '{"pad": "' + "x" * 2048 + '"}', content_type="application/json")

    assert response.status_code == 413 and response.json()["code"] == "request_too_large"
    _conforms(schema, path, method, response)


def test_every_operation_taking_a_body_declares_413_and_no_other_does(schema):
    for path, method, operation in _operations(schema):
        assert ("413" in operation["responses"]) is ("requestBody" in operation), (method, path)
