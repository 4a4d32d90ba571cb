"""The OpenAPI schema a front-end team reads: each operation once, each with a summary, a description and a
domain tag; the purchase flow with examples that match what the API really answers; no internal jargon."""

import json
import re
from pathlib import Path

import jsonschema
import pytest
from django.conf import settings
from django.urls import get_resolver

from shop.catalog.tests.factories import ProductFactory
from shop.core.schema import operation_key
from shop.orders.tests.guests import ADDRESS
from tests.openapi_schema import METHODS, published_schema
from tests.openapi_schema import operations as _operations

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    return published_schema(django_db_blocker)


def _routes() -> dict[str, object]:
    """Every URL pattern, written as the schema writes paths, with its view callback (independent of the hook)."""
    routes = {}

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, route)
            elif hasattr(pattern.callback, "cls"):
                path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
                routes[path.replace("{pk}", "{id}")] = pattern.callback

    walk(get_resolver().url_patterns)
    return routes


def test_every_operation_has_a_summary_a_description_and_a_declared_domain_tag(schema):
    declared = [tag["name"] for tag in schema["tags"]]
    assert declared == [tag["name"] for tag in settings.SPECTACULAR_SETTINGS["TAGS"]]

    missing = [
        f"{method.upper()} {path}: {what}"
        for path, method, operation in _operations(schema)
        for what, ok in (
            ("summary", bool(operation.get("summary", "").strip())),
            ("description", bool(operation.get("description", "").strip())),
            ("one declared tag", len(operation.get("tags", [])) == 1 and operation["tags"][0] in declared),
        )
        if not ok
    ]

    assert len(list(_operations(schema))) > 80
    assert missing == []


def test_no_operation_appears_twice(schema):
    """An operation published at a second path is marked as the first one's alias, and nothing else repeats."""
    routes = _routes()
    by_operation: dict[tuple, list] = {}
    for path, method, operation in _operations(schema):
        by_operation.setdefault(operation_key(routes[path], method), []).append((path, method, operation))
    for published in by_operation.values():
        if len(published) == 1:  # published once (POST /orders/ is another view, whose summary names its twin)
            continue
        own = [f"{method.upper()} {path}" for path, method, operation in published
               if "(alias of" not in operation["summary"]]
        assert len(own) == 1, published
        for path, method, operation in published:
            if f"{method.upper()} {path}" != own[0]:
                assert operation["summary"].endswith(f"(alias of `{own[0]}`)"), (method, path)

    # The root paths are the published ones; /api/v1/ only for what nothing at the root serves.
    versioned = sorted(path for path in schema["paths"] if path.startswith("/api/v1/"))
    assert versioned == ["/api/v1/profile/", "/api/v1/register/", "/api/v1/token/", "/api/v1/token/refresh/"]
    assert "/auth/register/" in schema["paths"] and "/api/v1/auth/register/" not in schema["paths"]


def test_every_unpublished_route_is_an_alias_of_a_published_operation(schema):
    routes = _routes()
    published = {operation_key(routes[path], method) for path, method, _ in _operations(schema)}
    docs = ("/api/schema/", "/api/docs/", "/api/redoc/", "/admin/")

    unpublished = sorted(
        f"{method.upper()} {path}"
        for path, callback in routes.items() if not path.startswith(docs)
        for method in METHODS if hasattr(callback.cls, method) and operation_key(callback, method) not in published
    )

    assert "/api/v1/auth/register/" in routes and "/orders/{order_id}/status/" in routes  # aliases still served
    # Nothing is left out: POST /orders/ is published as the checkout's alias (the /api/v1/ copies share their
    # root path's operation).
    assert unpublished == []


PURCHASE_FLOW = [
    ("/auth/register/", "post", "201"),
    ("/auth/login/", "post", "200"),
    ("/cart/items/", "post", "200"),
    ("/orders/checkout/", "post", "201"),
    ("/payments/create-intent/", "post", "201"),
    ("/payments/{payment_id}/status/", "get", "200"),
    ("/orders/{order_id}/", "get", "200"),
]


