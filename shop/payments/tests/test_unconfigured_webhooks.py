"""A gateway that is not set up on this server answers its webhooks one way, whichever gateway and whatever is
missing (not offered in ``PAYMENT_METHODS``, its API keys, or the secret its events are verified with): 503
``provider_not_configured`` naming what to set, recording nothing (docs/PAYMENTS.md, "Webhooks").

A tester found Stripe answering 503 ``provider_not_configured`` and Paymob and IntaSend 400 ``method_unavailable``.
Why a 5xx: the request may be a real payment event that this server cannot verify or act on until it is configured.
Every gateway treats a non-2xx answer as a failed delivery (Stripe retries any of them for up to three days and
warns the account), so the gateway keeps the event and it is acted on once the shop is set up; a 4xx says the
request itself is wrong, which it is not, and a gateway that gives up on a 4xx would lose a payment for good.
"""

import pytest
from rest_framework.test import APIClient

from shop.payments.models import WebhookEvent

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
    *[(gateway, False, [], "PAYMENT_METHODS") for gateway in KEYS],
    ("stripe", True, ["STRIPE_SECRET_KEY"], "STRIPE_SECRET_KEY"),
    ("paymob", True, ["PAYMOB_SECRET_KEY"], "PAYMOB_SECRET_KEY"),
    ("intasend", True, ["INTASEND_SECRET_KEY"], "INTASEND_SECRET_KEY"),
    ("stripe", True, ["STRIPE_WEBHOOK_SECRET"], "STRIPE_WEBHOOK_SECRET"),
    ("paymob", True, ["PAYMOB_HMAC_SECRET"], "PAYMOB_HMAC_SECRET"),
    ("intasend", True, ["INTASEND_WEBHOOK_CHALLENGE"], "INTASEND_WEBHOOK_CHALLENGE"),
]


@pytest.mark.parametrize(("gateway", "offered", "missing", "named"), CASES,
                         ids=[f"{g}-{'offered' if o else 'not offered'}-{n}" for g, o, _, n in CASES])
def test_an_unconfigured_gateways_webhook_is_a_503_naming_what_to_set(settings, gateway, offered, missing, named):
    settings.PAYMENT_METHODS = ["sandbox", "cod", *([gateway] if offered else [])]
    settings.SHOP_CURRENCY = "EGP" if gateway == "paymob" else "USD"
    for name, value in KEYS[gateway].items():
        setattr(settings, name, type(value)() if name in missing else value)

    for url in URLS[gateway]:
        response = APIClient().post(url, b'{"id": "evt_1", "type": "payment_intent.succeeded", "challenge": "x"}',
                                    content_type="application/json", HTTP_STRIPE_SIGNATURE="t=1,v1=ab")

        # Offered but not set up: 503, the gateway redelivers once it is; not offered at all: 400, nothing to wait for.
        assert response.status_code == (503 if offered else 400), (url, response.content)
        assert response.json()["code"] == ("provider_not_configured" if offered else "method_unavailable"), url
        # The answer goes to the gateway, whose operator reads it: it names the setting (a customer's answer does
        # not: shop.payments.gateways._not_configured), and so does the log.
        assert named in response.json()["detail"], (url, response.json()["detail"])
        assert "charged" not in response.json()["detail"]
    assert not WebhookEvent.objects.exists()
