"""Cash on delivery: no gateway, no network. The courier collects; the app marks the payment collected."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from shop.core.money import from_minor, normalise_currency, to_minor

from .base import (
    GatewayRejected,
    PaymentProvider,
    PaymentRequest,
    PaymentStatus,
    ProviderPayment,
    RefundResult,
    WebhookEvent,
    WebhookVerificationError,
)

_PREFIX = "cod_"


class CashOnDeliveryProvider(PaymentProvider):
    identifier = "cod"
    display_name = "Cash on delivery"
    kind = "direct"
    currencies = ()
    supports_refunds = False
    supports_partial_refunds = False
    method_number, method_name = 5, "Cash on delivery"
    collected_by_hand = True
    holds_funds_locally = True  # our Payment row is the ledger: nothing at a gateway to compare amounts with

    def create_payment(self, request: PaymentRequest) -> ProviderPayment:
        currency = self._checked_currency(request.currency)
        try:
            # Same precision rule as online payments: the courier cannot collect 10.005 USD either.
            amount = from_minor(to_minor(request.amount, currency), currency)
        except ValueError as exc:
            raise GatewayRejected(str(exc), code="invalid_amount", public=True) from exc
        return ProviderPayment(
            provider_payment_id=f"{_PREFIX}{request.reference}",
            status=PaymentStatus.PENDING,
            amount=amount,
            currency=currency,
            raw={"reference": request.reference, "order_id": request.order_id},
        )

    def retrieve_payment(self, provider_payment_id: str) -> ProviderPayment:
        # No gateway holds the truth: collection is recorded by the app, so here it is always pending.
        return self._local(provider_payment_id, PaymentStatus.PENDING)

    def cancel_payment(self, provider_payment_id: str) -> ProviderPayment:
        return self._local(provider_payment_id, PaymentStatus.CANCELLED)

    def refund_payment(
        self,
        provider_payment_id: str,
        *,
        amount: Decimal,
        currency: str,
        reason: str = "",
        idempotency_key: str = "",
    ) -> RefundResult:
        normalise_currency(currency)
        raise GatewayRejected(
            "cash on delivery cannot be refunded online; return the cash outside the shop",
            code="not_refundable", public=True,
        )

    def parse_webhook(
        self, *, body: bytes, headers: Mapping[str, str], query: Mapping[str, str]
    ) -> WebhookEvent:
        raise WebhookVerificationError("cash on delivery has no webhooks", code="no_webhooks")

    def _local(self, provider_payment_id: str, status: str) -> ProviderPayment:
        if not provider_payment_id.startswith(_PREFIX):
            raise GatewayRejected(
                f"{provider_payment_id!r} is not a cash-on-delivery payment", code="not_found", public=True
            )
        # Amount and currency live in the app's Payment row; this provider stores nothing.
        return ProviderPayment(
            provider_payment_id=provider_payment_id,
            status=status,
            amount=Decimal("0"),
            currency="",
            raw={},
        )