def _resolve(schema, node):
    """Inline ``$ref``s and turn OpenAPI 3.0's ``nullable`` into JSON Schema, for jsonschema."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _resolve(schema, schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]])
        out = {key: _resolve(schema, value) for key, value in node.items() if key not in ("nullable", "readOnly",
                                                                                         "writeOnly")}
        if node.get("nullable"):
            out = {"anyOf": [out, {"type": "null"}]}
        return out
    if isinstance(node, list):
        return [_resolve(schema, value) for value in node]
    return node


FORMATS = jsonschema.FormatChecker()  # e.g. "format: email" refuses "", as schemathesis does


@pytest.mark.parametrize(("path", "method", "status"), PURCHASE_FLOW)
def test_purchase_flow_operations_have_examples_that_fit_their_schemas(schema, path, method, status):
    operation = schema["paths"][path][method]
    response = operation["responses"][status]["content"]["application/json"]

    assert response.get("examples"), f"{method.upper()} {path}: no response example"
    for example in response["examples"].values():
        jsonschema.validate(example["value"], _resolve(schema, response["schema"]), format_checker=FORMATS)
    if method == "post":
        request = operation["requestBody"]["content"]["application/json"]
        assert request.get("examples"), f"{method.upper()} {path}: no request example"
        for example in request["examples"].values():
            jsonschema.validate(example["value"], _resolve(schema, request["schema"]), format_checker=FORMATS)


def _shape(value):
    """The keys of every object, recursively (a list by its first element): what an example must match."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return None


def test_purchase_flow_examples_have_the_shape_of_real_answers(schema, api_client):
    """Walk the purchase as the README does; each example's keys are exactly the real answer's."""
    product = ProductFactory(stock_quantity=10)
    password = "Sturdy-Passw0rd!"
    answers = {}

    def call(path, method, url, body=None):
        response = getattr(api_client, method)(url, body, format="json")
        assert response.status_code < 300, response.content
        answers[(path, method)] = response.json()
        return response.json()

    call("/auth/register/", "post", "/auth/register/", {"email": "ada@example.com", "first_name": "Ada",
                                                         "last_name": "Lovelace", "password": password,
                                                         "password2": password})
    tokens = call("/auth/login/", "post", "/auth/login/", {"email": "ada@example.com", "password": password})
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['tokens']['access']}")
    call("/cart/items/", "post", "/cart/items/", {"product_id": product.pk, "quantity": 2})
    order = call("/orders/checkout/", "post", "/orders/checkout/",
                 {"payment_method": "sandbox", "shipping_address": ADDRESS})
    start = call("/payments/create-intent/", "post", "/payments/create-intent/",
                 {"order_id": order["id"], "payment_method": "sandbox"})
    call("/payments/{payment_id}/status/", "get", f"/payments/{start['payment']['id']}/status/")
    call("/orders/{order_id}/", "get", f"/orders/{order['id']}/")

    for (path, method), real in answers.items():
        status = next(code for p, m, code in PURCHASE_FLOW if (p, m) == (path, method))
        examples = schema["paths"][path][method]["responses"][status]["content"]["application/json"]["examples"]
        for name, example in examples.items():
            assert _shape(example["value"]) == _shape(real), (
                f"{method.upper()} {path} example {name!r} no longer matches the real answer: update its "
                f"examples.py from this answer:\n{json.dumps(real, indent=1)}")


GUEST_FLOW = [
    ("/cart/", "post", "201"),
    ("/orders/guest/checkout/", "post", "201"),
    ("/orders/guest/{order_key}/", "get", "200"),
    ("/orders/guest/{order_key}/pay/", "post", "201"),
    ("/orders/guest/{order_key}/payment/", "get", "200"),
    ("/orders/guest/{order_key}/cancel/", "post", "200"),
    ("/orders/claim/", "post", "200"),
]


