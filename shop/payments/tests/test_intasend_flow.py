"""Seed 004's IntaSend flow end to end: our API -> IntaSendProvider -> fake IntaSend over HTTP -> challenge webhooks.

Identifiers: the payment starts with the checkout id in ``provider_payment_id`` and an empty invoice id. The first
webhook is matched by ``api_ref`` (``pay_<pk>``); the invoice it names (re-read from IntaSend, which must echo our
``api_ref``) becomes ``provider_payment_id`` for status reads and chargebacks, and the checkout id moves to
``provider_invoice_id``.
"""

from decimal import Decimal

import pytest

from shop.payments.models import Payment, Refund, WebhookEvent
from shop.payments.tasks import cancel_payment_at_gateway

pytestmark = pytest.mark.django_db

WEBHOOK = "/payments/webhooks/intasend/"
CHARGEBACKS = "/api/v1/chargebacks/"


def _create_intent(client, order, **extra):
    return client.post("/payments/create-intent/", {"order_id": order.pk, "payment_method": "intasend", **extra},
                       format="json")


def _started(user_client, order) -> Payment:
    response = _create_intent(user_client, order)
    assert response.status_code == 201, response.json()
    return Payment.objects.get(pk=response.json()["payment"]["id"])


def _deliver(api_client, body: bytes):
    return api_client.post(WEBHOOK, data=body, content_type="application/json")


def _paid(user_client, api_client, fake, order) -> Payment:
    payment = _started(user_client, order)
    assert _deliver(api_client, fake.complete(payment.provider_payment_id)).json()["outcome"] == "succeeded"
    payment.refresh_from_db()
    return payment


def test_create_intent_opens_a_hosted_checkout(user_client, intasend_on, order):
    response = _create_intent(user_client, order)

    assert response.status_code == 201, response.json()
    body = response.json()
    checkout_id = body["payment"]["provider_payment_id"]
    checkout = intasend_on.checkout(checkout_id)
    assert body["checkout_url"] == body["next_step"] == checkout["url"]
    assert body["client_secret"] is None
    assert (body["payment"]["provider"], body["payment"]["status"], body["payment"]["amount"],
            body["payment"]["currency"], body["payment"]["provider_invoice_id"]) == (
        "intasend", "pending", "99.98", "KES", "")
    assert (checkout["amount"], checkout["currency"], checkout["api_ref"]) == (
        "99.98", "KES", f"pay_{body['payment']['id']}")


def test_complete_webhook_succeeds_the_payment_and_stores_the_invoice_id(user_client, api_client, intasend_on,
                                                                         order):
    payment = _started(user_client, order)
    checkout_id = payment.provider_payment_id

    response = _deliver(api_client, intasend_on.complete(checkout_id))

    assert response.status_code == 200
    assert response.json() == {"received": True, "outcome": "succeeded"}
    payment.refresh_from_db()
    invoice_id = intasend_on.checkout(checkout_id)["_invoice"]
    assert (payment.status, payment.provider_payment_id, payment.provider_invoice_id) == (
        "succeeded", invoice_id, checkout_id)
    # The webhook was only a trigger: the invoice was re-read with IntaSend's status endpoint.
    assert intasend_on.requests_to("POST", "/api/v1/payment/status/")[0].params["invoice_id"] == invoice_id
    order.refresh_from_db()
    assert (order.is_fully_paid, order.payment_status) == (True, "paid")
    synced = user_client.post("/payments/sync-status/", {"payment_id": payment.pk}, format="json")
    assert synced.status_code == 200 and synced.json()["payment"]["status"] == "succeeded"


def test_wrong_challenge_is_a_400_and_changes_nothing(user_client, api_client, intasend_on, order):
    payment = _started(user_client, order)

    response = _deliver(api_client, intasend_on.complete(payment.provider_payment_id, challenge="guessed"))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    payment.refresh_from_db()
    order.refresh_from_db()
    assert (payment.status, payment.provider_invoice_id, order.is_fully_paid) == ("pending", "", False)
    assert WebhookEvent.objects.count() == 0


def test_failed_webhook_records_the_reason_and_leaves_the_order(user_client, api_client, intasend_on, order,
                                                                 product):
    payment = _started(user_client, order)

    response = _deliver(api_client, intasend_on.complete(payment.provider_payment_id, "FAILED",
                                                         failed_reason="Insufficient balance"))

    assert response.json() == {"received": True, "outcome": "failed"}
    payment.refresh_from_db()
    order.refresh_from_db()
    product.refresh_from_db()
    assert (payment.status, payment.failure_message) == ("failed", "Insufficient balance")
    assert (order.status, order.is_fully_paid, product.stock_quantity) == ("processing", False, 3)


