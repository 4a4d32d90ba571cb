"""A gateway that is not set up on this server answers its webhooks one way, whichever gateway and whatever is
missing (its API keys, or the secret its events are verified with): 503 ``provider_not_configured`` naming what to
set, recording nothing (docs/PAYMENTS.md, "Webhooks"). Offered or not (``PAYMENT_METHODS``) does not matter once
it has payments here: taking a gateway out of service stops new payments only (test_unoffered_gateway.py). A
gateway neither offered, nor set up, nor ever paid through here is not this shop's: 400 ``method_unavailable``.

A tester found Stripe answering 503 ``provider_not_configured`` and Paymob and IntaSend 400 ``method_unavailable``.
Why a 5xx: the request may be a real payment event that this server cannot verify or act on until it is configured.
Every gateway treats a non-2xx answer as a failed delivery (Stripe retries any of them for up to three days and
warns the account), so the gateway keeps the event and it is acted on once the shop is set up; a 4xx says the
request itself is wrong, which it is not, and a gateway that gives up on a 4xx would lose a payment for good.
"""

import pytest
from rest_framework.test import APIClient

from shop.catalog.tests.factories import ProductFactory
from shop.orders.tests.factories import place_order
from shop.payments.models import Payment, WebhookEvent

pytestmark = pytest.mark.django_db

KEYS = {
    "stripe": {"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"},
    "paymob": {"PAYMOB_SECRET_KEY": "egy_sk_x", "PAYMOB_INTEGRATION_IDS": [1], "PAYMOB_HMAC_SECRET": "hmac"},
    "intasend": {"INTASEND_SECRET_KEY": "ISSecretKey_x", "INTASEND_WEBHOOK_CHALLENGE": "challenge"},
}
URLS = {
    "stripe": ["/payments/webhook/", "/payments/webhooks/stripe/"],
    "paymob": ["/payments/webhooks/paymob/?hmac=ab", "/webhook/?hmac=ab"],
    "intasend": ["/payments/webhooks/intasend/"],
}
CASES = [
    # (gateway, offered, settings left empty, setting the answer names)
    ("stripe", True, ["STRIPE_SECRET_KEY"], "STRIPE_SECRET_KEY"),
    ("paymob", True, ["PAYMOB_SECRET_KEY"], "PAYMOB_SECRET_KEY"),
    ("intasend", True, ["INTASEND_SECRET_KEY"], "INTASEND_SECRET_KEY"),
    ("stripe", True, ["STRIPE_WEBHOOK_SECRET"], "STRIPE_WEBHOOK_SECRET"),
    ("paymob", True, ["PAYMOB_HMAC_SECRET"], "PAYMOB_HMAC_SECRET"),
    ("intasend", True, ["INTASEND_WEBHOOK_CHALLENGE"], "INTASEND_WEBHOOK_CHALLENGE"),
    # Taken out of PAYMENT_METHODS with payments still through it, and its keys gone too: the same 503.
    ("stripe", False, ["STRIPE_SECRET_KEY"], "STRIPE_SECRET_KEY"),
    ("paymob", False, ["PAYMOB_SECRET_KEY", "PAYMOB_HMAC_SECRET"], "PAYMOB_SECRET_KEY, PAYMOB_HMAC_SECRET"),
    ("intasend", False, ["INTASEND_WEBHOOK_CHALLENGE"], "INTASEND_WEBHOOK_CHALLENGE"),
]


def _set_up(settings, gateway, *, offered, missing):
    settings.PAYMENT_METHODS = ["sandbox", "cod", *([gateway] if offered else [])]
    settings.SHOP_CURRENCY = "EGP" if gateway == "paymob" else "USD"
    for name, value in KEYS[gateway].items():
        setattr(settings, name, type(value)() if name in missing else value)


def _post(url):
    return APIClient().post(url, b'{"id": "evt_1", "type": "payment_intent.succeeded", "challenge": "x"}',
                            content_type="application/json", HTTP_STRIPE_SIGNATURE="t=1,v1=ab")


@pytest.mark.parametrize(("gateway", "offered", "missing", "named"), CASES,
                         ids=[f"{g}-{'offered' if o else 'not offered'}-{n}" for g, o, _, n in CASES])
def test_an_unconfigured_gateways_webhook_is_a_503_naming_what_to_set(settings, user, gateway, offered, missing,
                                                                     named):
    _set_up(settings, gateway, offered=offered, missing=missing)
    if not offered:  # taken out of service with a payment made through it
        order = place_order(user=user, product=ProductFactory(stock_quantity=1))
        Payment.objects.create(order=order, user=user, provider=gateway, amount=order.total, currency="USD",
                               provider_payment_id="gw_1", idempotency_key="taken-out")

    for url in URLS[gateway]:
        response = _post(url)

        # Not set up: 503, the gateway redelivers once it is.
        assert response.status_code == 503, (url, response.content)
        assert response.json()["code"] == "provider_not_configured", url
        # The answer goes to the gateway, whose operator reads it: it names the setting (a customer's answer does
        # not: shop.payments.gateways._not_configured), and so does the log.
        assert named in response.json()["detail"], (url, response.json()["detail"])
        assert "charged" not in response.json()["detail"]
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("gateway", list(KEYS))
def test_a_gateway_not_offered_not_set_up_and_never_used_here_is_not_this_shops(settings, gateway):
    _set_up(settings, gateway, offered=False, missing=list(KEYS[gateway]))

    for url in URLS[gateway]:
        response = _post(url)

        # Nothing it sends can ever be acted on here: a 400, nothing to wait for (the fuzzer flags a 5xx).
        assert response.status_code == 400, (url, response.content)
        assert response.json()["code"] == "method_unavailable", url
        assert "PAYMENT_METHODS" in response.json()["detail"]
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("gateway", list(KEYS))
def test_a_gateway_not_offered_but_set_up_verifies_its_webhooks(settings, gateway):
    _set_up(settings, gateway, offered=False, missing=[])

    for url in URLS[gateway]:
        response = _post(url)

        # Verified like an offered gateway's: this one is forged.
        assert response.status_code == 400, (url, response.content)
        assert response.json()["code"] == "invalid_signature", url
    assert not WebhookEvent.objects.exists()