@pytest.mark.parametrize(("path", "method", "status"), GUEST_FLOW)
def test_guest_flow_operations_have_examples_that_fit_their_schemas(schema, path, method, status):
    operation = schema["paths"][path][method]
    response = operation["responses"][status]["content"]["application/json"]

    assert response.get("examples"), f"{method.upper()} {path}: no response example"
    for example in response["examples"].values():
        jsonschema.validate(example["value"], _resolve(schema, response["schema"]), format_checker=FORMATS)


def test_guest_flow_examples_have_the_shape_of_real_answers(schema, api_client, settings):
    """A guest buys as the README says, then claims the order with a verified account: each example's keys are
    exactly the real answer's."""
    from shop.accounts.tests.factories import UserFactory
    from shop.orders.tests.guests import guest_checkout

    settings.PAYMENT_METHODS = ["sandbox", "cod"]
    settings.PAYMENTS_SANDBOX_ENABLED = True
    product = ProductFactory(stock_quantity=10)
    answers = {}

    def keep(path, method, response):
        assert response.status_code < 300, response.content
        answers[(path, method)] = response.json()
        return response.json()

    cart = keep("/cart/", "post", api_client.post("/cart/"))
    api_client.post("/cart/items/", {"product_id": product.pk}, format="json", HTTP_X_CART_TOKEN=cart["cart_token"])
    order = keep("/orders/guest/checkout/", "post", guest_checkout(api_client, cart["cart_token"],
                                                                  payment_method="sandbox"))
    url = f"/orders/guest/{order['order_key']}/{{}}?token={order['order_token']}"
    keep("/orders/guest/{order_key}/", "get", api_client.get(url.format("")))
    keep("/orders/guest/{order_key}/pay/", "post", api_client.post(url.format("pay/"), {}, format="json"))
    keep("/orders/guest/{order_key}/payment/", "get", api_client.get(url.format("payment/")))
    keep("/orders/guest/{order_key}/cancel/", "post", api_client.post(url.format("cancel/")))
    # A second order, paid on delivery: the claim below takes both.
    api_client.post("/cart/items/", {"product_id": product.pk}, format="json", HTTP_X_CART_TOKEN=cart["cart_token"])
    placed = guest_checkout(api_client, cart["cart_token"], payment_method="cod")
    assert placed.status_code == 201, placed.content
    claimer = UserFactory(email="grace@example.com", is_email_verified=True)
    api_client.force_authenticate(claimer)
    keep("/orders/claim/", "post", api_client.post("/orders/claim/"))

    for (path, method), real in answers.items():
        status = next(code for p, m, code in GUEST_FLOW if (p, m) == (path, method))
        examples = schema["paths"][path][method]["responses"][status]["content"]["application/json"]["examples"]
        for name, example in examples.items():
            assert _shape(example["value"]) == _shape(real), (
                f"{method.upper()} {path} example {name!r} no longer matches the real answer: update its "
                f"examples.py from this answer:\n{json.dumps(real, indent=1)}")


JARGON = re.compile(r"\bseeds?\b(?!_demo|_catalog|_users)[^\n]{0,40}", re.I)


def test_schema_and_readme_speak_of_the_product(schema):
    """No internal spec names ("seed 001 aliases") in what users read; `seed_demo`-style commands are fine."""
    text = json.dumps(schema) + (ROOT / "README.md").read_text()

    assert JARGON.findall(text) == []


REFUND_READS = [("/payments/refund/", "post", "200"), ("/payments/{payment_id}/", "get", "200"),
                ("/payments/order/{order_id}/", "get", "200")]


@pytest.mark.parametrize(("path", "method", "status"), REFUND_READS)
def test_refund_and_payment_read_examples_fit_their_schemas(schema, path, method, status):
    response = schema["paths"][path][method]["responses"][status]["content"]["application/json"]

    assert response.get("examples"), f"{method.upper()} {path}: no response example"
    for example in response["examples"].values():
        jsonschema.validate(example["value"], _resolve(schema, response["schema"]), format_checker=FORMATS)


