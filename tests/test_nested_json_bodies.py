"""A body nested deeper than JSON_MAX_DEPTH is a 400 ``parse_error`` wherever a request body is decoded, never a 500.

Found by a tester: ``POST /auth/login/`` with ``"[" * 1000 + "]" * 1000`` was a 500 (``RecursionError: maximum
recursion depth exceeded while decoding a JSON array``), as was any JSON endpoint, and nested objects alike. Bodies
are decoded by DRF's parser (``shop.core.parsers.JSONParser``) and, for the gateways' webhooks, by the provider
(Paymob and IntaSend through ``shop.payments.providers._http.parse_json``, Stripe through its SDK).
"""

import hashlib
import hmac
import re
import time

import pytest
from rest_framework.test import APIClient

from shop.core.json_input import JSON_MAX_DEPTH
from shop.payments.models import WebhookEvent
from tests.openapi_schema import operations, published_schema

pytestmark = pytest.mark.django_db

DEEP_ARRAYS = "[" * 1000 + "]" * 1000
DEEP_OBJECTS = '{"a":' * 1000 + "1" + "}" * 1000
TOO_DEEP = {"detail": f"JSON parse error - arrays and objects are nested more than {JSON_MAX_DEPTH} levels deep",
            "code": "parse_error"}


@pytest.mark.parametrize("body", [DEEP_ARRAYS, DEEP_OBJECTS, "[" * 10_000])
def test_the_testers_login_is_a_400_parse_error(body):
    response = APIClient().post("/auth/login/", body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert response.json() == TOO_DEEP


def test_a_body_at_the_limit_is_read_and_validated_as_usual():
    """As deep as allowed, the body reaches the serializer, which names the field; one level more it does not."""
    def nested(depth):  # {"email": [[...]], "password": "x"}: the object is the first level
        return '{"email": ' + "[" * (depth - 1) + "]" * (depth - 1) + ', "password": "x"}'

    read = APIClient().post("/auth/login/", nested(JSON_MAX_DEPTH), content_type="application/json")
    refused = APIClient().post("/auth/login/", nested(JSON_MAX_DEPTH + 1), content_type="application/json")

    assert read.status_code == 400 and read.json()["code"] == "invalid" and "email" in read.json()["errors"]
    assert refused.status_code == 400 and refused.json() == TOO_DEEP


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    return published_schema(django_db_blocker)


def test_every_operation_reading_a_json_body_refuses_a_deep_one_with_a_400(schema, staff_client):
    """Every operation the schema says takes JSON, sent a deep body as staff: never a 5xx; a 400 is the parse error
    (others are answered before the body is read: a 404 for the id 1 that does not exist, a 401 without a guest's
    token, a 403...). Webhooks are the next test's."""
    parsed = 0
    for path, method, operation in operations(schema):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" not in content or "webhook" in path:
            continue
        url = re.sub(r"\{\w+\}", "1", path)
        for body in (DEEP_ARRAYS, DEEP_OBJECTS):
            response = getattr(staff_client, method)(url, body, content_type="application/json")
            assert response.status_code < 500, (method, path, response.content)
            if response.status_code == 400:
                assert response.json() == TOO_DEEP, (method, path, response.content)
                parsed += 1
    assert parsed > 100  # most operations do read the body


def _stripe_signature(secret: str, body: str) -> str:
    timestamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@pytest.mark.parametrize("body", [DEEP_ARRAYS, DEEP_OBJECTS])
@pytest.mark.parametrize("gateway", ["stripe", "paymob", "intasend"])
def test_a_gateway_webhook_with_a_deep_body_is_a_400_that_records_nothing(settings, gateway, body):
    """Stripe's is signed with the webhook secret: the SDK's own decoding is what would have failed."""
    settings.PAYMENT_METHODS = ["sandbox", gateway]
    settings.SHOP_CURRENCY = "EGP" if gateway == "paymob" else "USD"
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_x", "whsec_x"
    settings.PAYMOB_SECRET_KEY, settings.PAYMOB_INTEGRATION_IDS, settings.PAYMOB_HMAC_SECRET = "egy_sk_x", [1], "h"
    settings.INTASEND_SECRET_KEY, settings.INTASEND_WEBHOOK_CHALLENGE = "ISSecretKey_x", "challenge"
    url = {"stripe": "/payments/webhook/", "paymob": "/payments/webhooks/paymob/?hmac=ab",
           "intasend": "/payments/webhooks/intasend/"}[gateway]

    response = APIClient().post(url, body, content_type="application/json",
                                HTTP_STRIPE_SIGNATURE=_stripe_signature("whsec_x", body))

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_signature"
    assert response.json()["detail"] == "Webhook rejected: " + {
        "stripe": "the webhook body is not a Stripe event", "paymob": "the callback body is not JSON",
        "intasend": "the webhook body is not JSON"}[gateway]
    assert not WebhookEvent.objects.exists()
