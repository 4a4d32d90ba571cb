"""Seed 001's Paymob flow end to end: our API -> PaymobProvider -> fake Paymob over HTTP -> HMAC-signed callbacks.

Identifiers: ``provider_payment_id`` is Paymob's numeric order id (signed into every callback as ``obj.order.id``),
``provider_invoice_id`` the intention id. A failed payment cancels the order and restores its stock (the
Paymob-era API's behaviour, ``PAYMENT_FAILURE_RELEASES_ORDER`` lists paymob by default); with the retry policy the
stock stays reserved (hard reservation) until the customer retries or the payment deadline expires the order.
"""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from shop.cart.tests.factories import CartItemFactory
from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order
from shop.orders.services import expire_unpaid_orders
from shop.orders.tests.factories import place_order
from shop.payments.models import Payment, Refund, WebhookEvent

pytestmark = pytest.mark.django_db

INQUIRY = "/api/ecommerce/orders/transaction_inquiry"
CALLBACK = "/payments/webhooks/paymob/"


def _create_intent(client, order, **extra):
    return client.post("/payments/create-intent/", {"order_id": order.pk, "payment_method": "paymob", **extra},
                       format="json")


def _started(user_client, order) -> Payment:
    response = _create_intent(user_client, order)
    assert response.status_code == 201, response.json()
    return Payment.objects.get(pk=response.json()["payment"]["id"])


def _callback(api_client, body: bytes, query: dict):
    return api_client.post(f"{CALLBACK}?{urlencode(query)}", data=body, content_type="application/json")


def _paid(user_client, api_client, fake, order) -> Payment:
    payment = _started(user_client, order)
    response = _callback(api_client, *fake.complete(payment.provider_invoice_id))
    assert response.json() == {"received": True, "outcome": "succeeded"}
    payment.refresh_from_db()
    return payment


def test_create_intent_opens_an_intention_and_answers_the_unified_checkout_url(user_client, paymob_on, order):
    response = _create_intent(user_client, order)

    assert response.status_code == 201, response.json()
    body = response.json()
    payment = Payment.objects.get(pk=body["payment"]["id"])
    intention = paymob_on.intention(payment.provider_invoice_id)
    expected_url = (f"{paymob_on.base_url}/unifiedcheckout/?"
                    + urlencode({"publicKey": paymob_on.public_key, "clientSecret": intention["client_secret"]}))
    assert body["checkout_url"] == body["next_step"] == expected_url
    assert body["client_secret"] == intention["client_secret"]
    assert body["publishable_key"] is None
    assert body["payment"]["provider"] == "paymob"
    assert (body["payment"]["status"], body["payment"]["amount"], body["payment"]["currency"]) == (
        "pending", "99.98", "EGP")
    assert body["payment"]["provider_payment_id"] == str(intention["intention_order_id"])
    assert body["payment"]["provider_invoice_id"] == intention["id"]
    assert body["payment"]["stripe_payment_intent_id"] is None
    sent = paymob_on.requests_to("POST", "/v1/intention/")[0].params
    assert (sent["amount"], sent["currency"], sent["special_reference"]) == (9998, "EGP", f"pay_{payment.pk}")
    assert sent["notification_url"].endswith("/payments/webhooks/paymob/")


def test_create_intent_refuses_paymob_when_the_shop_does_not_price_in_egp(user_client, paymob_on, settings, order):
    settings.SHOP_CURRENCY = "USD"
    response = _create_intent(user_client, order)
    assert response.status_code == 400
    assert response.json()["code"] == "unsupported_currency"
    assert Payment.objects.count() == 0 and paymob_on.requests == []


