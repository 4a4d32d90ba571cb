"""Seed 000's Stripe flow end to end: our API -> real stripe SDK -> fake Stripe over HTTP -> signed webhooks."""

from decimal import Decimal

import pytest

from shop.orders.models import Order
from shop.orders.services import order_cancel, order_expire
from shop.payments.models import Payment, WebhookEvent

pytestmark = pytest.mark.django_db


def _create_intent(client, order, **extra):
    return client.post("/payments/create-intent/", {"order_id": order.pk, **extra}, format="json")


def _deliver(api_client, fake, event_type, intent_id, **kwargs):
    payload, signature = fake.make_event(event_type, fake.intent(intent_id), **kwargs)
    return api_client.post("/payments/webhook/", data=payload, content_type="application/json",
                           HTTP_STRIPE_SIGNATURE=signature)


def _paid(user_client, api_client, stripe_on, order) -> Payment:
    response = _create_intent(user_client, order)
    payment = Payment.objects.get(pk=response.json()["payment"]["id"])
    stripe_on.succeed(payment.provider_payment_id)
    assert _deliver(api_client, stripe_on, "payment_intent.succeeded", payment.provider_payment_id).status_code == 200
    payment.refresh_from_db()
    return payment


def test_create_intent_opens_a_stripe_payment_intent_in_minor_units(user_client, stripe_on, order):
    response = _create_intent(user_client, order, idempotency_key="checkout-42")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["payment"]["status"] == "pending"
    assert body["payment"]["amount"] == "99.98"
    assert body["payment"]["currency"] == "USD"
    assert body["payment"]["order"] == {
        "id": order.pk, "status": "processing", "total_amount": "99.98",
        "created_at": body["payment"]["order"]["created_at"],
    }
    assert body["payment"]["stripe_payment_intent_id"].startswith("pi_")
    assert body["client_secret"].startswith(body["payment"]["stripe_payment_intent_id"] + "_secret_")
    assert body["publishable_key"] == stripe_on.publishable_key
    created = [r for r in stripe_on.requests if r[0] == "POST" and r[1] == "/v1/payment_intents"]
    assert len(created) == 1
    assert created[0][2]["amount"] == "9998"
    assert created[0][2]["currency"] == "usd"


def test_a_second_create_intent_reuses_the_open_intent(user_client, stripe_on, order):
    first = _create_intent(user_client, order).json()
    second = _create_intent(user_client, order).json()

    assert second["payment"]["id"] == first["payment"]["id"]
    assert second["client_secret"] == first["client_secret"]
    assert Payment.objects.filter(order=order).count() == 1
    assert len([r for r in stripe_on.requests if r[1] == "/v1/payment_intents"]) == 1


def test_create_intent_refuses_other_users_orders_and_closed_orders(other_client, user_client, stripe_on, order):
    assert _create_intent(other_client, order).status_code == 404
    order_cancel(order_id=order.pk, by=order.user)
    response = _create_intent(user_client, order)
    assert response.status_code == 400
    assert response.json()["code"] == "order_not_payable"
    assert Payment.objects.count() == 0


def test_create_intent_refuses_a_currency_other_than_the_shops(user_client, stripe_on, order):
    response = _create_intent(user_client, order, currency="jpy")
    assert response.status_code == 400
    assert response.json()["code"] == "currency_mismatch"


def test_gateway_down_answers_503_records_the_failure_and_a_retry_is_a_new_attempt(
    user_client, stripe_on, order, product
):
    stripe_on.fail_next(1, status=500)
    response = _create_intent(user_client, order)

    assert response.status_code == 503
    assert "Stripe" in response.json()["detail"]
    payment = Payment.objects.get(order=order)
    assert payment.status == "failed" and payment.failure_message
    order.refresh_from_db()
    product.refresh_from_db()
    assert (order.status, order.is_fully_paid, product.stock_quantity) == ("processing", False, 3)

    retry = _create_intent(user_client, order)
    assert retry.status_code == 201
    assert retry.json()["payment"]["id"] != payment.pk
    assert retry.json()["payment"]["status"] == "pending"
    # The attempt that never opened stays on the order, with what went wrong.
    attempts = user_client.get(f"/orders/{order.pk}/").json()["payments"]
    assert [(p["id"], p["status"]) for p in attempts] == [(retry.json()["payment"]["id"], "pending"),
                                                          (payment.pk, "failed")]
    assert attempts[1]["failure_message"] == payment.failure_message


def test_gateway_timeout_answers_503(user_client, stripe_on, settings, order):
    settings.PAYMENT_GATEWAY_TIMEOUT = 0.5
    stripe_on.delay_next(1, 2.0)
    response = _create_intent(user_client, order)
    assert response.status_code == 503
    assert Payment.objects.get(order=order).status == "failed"


