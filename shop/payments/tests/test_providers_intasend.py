"""IntaSendProvider against FakeIntaSend over real HTTP."""

import json
import time
from decimal import Decimal

import pytest

from shop.payments.providers.base import (
    Customer,
    GatewayRejected,
    GatewayUnavailable,
    PaymentRequest,
    PaymentStatus,
    RefundStatus,
    WebhookVerificationError,
)
from shop.payments.providers.intasend import IntaSendProvider


def _provider(fake, **overrides):
    values = {
        "publishable_key": fake.publishable_key,
        "secret_key": fake.secret_key,
        "webhook_challenge": fake.webhook_challenge,
        "api_base": fake.base_url,
        "timeout": 0.5,
    }
    return IntaSendProvider(**{**values, **overrides})


@pytest.fixture
def provider(fake_intasend):
    return _provider(fake_intasend)


def _request(**overrides):
    values = {
        "reference": "pay_42",
        "order_id": 42,
        "amount": Decimal("1500"),
        "currency": "kes",
        "customer": Customer(
            email="buyer@example.com",
            first_name="Wanjiru",
            last_name="Kamau",
            phone="254712345678",
            city="Nairobi",
        ),
        "description": "Order #42",
        "return_url": "https://shop.example/orders/42/",
    }
    return PaymentRequest(**{**values, **overrides})


def _webhook(provider, body):
    return provider.parse_webhook(body=body, headers={"Content-Type": "application/json"}, query={})


def _paid(provider, fake_intasend, **overrides):
    checkout = provider.create_payment(_request(**overrides))
    event = _webhook(provider, fake_intasend.complete(checkout.provider_payment_id))
    return checkout, event.provider_payment_id


# -- create -----------------------------------------------------------------------------------------


def test_create_checkout_on_the_wire(provider, fake_intasend):
    payment = provider.create_payment(_request())

    (sent,) = fake_intasend.requests_to("POST", "/api/v1/checkout/")
    assert sent.headers["intasend_public_api_key"] == fake_intasend.publishable_key
    assert "authorization" not in sent.headers  # the checkout is a public-key call
    assert sent.params["public_key"] == fake_intasend.publishable_key
    assert sent.params["amount"] == "1500.00"  # a decimal string in major units, never a float
    assert sent.params["currency"] == "KES"
    assert sent.params["api_ref"] == "pay_42"
    assert (sent.params["email"], sent.params["first_name"], sent.params["last_name"]) == (
        "buyer@example.com",
        "Wanjiru",
        "Kamau",
    )
    assert sent.params["redirect_url"] == "https://shop.example/orders/42/"
    assert sent.params["host"] == "https://shop.example"
    assert sent.params["city"] == "Nairobi"
    assert "state" not in sent.params  # blank optional fields are left for the hosted page to ask

    checkout = fake_intasend.checkout(payment.provider_payment_id)
    assert payment.checkout_url == checkout["url"]
    assert payment.provider_invoice_id == ""  # no invoice until the customer starts paying
    assert payment.status == PaymentStatus.PENDING
    assert payment.amount == Decimal("1500.00")
    assert payment.currency == "KES"


def test_unsupported_currency_and_bad_amount_never_reach_intasend(provider, fake_intasend):
    with pytest.raises(GatewayRejected) as currency_error:
        provider.create_payment(_request(currency="EGP"))
    assert currency_error.value.code == "unsupported_currency"
    with pytest.raises(GatewayRejected) as amount_error:
        provider.create_payment(_request(amount=Decimal("10.005")))
    assert amount_error.value.code == "invalid_amount"
    assert fake_intasend.requests == []


def test_wrong_public_key_is_rejected_with_intasends_message(fake_intasend):
    with pytest.raises(GatewayRejected, match="Invalid public key"):
        _provider(fake_intasend, publishable_key="ISPubKey_test_wrong").create_payment(_request())