def test_refund_and_payment_read_examples_have_the_shape_of_real_answers(schema, user_client, staff_client,
                                                                        settings):
    """A staff refund by line and shipping of a paid sandbox order, then the payment read back both ways."""
    from shop.orders.tests.factories import ShippingMethodFactory

    settings.PAYMENT_METHODS, settings.PAYMENTS_SANDBOX_ENABLED = ["sandbox"], True
    product = ProductFactory(stock_quantity=10)
    order = user_client.post("/orders/checkout/", {
        "payment_method": "sandbox", "shipping_method": ShippingMethodFactory().pk, "items": [
            {"product_id": product.pk, "quantity": 2}], "shipping_address": ADDRESS},
        format="json").json()
    assert user_client.post(f"/payments/sandbox/{order['payment_id']}/succeed/").status_code in (200, 302)
    refund = staff_client.post("/payments/refund/", {"payment_id": order["payment_id"], "shipping": True, "lines": [
        {"order_item_id": order["items"][0]["id"], "quantity": 1}]}, format="json")
    assert refund.status_code == 200, refund.content
    answers = {
        "/payments/refund/": refund.json(),
        "/payments/{payment_id}/": user_client.get(f"/payments/{order['payment_id']}/").json(),
        "/payments/order/{order_id}/": user_client.get(f"/payments/order/{order['id']}/").json(),
    }

    for path, method, status in REFUND_READS:
        examples = schema["paths"][path][method]["responses"][status]["content"]["application/json"]["examples"]
        for name, example in examples.items():
            assert _shape(example["value"]) == _shape(answers[path]), (
                f"{method.upper()} {path} example {name!r} no longer matches the real answer:\n"
                f"{json.dumps(answers[path], indent=1)}")


def test_the_product_search_parameter_states_its_limit_and_how_words_match(schema, api_client):
    (search,) = [p for p in schema["paths"]["/products/"]["get"]["parameters"] if p["name"] == "search"]

    assert search["schema"] == {"type": "string", "maxLength": 200}
    assert "the last word, the one being typed, also matches the start of longer words as written" in \
        search["description"]  # CATALOG_SEARCH_PREFIX=last
    assert "accents and case are ignored" in search["description"]
    response = api_client.get("/products/", {"search": "x" * 201})
    assert (response.status_code, response.json()["code"]) == (400, "invalid")


def _request_fields(schema, operation) -> set[str]:
    """The names an operation takes: its parameters and its request body's properties (through refs and oneOf)."""
    def properties(node) -> set[str]:
        while isinstance(node, dict) and "$ref" in node:
            node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
        if not isinstance(node, dict):
            return set()
        found = set(node.get("properties", {}))
        for key in ("oneOf", "anyOf", "allOf"):
            for option in node.get(key, []):
                found |= properties(option)
        return found

    fields = {parameter["name"] for parameter in operation.get("parameters", [])}
    for content in operation.get("requestBody", {}).get("content", {}).values():
        fields |= properties(content.get("schema", {}))
    return fields


def test_a_refusal_an_operation_describes_names_a_field_it_takes(schema):
    """Found by a tester: the staff category and image PUT/PATCH described the product's `stock_on_variants` refusal
    "naming `stock_quantity`", a field neither takes (the paragraph was copied from the product's operations)."""
    wrong = [f"{method.upper()} {path}: {name}" for path, method, operation in _operations(schema)
             for name in re.findall(r"naming `([\w.\-]+)`", operation.get("description", ""))
             if name not in _request_fields(schema, operation)]

    assert wrong == []


def test_only_the_products_own_writes_describe_its_stock_on_variants_refusal(schema):
    describing = sorted(f"{method.upper()} {path}" for path, method, operation in _operations(schema)
                        if "stock_on_variants" in operation.get("description", ""))

    assert describing == ["PATCH /products/{slug}/", "PUT /products/{slug}/"]
