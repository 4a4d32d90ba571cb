from decimal import Decimal

import pytest

from shop.payments.providers.base import (
    Customer,
    GatewayRejected,
    PaymentRequest,
    PaymentStatus,
    WebhookVerificationError,
)
from shop.payments.providers.cod import CashOnDeliveryProvider


def _request(**overrides):
    values = {
        "reference": "pay_7",
        "order_id": 7,
        "amount": Decimal("250.00"),
        "currency": "egp",
        "customer": Customer(email="buyer@example.com"),
    }
    return PaymentRequest(**{**values, **overrides})


def test_cash_on_delivery_contract():
    provider = CashOnDeliveryProvider()
    assert (provider.identifier, provider.kind, provider.currencies) == ("cod", "direct", ())
    assert provider.supports_refunds is False
    assert provider.supports_partial_refunds is False


def test_create_is_pending_with_a_stable_id():
    payment = CashOnDeliveryProvider().create_payment(_request())
    assert payment.provider_payment_id == "cod_pay_7"
    assert payment.status == PaymentStatus.PENDING
    assert payment.amount == Decimal("250.00")
    assert payment.currency == "EGP"
    assert payment.checkout_url == ""
    assert payment.client_secret == ""


def test_create_refuses_an_amount_finer_than_the_currency():
    with pytest.raises(GatewayRejected) as excinfo:
        CashOnDeliveryProvider().create_payment(_request(amount=Decimal("10.005"), currency="USD"))
    assert excinfo.value.code == "invalid_amount"
    assert excinfo.value.retryable is False


def test_retrieve_stays_pending_and_cancel_cancels():
    provider = CashOnDeliveryProvider()
    assert provider.retrieve_payment("cod_pay_7").status == PaymentStatus.PENDING
    cancelled = provider.cancel_payment("cod_pay_7")
    assert cancelled.status == PaymentStatus.CANCELLED
    assert cancelled.provider_payment_id == "cod_pay_7"


def test_foreign_ids_are_refused():
    with pytest.raises(GatewayRejected) as excinfo:
        CashOnDeliveryProvider().retrieve_payment("pi_123")
    assert excinfo.value.code == "not_found"


def test_refund_is_refused():
    with pytest.raises(GatewayRejected) as excinfo:
        CashOnDeliveryProvider().refund_payment("cod_pay_7", amount=Decimal("10.00"), currency="EGP")
    assert excinfo.value.code == "not_refundable"
    assert "cannot be refunded online" in excinfo.value.message


def test_webhooks_are_refused():
    with pytest.raises(WebhookVerificationError) as excinfo:
        CashOnDeliveryProvider().parse_webhook(body=b"{}", headers={}, query={})
    assert excinfo.value.code == "no_webhooks"
