"""StripeProvider with the real ``stripe`` SDK against FakeStripe over real HTTP."""

import time
from decimal import Decimal

import pytest
import stripe

from shop.payments.providers.base import (
    Customer,
    GatewayRejected,
    GatewayUnavailable,
    PaymentRequest,
    PaymentStatus,
    RefundStatus,
    WebhookVerificationError,
)
from shop.payments.providers.stripe_provider import StripeProvider


@pytest.fixture
def provider(fake_stripe):
    return StripeProvider(
        fake_stripe.secret_key,
        fake_stripe.publishable_key,
        fake_stripe.webhook_secret,
        api_base=fake_stripe.base_url,
        timeout=0.5,
        max_network_retries=0,
    )


def _request(**overrides):
    values = {
        "reference": "pay_42",
        "order_id": 42,
        "amount": Decimal("10.50"),
        "currency": "usd",
        "customer": Customer(email="buyer@example.com", first_name="Ada"),
        "description": "Order #42",
    }
    return PaymentRequest(**{**values, **overrides})


def _paid(provider, fake_stripe, **overrides):
    payment = provider.create_payment(_request(**overrides))
    fake_stripe.succeed(payment.provider_payment_id)
    return payment


# -- create -----------------------------------------------------------------------------------------


def test_create_sends_minor_units_and_returns_the_client_secret(provider, fake_stripe):
    payment = provider.create_payment(_request(idempotency_key="order-42-attempt-1"))

    assert payment.provider_payment_id.startswith("pi_")
    assert payment.client_secret.startswith(f"{payment.provider_payment_id}_secret_")
    assert payment.status == PaymentStatus.PENDING
    assert payment.amount == Decimal("10.50")
    assert payment.currency == "USD"
    assert payment.raw["object"] == "payment_intent"

    (sent,) = fake_stripe.requests_to("POST", "/v1/payment_intents")
    assert sent.params == {
        "amount": "1050",
        "currency": "usd",
        "allowed_payment_method_types": ["card"],
        "metadata": {"reference": "pay_42", "order_id": "42"},
        "description": "Order #42",
    }
    assert sent.headers["idempotency-key"] == "order-42-attempt-1"
    assert sent.headers["authorization"] == f"Bearer {fake_stripe.secret_key}"


def test_the_old_payment_method_types_parameter_is_refused_as_stripe_does_now(fake_stripe):
    """The SDK's pinned API version refuses `payment_method_types` on create; the fake answers as Stripe does, so a
    provider that sent it would fail every checkout here as it would in production."""
    client = stripe.StripeClient(fake_stripe.secret_key, base_addresses={"api": fake_stripe.base_url})

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.create(params={"amount": 1050, "currency": "usd",
                                                 "payment_method_types": ["card"]})  # type: ignore[typeddict-unknown-key]

    assert refused.value.code == "payment_method_types_no_longer_supported"
    intent = client.v1.payment_intents.create(params={"amount": 1050, "currency": "usd",
                                                      "allowed_payment_method_types": ["card"]})
    assert intent.payment_method_types == ["card"]


def test_zero_decimal_currency_goes_out_unscaled(provider, fake_stripe):
    payment = provider.create_payment(_request(amount=Decimal("500"), currency="JPY"))

    assert fake_stripe.requests[-1].params["amount"] == "500"
    assert fake_stripe.requests[-1].params["currency"] == "jpy"
    assert payment.amount == Decimal("500")
    assert payment.currency == "JPY"


def test_three_decimal_currency_goes_out_in_thousandths(provider, fake_stripe):
    payment = provider.create_payment(_request(amount=Decimal("5.120"), currency="KWD"))

    assert fake_stripe.requests[-1].params["amount"] == "5120"
    assert payment.amount == Decimal("5.120")
    assert str(payment.amount) == "5.120"


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        (Decimal("5.125"), "KWD", "multiple of 0.010"),
        (Decimal("10.505"), "USD", "more than 2 decimal places"),
        (Decimal("1.5"), "JPY", "more than 0 decimal places"),
        (Decimal("100.50"), "ISK", "multiple of 1.00"),
    ],
)
def test_amounts_stripe_would_need_rounded_are_refused_before_any_call(
    provider, fake_stripe, amount, currency, message
):
    with pytest.raises(GatewayRejected, match=message) as excinfo:
        provider.create_payment(_request(amount=amount, currency=currency))
    assert excinfo.value.code == "invalid_amount"
    assert fake_stripe.requests == []