def test_succeeded_webhook_marks_payment_and_order_paid_once(user_client, api_client, stripe_on, order):
    payment = _paid(user_client, api_client, stripe_on, order)

    assert payment.status == "succeeded"
    order.refresh_from_db()
    assert (order.status, order.is_fully_paid, order.payment_status) == ("processing", True, "paid")
    status = user_client.get(f"/payments/{payment.pk}/status/").json()
    assert status == {"id": payment.pk, "order_id": order.pk, "status": "succeeded", "status_display": "Succeeded",
                      "is_successful": True}


def test_duplicate_delivery_of_the_same_event_is_acknowledged_and_ignored(user_client, api_client, stripe_on, order):
    payment = Payment.objects.get(pk=_create_intent(user_client, order).json()["payment"]["id"])
    stripe_on.succeed(payment.provider_payment_id)
    payload, signature = stripe_on.make_event("payment_intent.succeeded", stripe_on.intent(payment.provider_payment_id))

    first = api_client.post("/payments/webhook/", data=payload, content_type="application/json",
                            HTTP_STRIPE_SIGNATURE=signature)
    second = api_client.post("/payments/webhook/", data=payload, content_type="application/json",
                             HTTP_STRIPE_SIGNATURE=signature)

    assert first.json()["outcome"] == "succeeded"
    assert second.status_code == 200 and second.json()["outcome"] == "duplicate"
    assert WebhookEvent.objects.count() == 1


@pytest.mark.parametrize("tamper", ["wrong_secret", "stale", "body_changed", "missing"])
def test_forged_or_stale_webhooks_are_rejected_and_change_nothing(user_client, api_client, stripe_on, order, tamper):
    payment = Payment.objects.get(pk=_create_intent(user_client, order).json()["payment"]["id"])
    stripe_on.succeed(payment.provider_payment_id)
    kwargs = {"secret": "whsec_attacker"} if tamper == "wrong_secret" else {}
    if tamper == "stale":
        import time
        kwargs["timestamp"] = int(time.time()) - 3600
    payload, signature = stripe_on.make_event("payment_intent.succeeded", stripe_on.intent(payment.provider_payment_id),
                                              **kwargs)
    if tamper == "body_changed":
        payload = payload.replace(b'"livemode": false', b'"livemode": true')
    headers = {} if tamper == "missing" else {"HTTP_STRIPE_SIGNATURE": signature}

    response = api_client.post("/payments/webhook/", data=payload, content_type="application/json", **headers)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == "pending" and not order.is_fully_paid
    assert WebhookEvent.objects.count() == 0


def test_a_late_failure_never_overrides_success(user_client, api_client, stripe_on, order):
    payment = _paid(user_client, api_client, stripe_on, order)
    # An older "failed" event arrives after success; Stripe's true state (re-read) is still succeeded.
    response = _deliver(api_client, stripe_on, "payment_intent.payment_failed", payment.provider_payment_id)

    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == "succeeded"


def test_failed_webhook_records_the_message_and_leaves_the_order(user_client, api_client, stripe_on, order):
    payment = Payment.objects.get(pk=_create_intent(user_client, order).json()["payment"]["id"])
    stripe_on.fail(payment.provider_payment_id, message="Your card was declined.")

    _deliver(api_client, stripe_on, "payment_intent.payment_failed", payment.provider_payment_id)

    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == "failed"
    assert payment.failure_message == "Your card was declined."
    assert order.status == "processing"
    retry = _create_intent(user_client, order)  # seed step 6: the user can retry with the same intent
    assert retry.status_code == 201 and retry.json()["payment"]["id"] == payment.pk
    # The PaymentIntent is back in requires_payment_method: the same attempt and client_secret take the new try.
    assert (retry.json()["payment"]["status"], retry.json()["client_secret"]) == ("pending", payment.client_secret)
    assert retry.json()["payment"]["failure_message"] == "Your card was declined."  # the last try's outcome
    assert Payment.objects.filter(order=order).count() == 1


def test_a_failed_attempt_whose_intent_cannot_take_a_new_try_gets_a_new_attempt(user_client, api_client, stripe_on,
                                                                                 order):
    payment = Payment.objects.get(pk=_create_intent(user_client, order).json()["payment"]["id"])
    stripe_on.fail(payment.provider_payment_id)
    _deliver(api_client, stripe_on, "payment_intent.payment_failed", payment.provider_payment_id)
    stripe_on.set_status(payment.provider_payment_id, "canceled")

    retry = _create_intent(user_client, order)

    assert retry.status_code == 201
    assert retry.json()["payment"]["id"] != payment.pk
    assert retry.json()["payment"]["provider_payment_id"] != payment.provider_payment_id
    assert list(Payment.objects.filter(order=order).values_list("pk", "status")) == [
        (retry.json()["payment"]["id"], "pending"), (payment.pk, "failed")]