# -- webhooks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("PENDING", PaymentStatus.PENDING),
        ("PROCESSING", PaymentStatus.PROCESSING),
        ("COMPLETE", PaymentStatus.SUCCEEDED),
        ("FAILED", PaymentStatus.FAILED),
    ],
)
def test_webhook_states(provider, fake_intasend, state, expected):
    checkout = provider.create_payment(_request())
    body = fake_intasend.complete(checkout.provider_payment_id, state, failed_reason="Insufficient balance")
    invoice_id = json.loads(body)["invoice_id"]

    event = _webhook(provider, body)
    assert event.provider == "intasend"
    assert event.event_id == f"{invoice_id}:{state}"
    assert event.event_type == f"invoice.{state.lower()}"
    assert event.provider_payment_id == invoice_id
    assert event.reference == "pay_42"
    assert event.status == expected
    assert event.amount == Decimal("1500.00")
    assert event.currency == "KES"
    assert event.failure_message == ("Insufficient balance" if state == "FAILED" else "")


def test_wrong_challenge_is_rejected(provider, fake_intasend):
    checkout = provider.create_payment(_request())
    body = fake_intasend.complete(checkout.provider_payment_id, challenge="guessed")
    with pytest.raises(WebhookVerificationError) as excinfo:
        _webhook(provider, body)
    assert excinfo.value.code == "bad_signature"


def test_missing_challenge_and_garbage_are_rejected(provider, fake_intasend):
    checkout = provider.create_payment(_request())
    payload = json.loads(fake_intasend.complete(checkout.provider_payment_id))
    del payload["challenge"]

    with pytest.raises(WebhookVerificationError) as missing:
        _webhook(provider, json.dumps(payload).encode())
    assert missing.value.code == "missing_signature"
    with pytest.raises(WebhookVerificationError) as garbage:
        _webhook(provider, b"state=COMPLETE")
    assert garbage.value.code == "bad_body"
    with pytest.raises(WebhookVerificationError) as not_object:
        _webhook(provider, b"[1, 2]")
    assert not_object.value.code == "bad_body"


def test_an_unconfigured_challenge_accepts_nothing(fake_intasend):
    provider = _provider(fake_intasend, webhook_challenge="")
    checkout = provider.create_payment(_request())
    with pytest.raises(WebhookVerificationError):
        _webhook(provider, fake_intasend.complete(checkout.provider_payment_id, challenge=""))


# -- retrieve ---------------------------------------------------------------------------------------


def test_retrieve_by_invoice_id(provider, fake_intasend):
    checkout, invoice_id = _paid(provider, fake_intasend)

    current = provider.retrieve_payment(invoice_id)
    assert current.status == PaymentStatus.SUCCEEDED
    assert current.provider_payment_id == invoice_id
    assert current.provider_invoice_id == invoice_id
    assert current.amount == Decimal("1500.00")
    assert current.currency == "KES"
    assert current.raw["invoice"]["api_ref"] == "pay_42"
    sent = fake_intasend.requests_to("POST", "/api/v1/payment/status/")[-1]
    assert sent.params == {"invoice_id": invoice_id, "public_key": fake_intasend.publishable_key}


def test_retrieve_a_failed_invoice(provider, fake_intasend):
    checkout = provider.create_payment(_request())
    body = fake_intasend.complete(
        checkout.provider_payment_id, "FAILED", failed_reason="Request cancelled by user"
    )
    invoice_id = json.loads(body)["invoice_id"]

    current = provider.retrieve_payment(invoice_id)
    assert current.status == PaymentStatus.FAILED
    assert current.failure_message == "Request cancelled by user"


def test_retrieve_with_a_checkout_id_is_rejected(provider):
    checkout = provider.create_payment(_request())
    with pytest.raises(GatewayRejected) as excinfo:
        provider.retrieve_payment(checkout.provider_payment_id)
    assert excinfo.value.code == "not_found"


# -- refunds (chargebacks) and cancel ---------------------------------------------------------------


