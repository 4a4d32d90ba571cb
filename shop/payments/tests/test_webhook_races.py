"""Concurrent deliveries of the same webhook on PostgreSQL: real row locks, one transition, no 500s."""

from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient

from shop.payments.models import Payment, WebhookEvent
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DELIVERIES = 6


def _concurrently(post) -> list:
    """``post(client)`` delivered DELIVERIES times at once, each on a fresh client: ``(status, body)`` per delivery."""

    def deliver():
        response = post(APIClient())
        return response.status_code, response.json()

    return run_concurrently(*[deliver] * DELIVERIES)


def _start(user_client, order, method: str) -> Payment:
    response = user_client.post("/payments/create-intent/", {"order_id": order.pk, "payment_method": method},
                                format="json")
    assert response.status_code == 201, response.json()
    return Payment.objects.get(pk=response.json()["payment"]["id"])


def _assert_paid_once(results, payment: Payment, order) -> None:
    assert all(status == 200 for status, _ in results), results
    assert {body["outcome"] for _, body in results} <= {"succeeded", "duplicate"}, results
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == "succeeded"
    assert (order.is_fully_paid, order.payment_status) == (True, "paid")
    assert WebhookEvent.objects.filter(provider=payment.provider).count() == 1


def test_concurrent_first_intasend_webhooks_bind_the_invoice_once(user_client, intasend_on, order):
    payment = _start(user_client, order, "intasend")
    checkout_id = payment.provider_payment_id
    body = intasend_on.complete(checkout_id)

    results = _concurrently(lambda c: c.post("/payments/webhooks/intasend/", data=body,
                                             content_type="application/json"))

    _assert_paid_once(results, payment, order)
    assert (payment.provider_payment_id, payment.provider_invoice_id) == (
        intasend_on.checkout(checkout_id)["_invoice"], checkout_id)


def test_concurrent_paymob_callbacks_pay_once(user_client, paymob_on, order):
    payment = _start(user_client, order, "paymob")
    body, query = paymob_on.complete(payment.provider_invoice_id)

    results = _concurrently(lambda c: c.post(f"/payments/webhooks/paymob/?{urlencode(query)}", data=body,
                                             content_type="application/json"))

    _assert_paid_once(results, payment, order)


def test_concurrent_events_for_one_failed_stripe_refund_release_its_amount_once(
    staff_client, user_client, stripe_on, order
):
    from decimal import Decimal

    from shop.payments.models import Refund

    payment = _start(user_client, order, "stripe")
    stripe_on.succeed(payment.provider_payment_id)
    assert user_client.post("/payments/sync-status/", {"payment_id": payment.pk}, format="json").status_code == 200
    stripe_on.next_refund_status = "pending"
    refunded = staff_client.post("/payments/refund/", {"payment_id": payment.pk, "amount": "40.00"}, format="json")
    assert refunded.status_code == 200, refunded.json()
    refund = Refund.objects.get(payment=payment)
    failed = stripe_on.settle_refund(refund.provider_refund_id, "failed", failure_reason="declined")
    # Distinct events (distinct ids, so no dedupe) about the same refund, all at once.
    types = ["refund.failed", "refund.updated", "charge.refund.updated"] * 2
    events = [stripe_on.make_event(event_type, failed) for event_type in types]

    def post(client):
        payload, signature = events.pop()
        return client.post("/payments/webhook/", data=payload, content_type="application/json",
                           HTTP_STRIPE_SIGNATURE=signature)

    results = _concurrently(post)

    assert all(status == 200 for status, _ in results), results
    outcomes = [body["outcome"] for _, body in results]
    assert outcomes.count("refund_failed") == 1, results
    # The others re-read the payment before or after the settlement committed: what it was then, nothing more.
    assert set(outcomes) - {"refund_failed"} <= {"partially_refunded", "succeeded"}, results
    payment.refresh_from_db()
    order.refresh_from_db()
    refund.refresh_from_db()
    assert (payment.status, payment.amount_refunded, payment.flagged) == ("succeeded", Decimal("0.00"), True)
    assert (order.is_fully_paid, order.payment_status) == (True, "paid")
    assert (refund.status, refund.failure_message) == ("failed", "declined")