def test_canceled_webhook_cancels_payment_and_order_and_restores_stock(user_client, api_client, stripe_on, order,
                                                                      product):
    payment = Payment.objects.get(pk=_create_intent(user_client, order).json()["payment"]["id"])
    stripe_on.set_status(payment.provider_payment_id, "canceled")

    _deliver(api_client, stripe_on, "payment_intent.canceled", payment.provider_payment_id)
    _deliver(api_client, stripe_on, "payment_intent.canceled", payment.provider_payment_id)  # a second event

    payment.refresh_from_db()
    order.refresh_from_db()
    product.refresh_from_db()
    assert payment.status == "cancelled"
    assert (order.status, order.cancel_reason) == ("cancelled", "payment_cancelled")
    assert product.stock_quantity == 5


def test_cancel_payment_cancels_at_stripe_then_the_order(user_client, stripe_on, order, product):
    payment_id = _create_intent(user_client, order).json()["payment"]["id"]

    response = user_client.post("/payments/cancel/", {"payment_id": payment_id}, format="json")

    assert response.status_code == 200
    assert response.json()["message"] == "Payment cancelled successfully."
    assert response.json()["payment"]["status"] == "cancelled"
    payment = Payment.objects.get(pk=payment_id)
    assert stripe_on.intent(payment.provider_payment_id)["status"] == "canceled"
    order.refresh_from_db()
    product.refresh_from_db()
    assert order.status == "cancelled" and product.stock_quantity == 5
    again = user_client.post("/payments/cancel/", {"payment_id": payment_id}, format="json")
    assert again.status_code == 400


def test_cancelling_the_order_cancels_its_open_payment_at_stripe(
    user_client, stripe_on, order, django_capture_on_commit_callbacks
):
    payment_id = _create_intent(user_client, order).json()["payment"]["id"]

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(f"/orders/{order.pk}/cancel/")

    assert response.status_code == 200
    payment = Payment.objects.get(pk=payment_id)
    assert payment.status == "cancelled"
    assert stripe_on.intent(payment.provider_payment_id)["status"] == "canceled"