def test_partial_and_full_refund_are_chargebacks(provider, fake_intasend):
    _, invoice_id = _paid(provider, fake_intasend)

    partial = provider.refund_payment(
        invoice_id, amount=Decimal("500"), currency="KES", reason="Damaged item"
    )
    assert partial.status == RefundStatus.PENDING  # IntaSend reviews chargebacks before paying out
    assert partial.amount == Decimal("500.00")
    assert partial.currency == "KES"
    sent = fake_intasend.requests_to("POST", "/api/v1/chargebacks/")[-1]
    assert sent.headers["authorization"] == f"Bearer {fake_intasend.secret_key}"
    assert sent.params == {"invoice": invoice_id, "amount": "500.00", "reason": "Damaged item"}

    rest = provider.refund_payment(invoice_id, amount=Decimal("1000.00"), currency="KES")
    assert rest.amount == Decimal("1000.00")
    assert fake_intasend.requests_to("POST", "/api/v1/chargebacks/")[-1].params["reason"] == (
        "Refund requested by the merchant"  # IntaSend requires a reason
    )
    assert rest.provider_refund_id != partial.provider_refund_id


def test_over_refund_is_rejected(provider, fake_intasend):
    _, invoice_id = _paid(provider, fake_intasend)
    with pytest.raises(GatewayRejected, match="equal or less than the billed amount"):
        provider.refund_payment(invoice_id, amount=Decimal("1500.01"), currency="KES")
    assert fake_intasend.chargebacks == {}


def test_refund_in_the_wrong_currency_is_refused(provider, fake_intasend):
    _, invoice_id = _paid(provider, fake_intasend)
    with pytest.raises(GatewayRejected) as excinfo:
        provider.refund_payment(invoice_id, amount=Decimal("10.00"), currency="USD")
    assert excinfo.value.code == "currency_mismatch"
    assert fake_intasend.chargebacks == {}


def test_wrong_secret_key_on_refund_is_an_operator_problem(fake_intasend):
    provider = _provider(fake_intasend, secret_key="ISSecretKey_test_wrong")
    _, invoice_id = _paid(provider, fake_intasend)
    with pytest.raises(GatewayUnavailable) as excinfo:
        provider.refund_payment(invoice_id, amount=Decimal("10.00"), currency="KES")
    assert excinfo.value.code == "gateway_auth"
    assert excinfo.value.retryable is False


def test_chargeback_webhook_carries_no_payment_status(provider, fake_intasend):
    _, invoice_id = _paid(provider, fake_intasend)
    refund = provider.refund_payment(invoice_id, amount=Decimal("200.00"), currency="KES")
    body = fake_intasend.resolve_chargeback(int(refund.provider_refund_id.removeprefix("CB")), "COMPLETED")

    event = _webhook(provider, body)
    assert event.event_id == f"chargeback:{refund.provider_refund_id}:COMPLETED"
    assert event.event_type == "chargeback.completed"
    assert event.status is None
    assert event.provider_payment_id == invoice_id
    assert event.amount == Decimal("200.00")


def test_cancel_is_not_offered(provider, fake_intasend):
    checkout = provider.create_payment(_request())
    with pytest.raises(GatewayRejected, match="no API to cancel a checkout") as excinfo:
        provider.cancel_payment(checkout.provider_payment_id)
    assert excinfo.value.code == "not_cancellable"
    assert len(fake_intasend.requests) == 1  # only the create: cancel never calls IntaSend


# -- gateway failures -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 429])
def test_server_errors_are_unavailable(provider, fake_intasend, status):
    fake_intasend.fail_next(1, status=status)
    with pytest.raises(GatewayUnavailable) as excinfo:
        provider.create_payment(_request())
    assert excinfo.value.retryable is True
    assert fake_intasend.checkouts == {}


def test_a_body_that_is_not_json_is_unavailable(provider, fake_intasend):
    _, invoice_id = _paid(provider, fake_intasend)
    fake_intasend.garble_next()
    with pytest.raises(GatewayUnavailable) as excinfo:
        provider.retrieve_payment(invoice_id)
    assert excinfo.value.code == "gateway_bad_response"


def test_a_slow_gateway_times_out(provider, fake_intasend):
    fake_intasend.delay_next(1, seconds=2.0)
    started = time.monotonic()
    with pytest.raises(GatewayUnavailable) as excinfo:
        provider.create_payment(_request())
    assert time.monotonic() - started < 1.5
    assert excinfo.value.code == "gateway_timeout"