def test_same_idempotency_key_and_params_returns_the_same_intent(provider, fake_stripe):
    first = provider.create_payment(_request(idempotency_key="key-1"))
    second = provider.create_payment(_request(idempotency_key="key-1"))

    assert second.provider_payment_id == first.provider_payment_id
    assert second.client_secret == first.client_secret
    assert len(fake_stripe.intents) == 1


def test_same_idempotency_key_with_other_params_is_rejected(provider, fake_stripe):
    provider.create_payment(_request(idempotency_key="key-1"))
    with pytest.raises(GatewayRejected, match="Keys for idempotent requests") as excinfo:
        provider.create_payment(_request(idempotency_key="key-1", amount=Decimal("11.00")))
    assert excinfo.value.retryable is False
    assert len(fake_stripe.intents) == 1


# -- retrieve and status mapping --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stripe_status", "expected"),
    [
        ("requires_payment_method", PaymentStatus.PENDING),
        ("requires_confirmation", PaymentStatus.PENDING),
        ("requires_action", PaymentStatus.PENDING),
        ("processing", PaymentStatus.PROCESSING),
        ("requires_capture", PaymentStatus.PROCESSING),
        ("canceled", PaymentStatus.CANCELLED),
    ],
)
def test_retrieve_maps_intent_statuses(provider, fake_stripe, stripe_status, expected):
    payment = provider.create_payment(_request())
    fake_stripe.set_status(payment.provider_payment_id, stripe_status)

    current = provider.retrieve_payment(payment.provider_payment_id)
    assert current.status == expected
    assert current.raw["status"] == stripe_status


def test_retrieve_after_success(provider, fake_stripe):
    payment = _paid(provider, fake_stripe)

    current = provider.retrieve_payment(payment.provider_payment_id)
    assert current.status == PaymentStatus.SUCCEEDED
    assert current.amount == Decimal("10.50")
    assert current.amount_refunded == Decimal("0.00")
    assert current.raw["latest_charge"]["object"] == "charge"  # expanded to see refunds
    assert fake_stripe.requests[-1].params == {"expand": ["latest_charge"]}


def test_a_declined_attempt_is_failed_with_the_decline_message(provider, fake_stripe):
    payment = provider.create_payment(_request())
    fake_stripe.fail(payment.provider_payment_id, "Your card has insufficient funds.")

    current = provider.retrieve_payment(payment.provider_payment_id)
    assert current.status == PaymentStatus.FAILED
    assert current.failure_message == "Your card has insufficient funds."


def test_retrieve_unknown_intent_is_rejected(provider):
    with pytest.raises(GatewayRejected, match="No such payment_intent") as excinfo:
        provider.retrieve_payment("pi_doesnotexist")
    assert excinfo.value.code == "resource_missing"


# -- cancel -----------------------------------------------------------------------------------------


def test_cancel_an_unpaid_intent(provider, fake_stripe):
    payment = provider.create_payment(_request())

    cancelled = provider.cancel_payment(payment.provider_payment_id)
    assert cancelled.status == PaymentStatus.CANCELLED
    assert fake_stripe.intent(payment.provider_payment_id)["status"] == "canceled"


def test_cancel_a_succeeded_intent_is_rejected(provider, fake_stripe):
    payment = _paid(provider, fake_stripe)

    with pytest.raises(GatewayRejected, match="status of succeeded") as excinfo:
        provider.cancel_payment(payment.provider_payment_id)
    assert excinfo.value.code == "payment_intent_unexpected_state"
    assert fake_stripe.intent(payment.provider_payment_id)["status"] == "succeeded"


# -- refunds ----------------------------------------------------------------------------------------