def test_success_callback_marks_payment_succeeded_and_order_fully_paid(user_client, api_client, paymob_on, order):
    payment = _paid(user_client, api_client, paymob_on, order)

    assert payment.status == "succeeded" and payment.succeeded_at is not None
    order.refresh_from_db()
    assert (order.status, order.is_fully_paid, order.payment_status) == ("processing", True, "paid")
    # With the api_key configured the callback is only a trigger: the transaction was re-read from Paymob.
    assert len(paymob_on.requests_to("POST", INQUIRY)) == 1
    assert user_client.get(f"/payments/{payment.pk}/status/").json()["status"] == "succeeded"


@pytest.mark.parametrize("path", [CALLBACK, "/webhook/"])  # the Paymob-era API's callback path is an alias
def test_by_default_a_failed_payment_fails_the_order_and_restores_the_stock(
    user, user_client, api_client, paymob_on, order, product, path
):
    payment = _started(user_client, order)
    body, query = paymob_on.complete(payment.provider_invoice_id, success=False)

    response = api_client.post(f"{path}?{urlencode(query)}", data=body, content_type="application/json")

    assert response.status_code == 200
    assert response.json() == {"received": True, "outcome": "failed"}
    payment.refresh_from_db()
    order.refresh_from_db()
    product.refresh_from_db()
    assert (payment.status, payment.failure_message) == ("failed", "Do not honor")
    assert (order.status, order.cancel_reason, order.is_fully_paid, product.stock_quantity) == (
        "cancelled", "payment_failed", False, 5)
    seen = user_client.get(f"/orders/{order.pk}/").json()
    assert (seen["status"], seen["payment_outcome"]) == ("cancelled", "failed")
    assert [(p["id"], p["status"], p["failure_message"]) for p in seen["payments"]] == [
        (payment.pk, "failed", "Do not honor")]
    retry = _create_intent(user_client, order)
    assert (retry.status_code, retry.json()["code"]) == (400, "order_not_payable")


def test_with_the_retry_policy_a_failed_payment_leaves_the_order_reserved_and_a_retry_is_a_new_attempt(
    user_client, api_client, paymob_on, settings, order, product
):
    settings.PAYMENT_FAILURE_RELEASES_ORDER = []
    payment = _started(user_client, order)

    response = _callback(api_client, *paymob_on.complete(payment.provider_invoice_id, success=False))

    assert response.json() == {"received": True, "outcome": "failed"}
    order.refresh_from_db()
    product.refresh_from_db()
    # Hard reservation: the stock stays taken and the order open until a retry pays or the deadline expires it.
    assert (order.status, order.is_fully_paid, product.stock_quantity) == ("processing", False, 3)
    assert user_client.get(f"/orders/{order.pk}/").json()["payment_outcome"] == "pending"
    retry = _create_intent(user_client, order)
    assert retry.status_code == 201
    assert retry.json()["payment"]["id"] != payment.pk and retry.json()["payment"]["status"] == "pending"
    assert retry.json()["payment"]["provider_payment_id"] != payment.provider_payment_id  # a fresh intention
    attempts = user_client.get(f"/orders/{order.pk}/").json()["payments"]
    assert [(p["id"], p["status"], p["failure_message"]) for p in attempts] == [
        (retry.json()["payment"]["id"], "pending", ""), (payment.pk, "failed", "Do not honor")]


def test_the_intention_carries_a_ten_minute_expiry_by_default(user_client, paymob_on, settings, order):
    _started(user_client, order)
    settings.PAYMOB_INTENTION_EXPIRATION = 0  # Paymob's own default: the field is not sent
    settings.PAYMENT_FAILURE_RELEASES_ORDER = []
    other = place_order(user=order.user, product=ProductFactory(price=Decimal("5.00"), stock_quantity=1))
    _started(user_client, other)

    sent = [r.params for r in paymob_on.requests_to("POST", "/v1/intention/")]
    assert sent[0]["expiration"] == 600
    assert "expiration" not in sent[1]


