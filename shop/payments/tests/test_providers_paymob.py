"""PaymobProvider against FakePaymob over real HTTP, plus the HMAC against Paymob's published example."""

import hashlib
import hmac
import json
import time
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from shop.payments.providers.base import (
    Customer,
    GatewayRejected,
    GatewayUnavailable,
    LineItem,
    PaymentRequest,
    PaymentStatus,
    RefundStatus,
    WebhookVerificationError,
)
from shop.payments.providers.paymob import PaymobProvider, compute_transaction_hmac, hmac_message

# Paymob's HMAC documentation: the worked example's transaction and the string it concatenates to.
GOLDEN_STRING = (
    "1000002024-06-13T11:33:44.592345EGPfalsefalse1920364654097558truefalsefalsefalsetruefalse"
    "217503754302852false2346MasterCardcardtrue"
)
GOLDEN_OBJ = {
    "id": 192036465,
    "pending": False,
    "amount_cents": 100000,
    "success": True,
    "is_auth": False,
    "is_capture": False,
    "is_standalone_payment": True,
    "is_voided": False,
    "is_refunded": False,
    "is_3d_secure": True,
    "integration_id": 4097558,
    "has_parent_transaction": False,
    "order": {"id": 217503754, "merchant_order_id": "pay_1"},
    "created_at": "2024-06-13T11:33:44.592345",
    "currency": "EGP",
    "source_data": {"pan": "2346", "type": "card", "sub_type": "MasterCard"},
    "error_occured": False,
    "owner": 302852,
}


def test_hmac_message_reproduces_paymobs_worked_example():
    assert hmac_message(GOLDEN_OBJ) == GOLDEN_STRING


def test_compute_transaction_hmac_is_sha512_of_that_string():
    expected = hmac.new(b"HMAC_SECRET", GOLDEN_STRING.encode(), hashlib.sha512).hexdigest()
    assert compute_transaction_hmac(GOLDEN_OBJ, "HMAC_SECRET") == expected
    assert len(expected) == 128


def test_the_get_redirect_shape_signs_the_same():
    flat = {
        key: (str(value).lower() if isinstance(value, bool) else str(value))
        for key, value in GOLDEN_OBJ.items()
        if not isinstance(value, dict)
    }
    flat.update({"order": "217503754", "source_data.pan": "2346", "source_data.sub_type": "MasterCard"})
    flat["source_data.type"] = "card"
    assert hmac_message(flat) == GOLDEN_STRING


# -- fixtures ---------------------------------------------------------------------------------------


def _provider(fake, **overrides):
    values = {
        "secret_key": fake.secret_key,
        "public_key": fake.public_key,
        "hmac_secret": fake.hmac_secret,
        "integration_ids": fake.integration_ids,
        "api_base": fake.base_url,
        "api_key": fake.api_key,
        "timeout": 0.5,
    }
    return PaymobProvider(**{**values, **overrides})


@pytest.fixture
def provider(fake_paymob):
    return _provider(fake_paymob)


def _request(**overrides):
    values = {
        "reference": "pay_42",
        "order_id": 42,
        "amount": Decimal("250.00"),
        "currency": "egp",
        "customer": Customer(
            email="buyer@example.com", first_name="Mona", last_name="Ali", phone="+201000000000"
        ),
        "items": (LineItem("Mug", Decimal("100.00"), 2), LineItem("Tea", Decimal("50.00"), 1)),
        "description": "Order #42",
        "return_url": "https://shop.example/orders/42/",
        "notification_url": "https://api.shop.example/payments/webhooks/paymob/",
    }
    return PaymentRequest(**{**values, **overrides})


def _paid(provider, fake_paymob):
    payment = provider.create_payment(_request())
    body, query = fake_paymob.complete(payment.provider_payment_id)
    return payment, json.loads(body)["obj"]


# -- create -----------------------------------------------------------------------------------------


def test_create_intention_on_the_wire(provider, fake_paymob):
    payment = provider.create_payment(_request())

    (sent,) = fake_paymob.requests_to("POST", "/v1/intention/")
    assert sent.headers["authorization"] == f"Token {fake_paymob.secret_key}"
    assert sent.params["amount"] == 25000
    assert sent.params["currency"] == "EGP"
    assert sent.params["payment_methods"] == [4097558]
    assert sent.params["items"] == [
        {"name": "Mug", "amount": 10000, "quantity": 2},
        {"name": "Tea", "amount": 5000, "quantity": 1},
    ]
    assert sent.params["special_reference"] == "pay_42"
    assert sent.params["notification_url"] == "https://api.shop.example/payments/webhooks/paymob/"
    assert sent.params["redirection_url"] == "https://shop.example/orders/42/"
    billing = sent.params["billing_data"]
    assert (billing["first_name"], billing["last_name"], billing["email"]) == (
        "Mona",
        "Ali",
        "buyer@example.com",
    )
    assert billing["phone_number"] == "+201000000000"
    assert billing["city"] == "NA"  # blanks are filled: Paymob rejects empty billing fields

    intention = fake_paymob.intention("pay_42")
    assert payment.provider_payment_id == str(intention["intention_order_id"])
    assert payment.provider_invoice_id == intention["id"]
    assert payment.client_secret == intention["client_secret"]
    assert payment.status == PaymentStatus.PENDING
    assert payment.amount == Decimal("250.00")
    assert payment.currency == "EGP"