def test_full_refund_cancels_the_order_and_restores_stock(user_client, api_client, stripe_on, order, product):
    payment = _paid(user_client, api_client, stripe_on, order)

    response = user_client.post("/payments/refund/", {"payment_id": payment.pk, "reason": "requested_by_customer"},
                                format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["payment"]["status"] == "refunded"
    assert response.json()["payment"]["amount_refunded"] == "99.98"
    order.refresh_from_db()
    product.refresh_from_db()
    assert (order.status, order.payment_status, order.is_fully_paid) == ("cancelled", "refunded", False)
    assert product.stock_quantity == 5
    refunds = [r for r in stripe_on.requests if r[1] == "/v1/refunds"]
    assert refunds[0][2]["amount"] == "9998" and refunds[0][2]["reason"] == "requested_by_customer"


def test_partial_refunds_add_up_and_can_never_exceed_the_payment(
    staff_client, user_client, api_client, stripe_on, order
):
    payment = _paid(user_client, api_client, stripe_on, order)

    first = staff_client.post("/payments/refund/", {"payment_id": payment.pk, "amount": "40.00"}, format="json")
    too_much = staff_client.post("/payments/refund/", {"payment_id": payment.pk, "amount": "60.00"}, format="json")
    rest = staff_client.post("/payments/refund/", {"payment_id": payment.pk, "amount": "59.98"}, format="json")

    assert first.status_code == 200 and first.json()["payment"]["status"] == "partially_refunded"
    assert too_much.status_code == 400 and too_much.json()["code"] == "refund_exceeds_balance"
    assert rest.status_code == 200 and rest.json()["payment"]["status"] == "refunded"
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("99.98")


def test_refund_of_an_unpaid_payment_is_refused(user_client, stripe_on, order):
    payment_id = _create_intent(user_client, order).json()["payment"]["id"]
    response = user_client.post("/payments/refund/", {"payment_id": payment_id}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "not_refundable"


def test_payment_endpoints_hide_other_users_payments(user_client, other_client, staff_client, stripe_on, order):
    payment_id = _create_intent(user_client, order).json()["payment"]["id"]

    for path in (f"/payments/{payment_id}/", f"/payments/{payment_id}/status/", f"/payments/order/{order.pk}/"):
        assert other_client.get(path).status_code == 404, path
        assert staff_client.get(path).status_code == 200, path
        assert user_client.get(path).status_code == 200, path
    for path, body in (("/payments/cancel/", {"payment_id": payment_id}),
                       ("/payments/refund/", {"payment_id": payment_id}),
                       ("/payments/sync-status/", {"payment_id": payment_id})):
        assert other_client.post(path, body, format="json").status_code == 404, path
    assert other_client.get("/payments/").json()["count"] == 0
    assert Payment.objects.get(pk=payment_id).status == "pending"


def test_anonymous_callers_get_401_everywhere_but_the_webhook(api_client, stripe_on):
    for path in ("/payments/", "/payments/config/", "/payments/statistics/", "/payments/1/"):
        assert api_client.get(path).status_code == 401, path
    assert api_client.post("/payments/create-intent/", {"order_id": 1}, format="json").status_code == 401


def test_sync_status_pulls_the_gateways_truth(user_client, stripe_on, order):
    body = _create_intent(user_client, order).json()
    stripe_on.succeed(body["payment"]["stripe_payment_intent_id"])

    response = user_client.post("/payments/sync-status/",
                                {"payment_intent_id": body["payment"]["stripe_payment_intent_id"]}, format="json")

    assert response.status_code == 200
    assert response.json()["payment"]["status"] == "succeeded"
    order.refresh_from_db()
    assert order.is_fully_paid


def test_paid_after_expiry_is_flagged_and_refunded_not_resurrected(
    user_client, api_client, stripe_on, order, product, django_capture_on_commit_callbacks
):
    payment = Payment.objects.get(pk=_create_intent(user_client, order).json()["payment"]["id"])
    with django_capture_on_commit_callbacks(execute=False):
        assert order_expire(order_id=order.pk, now=order.payment_deadline) is True
    Payment.objects.filter(pk=payment.pk).update(status="pending")  # the gateway cancel has not landed yet
    stripe_on.succeed(payment.provider_payment_id)

    with django_capture_on_commit_callbacks(execute=True):
        _deliver(api_client, stripe_on, "payment_intent.succeeded", payment.provider_payment_id)

    order.refresh_from_db()
    payment.refresh_from_db()
    product.refresh_from_db()
    assert order.status == "cancelled" and not order.needs_refund  # the money went back: nothing left to refund
    assert payment.flagged and payment.status == "refunded"
    assert not order.is_fully_paid
    assert product.stock_quantity == 5  # restored once, by the expiry


def test_statistics_and_list_filter(user_client, api_client, stripe_on, order):
    _paid(user_client, api_client, stripe_on, order)

    stats = user_client.get("/payments/statistics/").json()
    assert stats["total_payments"] == 1 and stats["succeeded_count"] == 1 and stats["total_spent"] == "99.98"
    assert user_client.get("/payments/?status=succeeded").json()["count"] == 1
    assert user_client.get("/payments/?status=failed").json()["count"] == 0
    assert user_client.get("/payments/?status=bogus").status_code == 400


def test_config_and_methods(user_client, api_client, stripe_on):
    assert user_client.get("/payments/config/").json() == {"publishable_key": stripe_on.publishable_key,
                                                           "currency": "USD"}
    methods = api_client.get("/payments/methods/").json()
    # Paymob and IntaSend are listed in PAYMENT_METHODS but have no keys here: they are not offered.
    assert [(m["id"], m["code"]) for m in methods] == [(1, "stripe"), (4, "sandbox"), (5, "cod")]
    assert {m["code"]: m["kind"] for m in methods}["cod"] == "direct"


def test_order_shows_is_fully_paid_recalculated_on_every_change(
    staff_client, user_client, api_client, stripe_on, order
):
    payment = _paid(user_client, api_client, stripe_on, order)
    assert Order.objects.get(pk=order.pk).is_fully_paid
    paid_at = Order.objects.get(pk=order.pk).paid_at
    staff_client.post("/payments/refund/", {"payment_id": payment.pk, "amount": "0.01"}, format="json")
    order.refresh_from_db()
    # A partial refund never makes a paid order unpaid: still paid in full once, part of it returned.
    assert (order.is_fully_paid, order.payment_status, order.paid_at) == (True, "partially_refunded", paid_at)
    staff_client.post("/payments/refund/", {"payment_id": payment.pk}, format="json")
    order.refresh_from_db()
    # Everything returned: no longer fully paid, cancelled by the refund, but it was paid (paid_at is history).
    assert (order.is_fully_paid, order.payment_status, order.status, order.paid_at) == (
        False, "refunded", "cancelled", paid_at)