def test_a_new_checkout_after_a_failed_attempt_is_a_new_attempt_and_the_failed_one_stays(
    user_client, api_client, intasend_on, order
):
    payment = _started(user_client, order)
    _deliver(api_client, intasend_on.complete(payment.provider_payment_id, "FAILED",
                                              failed_reason="Request cancelled by user"))

    retry = _create_intent(user_client, order, payment_method="intasend")

    assert retry.status_code == 201
    assert retry.json()["payment"]["id"] != payment.pk
    assert retry.json()["checkout_url"] != payment.checkout_url  # a fresh hosted checkout
    attempts = user_client.get(f"/orders/{order.pk}/").json()["payments"]
    assert [(p["id"], p["status"], p["failure_message"]) for p in attempts] == [
        (retry.json()["payment"]["id"], "pending", ""), (payment.pk, "failed", "Request cancelled by user")]
    again = _create_intent(user_client, order)  # the open attempt is answered again, not a third one
    assert again.json()["payment"]["id"] == retry.json()["payment"]["id"]


def test_processing_then_complete_and_duplicates_ignored(user_client, api_client, intasend_on, order):
    payment = _started(user_client, order)
    processing = intasend_on.complete(payment.provider_payment_id, "PROCESSING")

    assert _deliver(api_client, processing).json()["outcome"] == "processing"
    assert _deliver(api_client, processing).json()["outcome"] == "duplicate"
    payment.refresh_from_db()
    assert payment.status == "processing"

    complete = intasend_on.complete(payment.provider_payment_id)
    assert _deliver(api_client, complete).json()["outcome"] == "succeeded"
    assert _deliver(api_client, complete).json()["outcome"] == "duplicate"
    assert WebhookEvent.objects.filter(provider="intasend").count() == 2
    payment.refresh_from_db()
    assert payment.status == "succeeded"


def test_a_webhook_naming_another_payments_reference_binds_nothing(user_client, api_client, intasend_on, order,
                                                                   user, product):
    from shop.orders.tests.factories import place_order

    payment = _started(user_client, order)
    other_order = place_order(user=user, product=product, quantity=1)
    other = _started(user_client, other_order)
    body = intasend_on.complete(other.provider_payment_id)  # the 49.99 order is paid ...
    forged = body.replace(f'"pay_{other.pk}"'.encode(), f'"pay_{payment.pk}"'.encode())  # ... and claimed for 99.98
    invoice_id = intasend_on.checkout(other.provider_payment_id)["_invoice"]

    response = _deliver(api_client, forged)

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored: the invoice belongs to another payment"
    payment.refresh_from_db()
    assert (payment.status, payment.provider_invoice_id) == ("pending", "")
    assert payment.provider_payment_id != invoice_id


def test_refund_is_a_chargeback_on_the_invoice(user_client, api_client, intasend_on, order, product):
    payment = _paid(user_client, api_client, intasend_on, order)

    response = user_client.post("/payments/refund/", {"payment_id": payment.pk, "reason": "requested_by_customer"},
                                format="json")

    assert response.status_code == 200, response.json()
    assert (response.json()["payment"]["status"], response.json()["payment"]["amount_refunded"]) == (
        "refunded", "99.98")
    sent = intasend_on.requests_to("POST", CHARGEBACKS)[0].params
    assert (sent["invoice"], sent["amount"]) == (payment.provider_payment_id, "99.98")
    refund = Refund.objects.get(payment=payment)
    assert (refund.status, refund.provider_refund_id) == ("pending", "CB00001")  # IntaSend settles it later
    order.refresh_from_db()
    product.refresh_from_db()
    assert (order.status, order.payment_status, product.stock_quantity) == ("cancelled", "refunded", 5)

    # The chargeback webhook carries no payment state: the invoice is re-read (nothing moves backwards) and the
    # pending refund is settled.
    settled = _deliver(api_client, intasend_on.resolve_chargeback(1))
    assert settled.json() == {"received": True, "outcome": "refund_succeeded"}
    payment.refresh_from_db()
    refund.refresh_from_db()
    assert (payment.status, payment.amount_refunded, refund.status) == ("refunded", Decimal("99.98"), "succeeded")


def test_a_cancelled_chargeback_releases_the_amount_and_flags_the_payment(
    staff_client, user_client, api_client, intasend_on, order
):
    payment = _paid(user_client, api_client, intasend_on, order)
    assert staff_client.post("/payments/refund/", {"payment_id": payment.pk, "amount": "10.00"},
                            format="json").status_code == 200

    response = _deliver(api_client, intasend_on.resolve_chargeback(1, "CANCELLED"))

    assert response.json() == {"received": True, "outcome": "refund_failed"}
    payment.refresh_from_db()
    order.refresh_from_db()
    assert (payment.status, payment.amount_refunded, payment.flagged) == ("succeeded", Decimal("0.00"), True)
    assert Refund.objects.get(payment=payment).status == "failed"
    assert (order.is_fully_paid, order.payment_status) == (True, "paid")