def test_partial_then_full_refund(provider, fake_stripe):
    payment = _paid(provider, fake_stripe)

    partial = provider.refund_payment(
        payment.provider_payment_id, amount=Decimal("4.00"), currency="usd", reason="requested_by_customer"
    )
    assert partial.provider_refund_id.startswith("re_")
    assert partial.status == RefundStatus.SUCCEEDED
    assert partial.amount == Decimal("4.00")
    assert partial.currency == "USD"
    sent = fake_stripe.requests_to("POST", "/v1/refunds")[-1]
    assert sent.params == {
        "payment_intent": payment.provider_payment_id,
        "amount": "400",
        "reason": "requested_by_customer",
    }
    after_partial = provider.retrieve_payment(payment.provider_payment_id)
    assert after_partial.status == PaymentStatus.PARTIALLY_REFUNDED
    assert after_partial.amount_refunded == Decimal("4.00")

    rest = provider.refund_payment(payment.provider_payment_id, amount=Decimal("6.50"), currency="USD")
    assert rest.amount == Decimal("6.50")
    after_full = provider.retrieve_payment(payment.provider_payment_id)
    assert after_full.status == PaymentStatus.REFUNDED
    assert after_full.amount_refunded == Decimal("10.50")


def test_over_refund_is_rejected(provider, fake_stripe):
    payment = _paid(provider, fake_stripe)
    provider.refund_payment(payment.provider_payment_id, amount=Decimal("10.00"), currency="USD")

    with pytest.raises(GatewayRejected, match="greater than unrefunded amount") as excinfo:
        provider.refund_payment(payment.provider_payment_id, amount=Decimal("1.00"), currency="USD")
    assert excinfo.value.code == "amount_too_large"
    assert (
        fake_stripe.charge(fake_stripe.intent(payment.provider_payment_id)["latest_charge"])[
            "amount_refunded"
        ]
        == 1000
    )


def test_refund_reason_outside_stripes_list_is_not_sent(provider, fake_stripe):
    payment = _paid(provider, fake_stripe)
    provider.refund_payment(
        payment.provider_payment_id, amount=Decimal("1.00"), currency="USD", reason="damaged"
    )
    assert "reason" not in fake_stripe.requests_to("POST", "/v1/refunds")[-1].params


def test_refund_idempotency_key_prevents_a_double_refund(provider, fake_stripe):
    payment = _paid(provider, fake_stripe)

    first = provider.refund_payment(
        payment.provider_payment_id, amount=Decimal("3.00"), currency="USD", idempotency_key="refund-42-1"
    )
    again = provider.refund_payment(
        payment.provider_payment_id, amount=Decimal("3.00"), currency="USD", idempotency_key="refund-42-1"
    )
    assert again.provider_refund_id == first.provider_refund_id
    assert len(fake_stripe.refunds) == 1
    assert provider.retrieve_payment(payment.provider_payment_id).amount_refunded == Decimal("3.00")


def test_refund_in_the_wrong_currency_is_refused_before_refunding(provider, fake_stripe):
    payment = _paid(provider, fake_stripe, amount=Decimal("500"), currency="JPY")

    with pytest.raises(GatewayRejected, match="does not match the payment's JPY") as excinfo:
        provider.refund_payment(payment.provider_payment_id, amount=Decimal("5.00"), currency="USD")
    assert excinfo.value.code == "currency_mismatch"
    assert fake_stripe.refunds == {}


def test_refund_of_an_unpaid_intent_is_rejected(provider, fake_stripe):
    payment = provider.create_payment(_request())
    with pytest.raises(GatewayRejected, match="does not have a successful charge"):
        provider.refund_payment(payment.provider_payment_id, amount=Decimal("1.00"), currency="USD")


def test_retrieve_refund_reads_a_pending_refund_then_its_failure(provider, fake_stripe):
    payment = _paid(provider, fake_stripe)
    fake_stripe.next_refund_status = "pending"
    created = provider.refund_payment(payment.provider_payment_id, amount=Decimal("4.00"), currency="USD")
    assert created.status == RefundStatus.PENDING

    pending = provider.retrieve_refund(created.provider_refund_id)
    assert (pending.provider_refund_id, pending.status, pending.amount, pending.currency) == (
        created.provider_refund_id, RefundStatus.PENDING, Decimal("4.00"), "USD"
    )
    assert (pending.provider_payment_id, pending.failure_message) == (payment.provider_payment_id, "")
    assert fake_stripe.requests_to("GET", f"/v1/refunds/{created.provider_refund_id}")

    fake_stripe.settle_refund(created.provider_refund_id, "failed", failure_reason="lost_or_stolen_card")
    failed = provider.retrieve_refund(created.provider_refund_id)
    assert (failed.status, failed.failure_message) == (RefundStatus.FAILED, "lost_or_stolen_card")
    assert provider.retrieve_payment(payment.provider_payment_id).amount_refunded == Decimal("0.00")