@pytest.mark.parametrize("tamper", ["wrong_secret", "missing_hmac", "body_changed"])
def test_bad_or_missing_hmac_is_a_400_and_changes_nothing(user_client, api_client, paymob_on, order, tamper):
    payment = _started(user_client, order)
    paymob_on.complete(payment.provider_invoice_id, success=True)  # the customer paid; the callback is forged
    txn = paymob_on.transactions_for(payment.provider_invoice_id)[-1]
    body, query = paymob_on.callback(txn["id"], secret="attacker" if tamper == "wrong_secret" else None)
    if tamper == "missing_hmac":
        query = {}
    if tamper == "body_changed":
        forged = body.replace(b'"amount_cents": 9998', b'"amount_cents": 1')
        assert forged != body
        body = forged

    response = _callback(api_client, body, query)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == "pending" and not order.is_fully_paid
    assert WebhookEvent.objects.count() == 0


def test_duplicate_callback_is_acknowledged_as_duplicate(user_client, api_client, paymob_on, order):
    payment = _started(user_client, order)
    body, query = paymob_on.complete(payment.provider_invoice_id)

    first = _callback(api_client, body, query)
    second = _callback(api_client, body, query)

    assert first.json()["outcome"] == "succeeded"
    assert second.status_code == 200
    assert second.json() == {"received": True, "outcome": "duplicate"}
    assert WebhookEvent.objects.filter(provider="paymob").count() == 1


def test_without_the_api_key_the_hmac_verified_callback_is_acted_on(user_client, api_client, paymob_on, settings,
                                                                    order):
    settings.PAYMOB_API_KEY = ""
    payment = _started(user_client, order)

    response = _callback(api_client, *paymob_on.complete(payment.provider_invoice_id))

    assert response.status_code == 200
    assert response.json()["outcome"] == "succeeded"
    assert paymob_on.requests_to("POST", INQUIRY) == []  # nothing could be re-read
    order.refresh_from_db()
    assert order.is_fully_paid


def test_a_callback_for_a_wrong_amount_is_flagged_not_paid(user_client, api_client, paymob_on, settings, order):
    settings.PAYMOB_API_KEY = ""
    payment = _started(user_client, order)
    with paymob_on.lock:  # Paymob charged less than the intention (a misconfigured integration)
        paymob_on.complete(payment.provider_invoice_id)
        txn = paymob_on.transactions_for(payment.provider_invoice_id)[-1]
        paymob_on.transactions[txn["id"]]["amount_cents"] = 100
        body, query = paymob_on.callback(txn["id"])

    response = _callback(api_client, body, query)

    assert response.json()["outcome"] == "flagged_mismatch"
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.flagged and payment.status == "pending" and not order.is_fully_paid


def test_gateway_500_on_create_is_a_503_that_changes_nothing_but_the_attempt(
    user_client, paymob_on, order, product
):
    paymob_on.fail_next(1, status=500)

    response = _create_intent(user_client, order)

    assert response.status_code == 503
    assert response.json()["code"] == "gateway_unavailable" and "Paymob" in response.json()["detail"]
    payment = Payment.objects.get(order=order)
    # The customer reads general words on the order (the gateway's own are logged: test_gateway_failures.py).
    assert (payment.status, payment.failure_message) == (
        "failed", "Paymob is not responding right now. Nothing was charged; please try again in a few minutes.")
    assert payment.provider_payment_id == "" and payment.checkout_url == ""
    order.refresh_from_db()
    product.refresh_from_db()
    assert (order.status, order.is_fully_paid, product.stock_quantity) == ("processing", False, 3)


def test_gateway_timeout_on_create_is_a_503(user_client, paymob_on, settings, order):
    settings.PAYMENT_GATEWAY_TIMEOUT = 0.5
    paymob_on.delay_next(1, 2.0)

    response = _create_intent(user_client, order)

    assert response.status_code == 503
    assert response.json()["code"] == "gateway_unavailable"
    assert Payment.objects.get(order=order).status == "failed"