def test_partial_chargeback(staff_client, user_client, api_client, intasend_on, order):
    payment = _paid(user_client, api_client, intasend_on, order)

    response = staff_client.post("/payments/refund/", {"payment_id": payment.pk, "amount": "10.00"}, format="json")

    assert response.status_code == 200
    assert response.json()["payment"]["status"] == "partially_refunded"
    assert intasend_on.requests_to("POST", CHARGEBACKS)[0].params["amount"] == "10.00"


def test_cancel_closes_our_side_although_intasend_cannot_cancel(user_client, intasend_on, order, product):
    payment = _started(user_client, order)

    response = user_client.post("/payments/cancel/", {"payment_id": payment.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["payment"]["status"] == "cancelled"
    order.refresh_from_db()
    product.refresh_from_db()
    assert (order.status, order.cancel_reason, product.stock_quantity) == ("cancelled", "payment_cancelled", 5)
    assert cancel_payment_at_gateway(payment.pk) == "nothing to cancel at the gateway"


def test_cancelling_the_order_closes_the_payment_and_the_task_does_not_fail(
    user_client, intasend_on, order, django_capture_on_commit_callbacks
):
    payment = _started(user_client, order)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = user_client.post(f"/orders/{order.pk}/cancel/")

    assert response.status_code == 200
    assert callbacks  # the gateway task ran after commit and answered instead of raising
    payment.refresh_from_db()
    assert payment.status == "cancelled"


def test_paid_after_a_local_cancel_is_flagged_and_charged_back(
    user_client, api_client, intasend_on, order, product, django_capture_on_commit_callbacks
):
    payment = _started(user_client, order)
    assert user_client.post("/payments/cancel/", {"payment_id": payment.pk}, format="json").status_code == 200

    # The hosted checkout was still open at IntaSend and the customer paid it anyway.
    with django_capture_on_commit_callbacks(execute=True):
        response = _deliver(api_client, intasend_on.complete(payment.provider_payment_id))

    assert response.status_code == 200
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.flagged and payment.status == "refunded"
    # refunded: the shop holds nothing for the cancelled order any more
    assert order.status == "cancelled" and not order.needs_refund and not order.is_fully_paid
    assert intasend_on.requests_to("POST", CHARGEBACKS)[0].params["invoice"] == payment.provider_payment_id


def test_a_second_invoice_on_the_same_checkout_pays_after_a_failed_one(user_client, api_client, intasend_on, order):
    payment = _started(user_client, order)
    checkout_id = payment.provider_payment_id
    assert _deliver(api_client, intasend_on.complete(checkout_id, "FAILED")).json()["outcome"] == "failed"
    first_invoice = intasend_on.checkout(checkout_id)["_invoice"]
    with intasend_on.lock:  # the customer tries again on the still-open hosted page: IntaSend opens a new invoice
        intasend_on.checkouts[checkout_id]["_invoice"] = None

    response = _deliver(api_client, intasend_on.complete(checkout_id))

    assert response.json() == {"received": True, "outcome": "succeeded"}
    second_invoice = intasend_on.checkout(checkout_id)["_invoice"]
    payment.refresh_from_db()
    assert second_invoice != first_invoice
    assert (payment.status, payment.provider_payment_id, payment.provider_invoice_id) == (
        "succeeded", second_invoice, checkout_id)
    # The first invoice's FAILED webhook delivered again late never moves the payment off the paid invoice.
    late = _deliver(api_client, intasend_on.webhook(first_invoice))
    assert late.json()["outcome"] in ("duplicate", "ignored_stale")
    payment.refresh_from_db()
    assert (payment.status, payment.provider_payment_id) == ("succeeded", second_invoice)


def test_status_read_failing_is_a_503_and_the_redelivery_is_processed(user_client, api_client, intasend_on, order):
    payment = _started(user_client, order)
    body = intasend_on.complete(payment.provider_payment_id)
    intasend_on.fail_next(1, status=500)  # IntaSend's status endpoint is down when the webhook arrives

    first = _deliver(api_client, body)

    assert first.status_code == 503
    assert first.json()["code"] == "gateway_unavailable"
    payment.refresh_from_db()
    assert (payment.status, payment.provider_invoice_id) == ("pending", "")
    # Kept, unprocessed (as the schema's 503 says): the redelivery is acted on, not answered "duplicate".
    assert list(WebhookEvent.objects.values_list("provider", "processed_at")) == [("intasend", None)]
    retried = _deliver(api_client, body)
    assert retried.status_code == 200 and retried.json()["outcome"] == "succeeded"


def test_sync_before_the_customer_paid_is_pending_not_an_error(user_client, intasend_on, order):
    payment = _started(user_client, order)

    response = user_client.post("/payments/sync-status/", {"payment_id": payment.pk}, format="json")

    assert response.status_code == 200
    assert response.json()["payment"]["status"] == "pending"
    assert intasend_on.requests_to("POST", "/api/v1/payment/status/") == []  # a checkout id cannot be read
