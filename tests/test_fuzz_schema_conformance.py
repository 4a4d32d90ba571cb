"""What the schemathesis run (tests/fuzz) found: answers the schema did not declare, or declared wrongly.

Each test checks a real response against the schema the app serves, so the schema and the API cannot drift.
"""

import jsonschema
import pytest
import yaml

from shop.catalog.tests.factories import ProductFactory
from shop.orders.services import order_cancel
from shop.orders.tests.factories import place_order
from tests.openapi_schema import json_schema

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api_client):
    return yaml.safe_load(api_client.get("/api/schema/").content)


def _validate(schema, path, method, status, body):
    response_schema = schema["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
    resolver_schema = json_schema({**response_schema, "components": schema["components"]})
    jsonschema.validate(body, resolver_schema, format_checker=jsonschema.FormatChecker())


def test_every_operation_declares_the_shared_error_answers(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            expected = {"400", "401", "403", "404", "429"}
            if method != "get":
                expected |= {"409", "503"}
            assert expected <= set(operation["responses"]), (method, path)
    assert schema["components"]["schemas"]["ErrorOutput"]["required"] == ["detail", "code"]


def test_a_404_and_a_400_match_the_declared_error_shape(schema, user_client):
    missing = user_client.get("/orders/999999/")
    bad = user_client.post("/cart/items/", {"quantity": "many"}, format="json")

    assert missing.status_code == 404
    assert missing.json() == {"detail": missing.json()["detail"], "code": "not_found"}
    _validate(schema, "/orders/{order_id}/", "get", 404, missing.json())
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid" and "quantity" in bad.json()["errors"]
    _validate(schema, "/cart/items/", "post", 400, bad.json())


def test_an_unauthenticated_answer_matches_the_declared_401(schema, api_client):
    response = api_client.get("/orders/", HTTP_AUTHORIZATION="Bearer not-a-token")

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
    _validate(schema, "/orders/", "get", 401, response.json())


def test_an_open_order_with_no_tracking_url_matches_the_order_schema(schema, user, user_client):
    # Was a schema violation: cancel_reason "" is not a CancelReason, and tracking_url "" is not a URI.
    order = place_order(user=user, product=ProductFactory(stock_quantity=5))

    response = user_client.get(f"/orders/{order.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["cancel_reason"] == ""
    assert body["shipment"]["tracking_url"] == ""
    _validate(schema, "/orders/{order_id}/", "get", 200, body)


def test_a_cancelled_order_still_matches_the_order_schema(schema, user, user_client):
    order = place_order(user=user, product=ProductFactory(stock_quantity=5))
    order_cancel(order_id=order.pk, by=user, owner=user)

    response = user_client.get(f"/orders/{order.pk}/")

    assert response.status_code == 200
    assert response.json()["cancel_reason"] == "customer"
    _validate(schema, "/orders/{order_id}/", "get", 200, response.json())


def test_an_order_with_a_payment_and_the_payment_match_their_schemas(schema, user, user_client, settings):
    # Was a schema violation: Order.payment_status and Payment.status shared one enum name in the schema.
    settings.PAYMENT_METHODS = ["cod"]
    order = place_order(user=user, product=ProductFactory(stock_quantity=5), payment_method="cod")
    from shop.payments.services import payment_start

    payment = payment_start(order_id=order.pk, user=user, method_id="cod")

    order_body = user_client.get(f"/orders/{order.pk}/").json()
    payment_body = user_client.get(f"/payments/{payment.pk}/").json()
    assert (order_body["payment_status"], payment_body["status"]) == ("unpaid", "pending")
    _validate(schema, "/orders/{order_id}/", "get", 200, order_body)
    _validate(schema, "/payments/{payment_id}/", "get", 200, payment_body)
