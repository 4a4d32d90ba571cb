"""A provider with no keys and no network, so a newcomer can walk the whole payment flow on `make run`.

Its "gateway side" is the ``SandboxCharge`` table. The checkout URL is ``GET /payments/sandbox/{payment id}/``
(the "hosted page": the payment and its two buttons); ``POST /payments/sandbox/{payment id}/succeed/`` (or
``/fail/``) changes the charge's state and then runs exactly the path a real, verified webhook runs.
"""

import secrets
from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings

from .providers.base import (
    GatewayRejected,
    PaymentProvider,
    PaymentRequest,
    PaymentStatus,
    ProviderPayment,
    RefundResult,
    RefundStatus,
    WebhookEvent,
    WebhookVerificationError,
)

# The one way a sandbox card fails; the re-read (retrieve) reports it like a real gateway's decline reason.
DECLINE_MESSAGE = "Sandbox: the card was declined."


class SandboxProvider(PaymentProvider):
    identifier = "sandbox"
    display_name = "Sandbox"
    kind = "redirect"
    supports_refunds = True
    supports_partial_refunds = True

    @staticmethod
    def _state(charge, checkout_url: str = "") -> ProviderPayment:
        return ProviderPayment(
            provider_payment_id=charge.provider_payment_id,
            status=charge.status,
            amount=charge.amount,
            currency=charge.currency,
            amount_refunded=charge.amount_refunded,
            checkout_url=checkout_url,
            failure_message=DECLINE_MESSAGE if charge.status == PaymentStatus.FAILED else "",
        )

    @staticmethod
    def checkout_url(reference: str) -> str:
        """Our reference is ``pay_<payment id>``; the sandbox's page lives under the payment id."""
        return f"{settings.PUBLIC_BASE_URL}/payments/sandbox/{reference.removeprefix('pay_')}/"

    def _charge(self, provider_payment_id: str):
        from .models import SandboxCharge

        charge = SandboxCharge.objects.filter(provider_payment_id=provider_payment_id).first()
        if charge is None:
            raise GatewayRejected(f"No such sandbox payment: {provider_payment_id}", code="resource_missing")
        return charge

    def create_payment(self, request: PaymentRequest) -> ProviderPayment:
        from .models import SandboxCharge

        charge = SandboxCharge.objects.create(
            provider_payment_id=f"sbx_{secrets.token_hex(12)}",
            amount=request.amount,
            currency=request.currency.upper(),
        )
        return self._state(charge, self.checkout_url(request.reference))

    def retrieve_payment(self, provider_payment_id: str) -> ProviderPayment:
        return self._state(self._charge(provider_payment_id))

    def cancel_payment(self, provider_payment_id: str) -> ProviderPayment:
        charge = self._charge(provider_payment_id)
        if charge.status == PaymentStatus.SUCCEEDED:
            raise GatewayRejected("A succeeded sandbox payment cannot be cancelled; refund it.")
        charge.status = PaymentStatus.CANCELLED
        charge.save(update_fields=["status"])
        return self._state(charge)

    def refund_payment(self, provider_payment_id: str, *, amount: Decimal, currency: str, reason: str = "",
                       idempotency_key: str = "") -> RefundResult:
        charge = self._charge(provider_payment_id)
        if charge.amount_refunded + amount > charge.amount:
            raise GatewayRejected("Refund exceeds the amount paid.")
        charge.amount_refunded += amount
        charge.save(update_fields=["amount_refunded"])
        return RefundResult(provider_refund_id=f"sbxre_{secrets.token_hex(8)}", status=RefundStatus.SUCCEEDED,
                            amount=amount, currency=charge.currency)

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str], query: Mapping[str, str]) -> WebhookEvent:
        raise WebhookVerificationError("The sandbox provider has no webhooks; use its succeed/fail endpoints.")

    def set_outcome(self, provider_payment_id: str, *, status: str) -> WebhookEvent:
        """What a customer paying (or failing to) on a real gateway would cause: a state change and an event."""
        charge = self._charge(provider_payment_id)
        if charge.status != PaymentStatus.PENDING:
            raise GatewayRejected(f"Sandbox payment {provider_payment_id} is already {charge.status}.",
                                  code="not_pending")
        charge.status = status
        charge.save(update_fields=["status"])
        return WebhookEvent(
            provider=self.identifier, event_id=f"sbxevt_{secrets.token_hex(8)}", event_type=f"sandbox.{status}",
            provider_payment_id=provider_payment_id, reference="", status=status, amount=charge.amount,
            currency=charge.currency, failure_message=DECLINE_MESSAGE if status == PaymentStatus.FAILED else "",
        )
