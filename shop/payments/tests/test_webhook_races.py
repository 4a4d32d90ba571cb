"""Concurrent deliveries of the same webhook on PostgreSQL: real row locks, one transition, no 500s."""

import threading
from urllib.parse import urlencode

import pytest
from django.db import connection
from rest_framework.test import APIClient

from shop.payments.models import Payment, WebhookEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DELIVERIES = 6


def _concurrently(post) -> list:
    barrier = threading.Barrier(DELIVERIES)
    results: list = [None] * DELIVERIES

    def deliver(i: int) -> None:
        try:
            barrier.wait()
            response = post(APIClient())
            results[i] = (response.status_code, response.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(DELIVERIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


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
