"""A gateway the shop stops offering (taken out of ``PAYMENT_METHODS``) stops taking NEW payments only: the money
already on its way through it still reaches its order, and its payments can still be refunded and cancelled, as
long as the gateway's keys stay configured (docs/PAYMENTS.md, "Taking a gateway out of service").

Was: every call for an existing payment asked "is this method offered?", so the un-offered gateway's webhooks were
refused and a paid order stayed unpaid, its refunds and cancels were refused, and a refund reserved the amount
before asking, leaving it reserved for good.
"""

from decimal import Decimal

import pytest

from shop.orders.services import order_expire
from shop.payments.models import Payment, Refund, WebhookEvent

pytestmark = pytest.mark.django_db

OFFERED_AFTER = ["sandbox", "cod"]  # Stripe taken out of service


def _deliver(api_client, fake, event_type, intent_id):
    payload, signature = fake.make_event(event_type, fake.intent(intent_id))
    return api_client.post("/payments/webhook/", data=payload, content_type="application/json",
                           HTTP_STRIPE_SIGNATURE=signature)


def _open_stripe_payment(user_client, order) -> Payment:
    response = user_client.post("/payments/create-intent/", {"order_id": order.pk, "payment_method": "stripe"},
                                format="json")
    assert response.status_code == 201, response.json()
    return Payment.objects.get(pk=response.json()["payment"]["id"])


def test_a_payment_through_an_unoffered_gateway_still_reaches_its_order_and_can_be_refunded(
        settings, user_client, staff_client, api_client, stripe_on, order):
    payment = _open_stripe_payment(user_client, order)
    settings.PAYMENT_METHODS = OFFERED_AFTER
    stripe_on.succeed(payment.provider_payment_id)

    webhook = _deliver(api_client, stripe_on, "payment_intent.succeeded", payment.provider_payment_id)

    assert webhook.status_code == 200, webhook.json()
    assert webhook.json() == {"received": True, "outcome": "succeeded"}
    order.refresh_from_db()
    assert (order.payment_status, order.is_fully_paid, order.paid_at is not None) == ("paid", True, True)

    refund = staff_client.post("/payments/refund/", {"payment_id": payment.pk, "amount": "40.00"}, format="json")

    assert refund.status_code == 200, refund.json()
    assert refund.json()["payment"]["status"] == "partially_refunded"
    assert refund.json()["payment"]["amount_refunded"] == "40.00"
    assert [r.params["amount"] for r in stripe_on.requests if r.path == "/v1/refunds"] == ["4000"]


def test_new_payments_through_an_unoffered_gateway_are_refused(settings, user_client, stripe_on, order):
    settings.PAYMENT_METHODS = OFFERED_AFTER

    response = user_client.post("/payments/create-intent/", {"order_id": order.pk, "payment_method": "stripe"},
                                format="json")

    assert response.status_code == 400
    assert (response.json()["code"], list(response.json()["errors"])) == ("method_unavailable", ["payment_method"])
    assert not Payment.objects.exists()
    assert [m["code"] for m in user_client.get("/payments/methods/").json()] == ["sandbox", "cod"]


def test_an_open_payment_through_an_unoffered_gateway_can_be_cancelled(settings, user_client, stripe_on, order):
    payment = _open_stripe_payment(user_client, order)
    settings.PAYMENT_METHODS = OFFERED_AFTER

    response = user_client.post("/payments/cancel/", {"payment_id": payment.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["payment"]["status"] == "cancelled"
    assert [r.path for r in stripe_on.requests if r.method == "POST"][-1] == \
        f"/v1/payment_intents/{payment.provider_payment_id}/cancel"


def test_expiry_of_an_order_paying_through_an_unoffered_gateway_cancels_it_at_the_gateway(
        settings, user_client, stripe_on, order, django_capture_on_commit_callbacks):
    payment = _open_stripe_payment(user_client, order)
    settings.PAYMENT_METHODS = OFFERED_AFTER

    with django_capture_on_commit_callbacks(execute=True):
        assert order_expire(order_id=order.pk, now=order.payment_deadline) is True

    assert stripe_on.intent(payment.provider_payment_id)["status"] == "canceled"


def test_with_its_keys_gone_too_the_webhook_is_a_503_naming_the_setting_and_a_refund_changes_nothing(
        settings, user_client, staff_client, api_client, stripe_on, order):
    payment = _open_stripe_payment(user_client, order)
    stripe_on.succeed(payment.provider_payment_id)
    assert _deliver(api_client, stripe_on, "payment_intent.succeeded", payment.provider_payment_id).status_code == 200
    settings.PAYMENT_METHODS = OFFERED_AFTER
    settings.STRIPE_SECRET_KEY = ""

    webhook = _deliver(api_client, stripe_on, "charge.refunded", payment.provider_payment_id)
    refund = staff_client.post("/payments/refund/", {"payment_id": payment.pk, "amount": "40.00"}, format="json")

    # An operator's mistake that a gateway's redelivery survives: 503, naming what to set.
    assert webhook.status_code == 503
    assert webhook.json()["code"] == "provider_not_configured"
    assert "STRIPE_SECRET_KEY" in webhook.json()["detail"]
    assert refund.status_code == 503
    assert refund.json()["code"] == "provider_not_configured"
    # Nothing was reserved or recorded: the refund can be asked again once the key is back.
    payment.refresh_from_db()
    assert (payment.amount_refunded, Refund.objects.count()) == (Decimal("0"), 0)
    assert WebhookEvent.objects.count() == 1  # the first, processed, delivery only