def test_checkout_url_is_the_unified_checkout(provider, fake_paymob):
    payment = provider.create_payment(_request())

    url = urlsplit(payment.checkout_url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{fake_paymob.base_url}/unifiedcheckout/"
    assert parse_qs(url.query) == {
        "publicKey": [fake_paymob.public_key],
        "clientSecret": [payment.client_secret],
    }


def test_items_that_do_not_add_up_become_one_line(provider, fake_paymob):
    provider.create_payment(_request(amount=Decimal("270.00")))  # e.g. 20.00 shipping on top of the items
    assert fake_paymob.requests[-1].params["items"] == [{"name": "Order #42", "amount": 27000, "quantity": 1}]


def test_expiration_is_sent_when_configured(fake_paymob):
    _provider(fake_paymob, intention_expiration=600).create_payment(_request())
    assert fake_paymob.requests[-1].params["expiration"] == 600


def test_unsupported_currency_and_bad_amount_never_reach_paymob(provider, fake_paymob):
    with pytest.raises(GatewayRejected) as currency_error:
        provider.create_payment(_request(currency="USD"))
    assert currency_error.value.code == "unsupported_currency"
    with pytest.raises(GatewayRejected) as amount_error:
        provider.create_payment(_request(amount=Decimal("250.005")))
    assert amount_error.value.code == "invalid_amount"
    assert fake_paymob.requests == []


def test_unknown_integration_is_rejected_with_paymobs_message(fake_paymob):
    with pytest.raises(GatewayRejected, match="Integration ID/Name does not exist") as excinfo:
        _provider(fake_paymob, integration_ids=(1,)).create_payment(_request())
    assert excinfo.value.code == "not_found"


def test_wrong_secret_key_is_an_operator_problem(fake_paymob):
    with pytest.raises(GatewayUnavailable) as excinfo:
        _provider(fake_paymob, secret_key="egy_sk_test_wrong").create_payment(_request())
    assert excinfo.value.code == "gateway_auth"
    assert excinfo.value.retryable is False


# -- callbacks --------------------------------------------------------------------------------------


def test_successful_transaction_callback(provider, fake_paymob):
    payment = provider.create_payment(_request())
    body, query = fake_paymob.complete("pay_42")
    txn = json.loads(body)["obj"]

    event = provider.parse_webhook(body=body, headers={"Content-Type": "application/json"}, query=query)
    assert event.provider == "paymob"
    assert event.event_type == "TRANSACTION"
    assert event.event_id == f"{txn['id']}:succeeded"
    assert event.provider_payment_id == payment.provider_payment_id
    assert event.reference == "pay_42"
    assert event.status == PaymentStatus.SUCCEEDED
    assert event.amount == Decimal("250.00")
    assert event.currency == "EGP"
    assert event.raw["obj"]["id"] == txn["id"]


@pytest.mark.parametrize(
    ("success", "pending", "expected", "message"),
    [
        (False, False, PaymentStatus.FAILED, "Do not honor"),
        (False, True, PaymentStatus.PENDING, ""),
    ],
)
def test_failed_and_pending_callbacks(provider, fake_paymob, success, pending, expected, message):
    provider.create_payment(_request())
    body, query = fake_paymob.complete("pay_42", success=success, pending=pending)

    event = provider.parse_webhook(body=body, headers={}, query=query)
    assert event.status == expected
    assert event.failure_message == message
    assert event.event_id.endswith(f":{expected}")


def test_get_redirect_callback_is_verified(provider, fake_paymob):
    payment, txn = _paid(provider, fake_paymob)
    query = fake_paymob.redirect_query(txn["id"])

    event = provider.parse_webhook(body=b"", headers={}, query=query)
    assert event.status == PaymentStatus.SUCCEEDED
    assert event.provider_payment_id == payment.provider_payment_id
    assert event.amount == Decimal("250.00")

    query["success"] = "false"
    with pytest.raises(WebhookVerificationError, match="HMAC does not match"):
        provider.parse_webhook(body=b"", headers={}, query=query)


def test_tampered_callback_is_rejected(provider, fake_paymob):
    provider.create_payment(_request())
    body, query = fake_paymob.complete("pay_42", success=False)
    payload = json.loads(body)
    payload["obj"]["success"] = True

    with pytest.raises(WebhookVerificationError) as excinfo:
        provider.parse_webhook(body=json.dumps(payload).encode(), headers={}, query=query)
    assert excinfo.value.code == "bad_signature"


def test_callback_signed_with_another_secret_is_rejected(provider, fake_paymob):
    payment, txn = _paid(provider, fake_paymob)
    body, query = fake_paymob.callback(txn["id"], secret="NOT_OUR_SECRET")
    with pytest.raises(WebhookVerificationError, match="HMAC does not match"):
        provider.parse_webhook(body=body, headers={}, query=query)


def test_callback_without_hmac_or_with_garbage_is_rejected(provider, fake_paymob):
    payment, txn = _paid(provider, fake_paymob)
    body, query = fake_paymob.callback(txn["id"])

    with pytest.raises(WebhookVerificationError) as missing:
        provider.parse_webhook(body=body, headers={}, query={})
    assert missing.value.code == "missing_signature"
    with pytest.raises(WebhookVerificationError) as garbage:
        provider.parse_webhook(body=b"{not json", headers={}, query=query)
    assert garbage.value.code == "bad_body"
    with pytest.raises(WebhookVerificationError) as no_obj:
        provider.parse_webhook(body=b'{"type": "TRANSACTION"}', headers={}, query=query)
    assert no_obj.value.code == "bad_body"


# -- retrieve ---------------------------------------------------------------------------------------


def test_retrieve_before_the_customer_pays(provider, fake_paymob):
    payment = provider.create_payment(_request())
    with pytest.raises(GatewayRejected, match="has not paid") as excinfo:
        provider.retrieve_payment(payment.provider_payment_id)
    assert excinfo.value.code == "no_transaction"


def test_retrieve_reads_the_transaction_inquiry(provider, fake_paymob):
    payment, txn = _paid(provider, fake_paymob)

    current = provider.retrieve_payment(payment.provider_payment_id)
    assert current.status == PaymentStatus.SUCCEEDED
    assert current.provider_payment_id == payment.provider_payment_id
    assert current.provider_invoice_id == payment.provider_invoice_id
    assert current.amount == Decimal("250.00")
    assert current.raw["id"] == txn["id"]
    inquiry = fake_paymob.requests_to("POST", "/api/ecommerce/orders/transaction_inquiry")[-1]
    assert inquiry.params["order_id"] == payment.provider_payment_id
    assert inquiry.params["auth_token"].startswith("legacy_")


def test_the_legacy_auth_token_is_reused(provider, fake_paymob):
    payment, _ = _paid(provider, fake_paymob)
    provider.retrieve_payment(payment.provider_payment_id)
    provider.retrieve_payment(payment.provider_payment_id)

    tokens = fake_paymob.requests_to("POST", "/api/auth/tokens")
    assert len(tokens) == 1
    assert tokens[0].params == {"api_key": fake_paymob.api_key}


def test_an_expired_auth_token_is_renewed(provider, fake_paymob):
    payment, _ = _paid(provider, fake_paymob)
    provider.retrieve_payment(payment.provider_payment_id)
    fake_paymob.auth_tokens.clear()  # Paymob expired it

    assert provider.retrieve_payment(payment.provider_payment_id).status == PaymentStatus.SUCCEEDED
    assert len(fake_paymob.requests_to("POST", "/api/auth/tokens")) == 2


def test_retrieve_a_failed_payment(provider, fake_paymob):
    payment = provider.create_payment(_request())
    fake_paymob.complete("pay_42", success=False, message="Insufficient funds")

    current = provider.retrieve_payment(payment.provider_payment_id)
    assert current.status == PaymentStatus.FAILED
    assert current.failure_message == "Insufficient funds"


def test_reads_need_the_legacy_api_key(fake_paymob):
    provider = _provider(fake_paymob, api_key="")
    payment = provider.create_payment(_request())
    with pytest.raises(GatewayUnavailable) as excinfo:
        provider.retrieve_payment(payment.provider_payment_id)
    assert excinfo.value.code == "not_configured"
    assert excinfo.value.retryable is False


# -- refund and void --------------------------------------------------------------------------------


def test_partial_then_full_refund(provider, fake_paymob):
    payment, txn = _paid(provider, fake_paymob)

    partial = provider.refund_payment(payment.provider_payment_id, amount=Decimal("100.00"), currency="EGP")
    assert partial.status == RefundStatus.SUCCEEDED
    assert partial.amount == Decimal("100.00")
    assert partial.currency == "EGP"
    assert partial.provider_refund_id not in ("", str(txn["id"]))
    sent = fake_paymob.requests_to("POST", "/api/acceptance/void_refund/refund")[-1]
    assert sent.headers["authorization"] == f"Token {fake_paymob.secret_key}"
    assert sent.params == {"transaction_id": txn["id"], "amount_cents": 10000}

    # The inquiry now answers with the refund transaction; the provider follows it back to the payment.
    after_partial = provider.retrieve_payment(payment.provider_payment_id)
    assert after_partial.status == PaymentStatus.PARTIALLY_REFUNDED
    assert after_partial.amount_refunded == Decimal("100.00")
    assert after_partial.raw["id"] == txn["id"]

    provider.refund_payment(payment.provider_payment_id, amount=Decimal("150.00"), currency="EGP")
    after_full = provider.retrieve_payment(payment.provider_payment_id)
    assert after_full.status == PaymentStatus.REFUNDED
    assert after_full.amount_refunded == Decimal("250.00")


def test_over_refund_is_rejected(provider, fake_paymob):
    payment, txn = _paid(provider, fake_paymob)
    with pytest.raises(GatewayRejected, match="exceeds refundable amount"):
        provider.refund_payment(payment.provider_payment_id, amount=Decimal("250.01"), currency="EGP")
    assert fake_paymob.transactions[txn["id"]]["refunded_amount_cents"] == 0


def test_refund_before_payment_is_rejected(provider, fake_paymob):
    payment = provider.create_payment(_request())
    with pytest.raises(GatewayRejected) as excinfo:
        provider.refund_payment(payment.provider_payment_id, amount=Decimal("1.00"), currency="EGP")
    assert excinfo.value.code == "no_transaction"


def test_refund_callback_is_not_a_payment_state(provider, fake_paymob):
    payment, _ = _paid(provider, fake_paymob)
    refund = provider.refund_payment(payment.provider_payment_id, amount=Decimal("50.00"), currency="EGP")
    body, query = fake_paymob.callback(int(refund.provider_refund_id))

    event = provider.parse_webhook(body=body, headers={}, query=query)
    assert event.status is None
    assert event.event_id == f"{refund.provider_refund_id}:reversal"
    assert event.provider_payment_id == payment.provider_payment_id
    assert event.amount == Decimal("50.00")


def test_void_a_paid_transaction(provider, fake_paymob):
    payment, txn = _paid(provider, fake_paymob)

    cancelled = provider.cancel_payment(payment.provider_payment_id)
    assert cancelled.status == PaymentStatus.CANCELLED
    assert cancelled.amount == Decimal("250.00")
    assert fake_paymob.requests_to("POST", "/api/acceptance/void_refund/void")[-1].params == {
        "transaction_id": txn["id"]
    }
    assert provider.retrieve_payment(payment.provider_payment_id).status == PaymentStatus.CANCELLED


def test_cancel_before_payment_is_not_possible(provider, fake_paymob):
    payment = provider.create_payment(_request())
    with pytest.raises(GatewayRejected) as excinfo:
        provider.cancel_payment(payment.provider_payment_id)
    assert excinfo.value.code == "not_cancellable"


def test_void_after_a_refund_is_rejected_by_paymob(provider, fake_paymob):
    payment, _ = _paid(provider, fake_paymob)
    provider.refund_payment(payment.provider_payment_id, amount=Decimal("10.00"), currency="EGP")
    with pytest.raises(GatewayRejected, match="can not be voided"):
        provider.cancel_payment(payment.provider_payment_id)


# -- gateway failures -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_errors_are_unavailable(provider, fake_paymob, status):
    fake_paymob.fail_next(1, status=status)
    with pytest.raises(GatewayUnavailable) as excinfo:
        provider.create_payment(_request())
    assert excinfo.value.retryable is True
    assert fake_paymob.intentions == {}


def test_a_body_that_is_not_json_is_unavailable(provider, fake_paymob):
    fake_paymob.garble_next()
    with pytest.raises(GatewayUnavailable) as excinfo:
        provider.create_payment(_request())
    assert excinfo.value.code == "gateway_bad_response"


def test_a_slow_gateway_times_out(provider, fake_paymob):
    fake_paymob.delay_next(1, seconds=2.0)
    started = time.monotonic()
    with pytest.raises(GatewayUnavailable) as excinfo:
        provider.create_payment(_request())
    assert time.monotonic() - started < 1.5
    assert excinfo.value.code == "gateway_timeout"