@pytest.mark.parametrize(
    ("settled", "expected", "message"),
    [("succeeded", RefundStatus.SUCCEEDED, ""), ("canceled", RefundStatus.FAILED, "the refund was canceled")],
)
def test_retrieve_refund_maps_stripes_statuses(provider, fake_stripe, settled, expected, message):
    payment = _paid(provider, fake_stripe)
    fake_stripe.next_refund_status = "pending"
    created = provider.refund_payment(payment.provider_payment_id, amount=Decimal("1.00"), currency="USD")
    fake_stripe.settle_refund(created.provider_refund_id, settled)

    state = provider.retrieve_refund(created.provider_refund_id)

    assert (state.status, state.failure_message) == (expected, message)


def test_retrieve_unknown_refund_is_rejected_not_unavailable(provider, fake_stripe):
    with pytest.raises(GatewayRejected) as excinfo:
        provider.retrieve_refund("re_unknown")
    assert excinfo.value.code == "resource_missing"


# -- gateway failures -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_server_errors_and_rate_limits_are_unavailable(provider, fake_stripe, status):
    fake_stripe.fail_next(1, status=status)
    with pytest.raises(GatewayUnavailable) as excinfo:
        provider.create_payment(_request())
    assert excinfo.value.retryable is True
    assert fake_stripe.intents == {}


def test_a_slow_gateway_times_out_as_unavailable(provider, fake_stripe):
    payment = provider.create_payment(_request())
    fake_stripe.delay_next(1, seconds=2.0)

    started = time.monotonic()
    with pytest.raises(GatewayUnavailable) as excinfo:
        provider.retrieve_payment(payment.provider_payment_id)
    assert time.monotonic() - started < 1.5
    assert excinfo.value.retryable is True


def test_a_body_that_is_not_json_is_unavailable(provider, fake_stripe):
    fake_stripe.garble_next()
    with pytest.raises(GatewayUnavailable, match="Invalid response body"):
        provider.retrieve_payment("pi_123")


def test_nobody_listening_is_unavailable():
    provider = StripeProvider("sk_test_x", "pk_test_x", "whsec_x", api_base="http://127.0.0.1:9", timeout=0.5)
    with pytest.raises(GatewayUnavailable, match="Stripe is unavailable"):
        provider.retrieve_payment("pi_123")


def test_wrong_secret_key_is_an_operator_problem_not_a_retry(fake_stripe):
    provider = StripeProvider("sk_test_wrong", "pk", "whsec", api_base=fake_stripe.base_url, timeout=0.5)
    with pytest.raises(GatewayUnavailable) as excinfo:
        provider.create_payment(_request())
    assert excinfo.value.code == "gateway_auth"
    assert excinfo.value.retryable is False


# -- webhooks ---------------------------------------------------------------------------------------


def _parse(provider, payload, signature, header_name="Stripe-Signature"):
    return provider.parse_webhook(body=payload, headers={header_name: signature}, query={})


def test_payment_succeeded_webhook(provider, fake_stripe):
    payment = _paid(provider, fake_stripe)
    payload, signature = fake_stripe.make_event(
        "payment_intent.succeeded", fake_stripe.intent(payment.provider_payment_id), event_id="evt_1"
    )

    event = _parse(provider, payload, signature)
    assert event.provider == "stripe"
    assert event.event_id == "evt_1"
    assert event.event_type == "payment_intent.succeeded"
    assert event.provider_payment_id == payment.provider_payment_id
    assert event.reference == "pay_42"
    assert event.status == PaymentStatus.SUCCEEDED
    assert event.amount == Decimal("10.50")
    assert event.currency == "USD"
    assert event.raw["id"] == "evt_1"


def test_header_name_case_does_not_matter(provider, fake_stripe):
    payment = provider.create_payment(_request())
    intent = fake_stripe.set_status(payment.provider_payment_id, "processing")
    payload, signature = fake_stripe.make_event("payment_intent.processing", intent)

    event = _parse(provider, payload, signature, header_name="stripe-signature")
    assert event.status == PaymentStatus.PROCESSING
    assert event.provider_payment_id == payment.provider_payment_id