def test_full_refund_through_paymob_cancels_the_order_and_restores_stock(
    user_client, api_client, paymob_on, order, product
):
    payment = _paid(user_client, api_client, paymob_on, order)
    paid_txn = paymob_on.transactions_for(payment.provider_invoice_id)[-1]

    response = user_client.post("/payments/refund/", {"payment_id": payment.pk, "reason": "requested_by_customer"},
                                format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["message"] == "Payment refunded successfully."
    assert (response.json()["payment"]["status"], response.json()["payment"]["amount_refunded"]) == (
        "refunded", "99.98")
    sent = paymob_on.requests_to("POST", "/api/acceptance/void_refund/refund")[0].params
    assert sent == {"transaction_id": paid_txn["id"], "amount_cents": 9998}
    refund = Refund.objects.get(payment=payment)
    assert refund.status == "succeeded" and refund.provider_refund_id
    order.refresh_from_db()
    product.refresh_from_db()
    assert (order.status, order.payment_status, order.is_fully_paid) == ("cancelled", "refunded", False)
    assert product.stock_quantity == 5

    # Paymob then calls back about the refund transaction: no state of its own, so the payment is re-read.
    refund_txn = paymob_on.transactions_for(payment.provider_invoice_id)[-1]
    callback = _callback(api_client, *paymob_on.callback(refund_txn["id"]))
    assert callback.json() == {"received": True, "outcome": "refunded"}
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("refunded", Decimal("99.98"))


def test_partial_refund_through_paymob_keeps_the_order(
    staff_client, user_client, api_client, paymob_on, order, product
):
    payment = _paid(user_client, api_client, paymob_on, order)

    response = staff_client.post("/payments/refund/", {"payment_id": payment.pk, "amount": "40.00"}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["payment"]["status"] == "partially_refunded"
    assert response.json()["payment"]["amount_refunded"] == "40.00"
    assert paymob_on.requests_to("POST", "/api/acceptance/void_refund/refund")[0].params["amount_cents"] == 4000
    order.refresh_from_db()
    product.refresh_from_db()
    assert (order.status, order.payment_status, order.is_fully_paid) == ("processing", "partially_refunded", True)
    assert product.stock_quantity == 3
    refund_txn = paymob_on.transactions_for(payment.provider_invoice_id)[-1]
    assert _callback(api_client, *paymob_on.callback(refund_txn["id"])).json()["outcome"] == "partially_refunded"


def test_refund_without_the_api_key_is_a_503_and_releases_the_reserved_amount(
    user_client, api_client, paymob_on, settings, order
):
    payment = _paid(user_client, api_client, paymob_on, order)
    settings.PAYMOB_API_KEY = ""

    response = user_client.post("/payments/refund/", {"payment_id": payment.pk}, format="json")

    assert response.status_code == 503
    assert response.json()["code"] == "gateway_unavailable"
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("succeeded", Decimal("0.00"))
    assert Refund.objects.get(payment=payment).status == "failed"


@pytest.mark.parametrize("api_key", [True, False])
def test_cancelling_an_unpaid_paymob_payment_closes_our_side(user_client, paymob_on, settings, order, product,
                                                             api_key):
    payment = _started(user_client, order)
    if not api_key:
        settings.PAYMOB_API_KEY = ""  # Paymob cannot even be asked: the unpaid intention lapses on its own

    response = user_client.post("/payments/cancel/", {"payment_id": payment.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["payment"]["status"] == "cancelled"
    order.refresh_from_db()
    product.refresh_from_db()
    assert (order.status, product.stock_quantity) == ("cancelled", 5)
    assert paymob_on.requests_to("POST", "/api/acceptance/void_refund/void") == []  # nothing was paid to void


def test_sync_before_and_after_the_customer_paid(user_client, paymob_on, order):
    payment = _started(user_client, order)

    before = user_client.post("/payments/sync-status/", {"payment_id": payment.pk}, format="json")
    paymob_on.complete(payment.provider_invoice_id)  # paid, but the callback is lost: the sync finds it
    after = user_client.post("/payments/sync-status/", {"payment_id": payment.pk}, format="json")

    assert before.status_code == 200 and before.json()["payment"]["status"] == "pending"
    assert after.status_code == 200 and after.json()["payment"]["status"] == "succeeded"
    order.refresh_from_db()
    assert order.is_fully_paid


def test_sync_when_paymob_is_down_is_a_503(user_client, paymob_on, order):
    payment = _started(user_client, order)
    paymob_on.fail_next(2, status=502)

    response = user_client.post("/payments/sync-status/", {"payment_id": payment.pk}, format="json")

    assert response.status_code == 503
    assert response.json()["code"] == "gateway_unavailable"


def test_a_callback_and_its_duplicate_stay_within_their_query_budgets(
    user_client, api_client, paymob_on, order, django_assert_max_num_queries
):
    payment = _started(user_client, order)
    body, query = paymob_on.complete(payment.provider_invoice_id)

    # dedupe row, payment lookup, order+payment locks, recalculation (with the voucher ledger's conditional UPDATE)
    with django_assert_max_num_queries(17):
        assert _callback(api_client, body, query).json()["outcome"] == "succeeded"
    with django_assert_max_num_queries(2):  # a redelivery is one lookup
        assert _callback(api_client, body, query).json()["outcome"] == "duplicate"


# --- Clients written for the Paymob direct-order API --------------------------------------------------------------

@pytest.fixture
def paymob_only(settings, paymob_on):
    settings.PAYMENT_METHODS = ["paymob"]
    return paymob_on


@pytest.mark.parametrize("outcome", ["success", "failed", "timeout"])
def test_a_direct_order_without_a_method_opens_paymob_and_ends_in_the_paymob_era_states(
    user, user_client, api_client, paymob_only, outcome
):
    first = ProductFactory(price=Decimal("10.00"), stock_quantity=3)
    second = ProductFactory(price=Decimal("2.50"), stock_quantity=4)
    CartItemFactory(cart__user=user, product=first, quantity=1)

    response = user_client.post("/api/v1/orders/", {"cart_items": [{"product_id": first.pk, "quantity": 1},
                                                                   {"product_id": second.pk, "quantity": 4}]},
                                format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    intention = paymob_only.intention(body["payments"][0]["provider_invoice_id"])
    expected_url = (f"{paymob_only.base_url}/unifiedcheckout/?"
                    + urlencode({"publicKey": paymob_only.public_key, "clientSecret": intention["client_secret"]}))
    assert body["payment_url"] == body["next_step"] == expected_url
    assert [(p["provider"], p["status"], p["amount"]) for p in body["payments"]] == [("paymob", "pending", "20.00")]
    assert (body["payment_method"], body["payment_outcome"]) == ("paymob", "pending")
    assert paymob_only.requests_to("POST", "/v1/intention/")[0].params["expiration"] == 600
    assert user_client.get("/cart/").json()["items"] == []
    assert (_stock(first), _stock(second)) == (2, 0)

    if outcome == "timeout":
        Order.objects.filter(pk=body["id"]).update(payment_deadline=timezone.now() - timedelta(seconds=1))
        assert expire_unpaid_orders() == 1
    else:
        callback = paymob_only.complete(intention["id"], success=outcome == "success")
        assert _callback(api_client, *callback).json()["outcome"] == ("succeeded" if outcome == "success"
                                                                      else "failed")

    order = user_client.get(f"/orders/{body['id']}/").json()
    assert order["payment_outcome"] == outcome
    assert order["status"] == ("processing" if outcome == "success" else "cancelled")
    assert (_stock(first), _stock(second)) == ((2, 0) if outcome == "success" else (3, 4))


def _stock(product) -> int:
    product.refresh_from_db()
    return product.stock_quantity