def test_payment_failed_and_canceled_webhooks(provider, fake_stripe):
    payment = provider.create_payment(_request())
    payload, signature = fake_stripe.make_event(
        "payment_intent.payment_failed", fake_stripe.fail(payment.provider_payment_id)
    )
    failed = _parse(provider, payload, signature)
    assert failed.status == PaymentStatus.FAILED
    assert failed.failure_message == "Your card was declined."

    provider.cancel_payment(payment.provider_payment_id)
    payload, signature = fake_stripe.make_event(
        "payment_intent.canceled", fake_stripe.intent(payment.provider_payment_id)
    )
    assert _parse(provider, payload, signature).status == PaymentStatus.CANCELLED


@pytest.mark.parametrize(
    ("refund", "expected_status", "expected_amount"),
    [
        (Decimal("4.00"), PaymentStatus.PARTIALLY_REFUNDED, Decimal("4.00")),
        (Decimal("10.50"), PaymentStatus.REFUNDED, Decimal("10.50")),
    ],
)
def test_charge_refunded_webhook(provider, fake_stripe, refund, expected_status, expected_amount):
    payment = _paid(provider, fake_stripe)
    provider.refund_payment(payment.provider_payment_id, amount=refund, currency="USD")
    charge = fake_stripe.charge(fake_stripe.intent(payment.provider_payment_id)["latest_charge"])
    payload, signature = fake_stripe.make_event("charge.refunded", charge)

    event = _parse(provider, payload, signature)
    assert event.provider_payment_id == payment.provider_payment_id
    assert event.status == expected_status
    assert event.amount == expected_amount
    assert event.currency == "USD"


def test_other_event_types_carry_no_status(provider, fake_stripe):
    payment = provider.create_payment(_request())
    payload, signature = fake_stripe.make_event(
        "payment_intent.created", fake_stripe.intent(payment.provider_payment_id)
    )
    created = _parse(provider, payload, signature)
    assert created.status is None
    assert created.provider_payment_id == payment.provider_payment_id

    payload, signature = fake_stripe.make_event("customer.created", {"id": "cus_1", "object": "customer"})
    customer = _parse(provider, payload, signature)
    assert (customer.event_type, customer.status, customer.provider_payment_id, customer.amount) == (
        "customer.created",
        None,
        "",
        None,
    )


def test_tampered_body_is_rejected(provider, fake_stripe):
    payment = provider.create_payment(_request())
    payload, signature = fake_stripe.make_event(
        "payment_intent.succeeded", fake_stripe.intent(payment.provider_payment_id)
    )
    tampered = payload.replace(b'"amount": 1050', b'"amount": 1')
    assert tampered != payload

    with pytest.raises(WebhookVerificationError) as excinfo:
        _parse(provider, tampered, signature)
    assert excinfo.value.code == "bad_signature"


def test_wrong_secret_is_rejected(provider, fake_stripe):
    payload, signature = fake_stripe.make_event("charge.succeeded", {"id": "ch_1"}, secret="whsec_other")
    with pytest.raises(WebhookVerificationError, match="bad Stripe signature"):
        _parse(provider, payload, signature)


def test_stale_signature_is_rejected(provider, fake_stripe):
    payload, signature = fake_stripe.make_event(
        "charge.succeeded", {"id": "ch_1"}, timestamp=int(time.time()) - 301
    )
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        _parse(provider, payload, signature)


def test_missing_signature_header_is_rejected(provider, fake_stripe):
    payload, _ = fake_stripe.make_event("charge.succeeded", {"id": "ch_1"})
    with pytest.raises(WebhookVerificationError) as excinfo:
        provider.parse_webhook(body=payload, headers={"Content-Type": "application/json"}, query={})
    assert excinfo.value.code == "missing_signature"


def test_signed_garbage_is_rejected(provider, fake_stripe):
    body = b"not json at all"
    signature = stripe.WebhookSignature.generate_signature_header(body.decode(), fake_stripe.webhook_secret)
    with pytest.raises(WebhookVerificationError) as excinfo:
        _parse(provider, body, signature)
    assert excinfo.value.code == "bad_body"
