"""IntaSend (Kenya): hosted checkout, payment status, card chargebacks as refunds.

Called over HTTP at a configurable base (the ``intasend-python`` SDK hard-codes its hosts). Amounts on the
wire are decimal strings in major units.

Identifiers. Creating a checkout returns a checkout ``id`` and ``url``; the *invoice* that IntaSend tracks
payments by only exists once the customer starts paying, and reaches us in the webhook (``invoice_id``,
with our reference echoed as ``api_ref``). So ``create_payment`` returns the checkout id as
``provider_payment_id`` (invoice id empty), while webhooks, ``retrieve_payment`` and ``refund_payment``
speak invoice ids: the app matches the first webhook by ``reference`` and stores its invoice id.

IntaSend has no API to cancel a checkout: ``cancel_payment`` raises ``GatewayRejected`` with code
``not_cancellable`` (refund a completed payment instead). IntaSend documents no idempotency key.
Webhooks are not signed; they carry the ``challenge`` configured on the dashboard, compared here in
constant time. Treat them as a trigger and re-read the invoice with ``retrieve_payment``.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from shop.core.money import format_major, parse_major

from ._http import JsonApi, parse_json
from .base import (
    GatewayRejected,
    GatewayUnavailable,
    PaymentProvider,
    PaymentRequest,
    PaymentStatus,
    ProviderPayment,
    RefundNotice,
    RefundResult,
    RefundStatus,
    WebhookEvent,
    WebhookVerificationError,
)

# Documented as COMPLETE in payloads and COMPLETED in the state table: accept both.
_STATES = {
    "PENDING": PaymentStatus.PENDING,
    "PROCESSING": PaymentStatus.PROCESSING,
    "COMPLETE": PaymentStatus.SUCCEEDED,
    "COMPLETED": PaymentStatus.SUCCEEDED,
    "FAILED": PaymentStatus.FAILED,
}
_CHARGEBACK_STATES = {
    "PENDING": RefundStatus.PENDING,
    "DISPUTED": RefundStatus.PENDING,
    "OVERDUE": RefundStatus.PENDING,
    "COMPLETED": RefundStatus.SUCCEEDED,
    "COMPLETE": RefundStatus.SUCCEEDED,
    "CANCELLED": RefundStatus.FAILED,
}


def invoice_status(state: str) -> str:
    try:
        return _STATES[state.upper()]
    except KeyError:
        raise GatewayUnavailable(
            f"IntaSend returned an unknown invoice state {state!r}", retryable=False
        ) from None


class IntaSendProvider(PaymentProvider):
    identifier = "intasend"
    display_name = "IntaSend"
    kind = "redirect"
    currencies = ("KES", "USD", "EUR", "GBP")
    supports_refunds = True
    supports_partial_refunds = True
    method_number, method_name = 3, "M-Pesa / card (IntaSend)"
    # Create answers a checkout id; the invoice (what status/refund take) comes with the first webhook.
    binds_payment_id_from_webhook = True

    def __init__(
        self,
        publishable_key: str,
        secret_key: str,
        webhook_challenge: str,
        api_base: str = "https://payment.intasend.com",
        timeout: float = 10.0,
    ) -> None:
        self._publishable_key = publishable_key
        self._secret_key = secret_key
        self._challenge = webhook_challenge
        self._api = JsonApi(gateway="IntaSend", base_url=api_base, timeout=timeout)

    def _public_headers(self) -> dict[str, str]:
        return {"INTASEND_PUBLIC_API_KEY": self._publishable_key}

    def _amount(self, amount: Decimal, currency: str) -> str:
        try:
            return format_major(amount, currency)
        except ValueError as exc:
            raise GatewayRejected(str(exc), code="invalid_amount", public=True) from exc

    # -- payments -------------------------------------------------------------------------------

    def create_payment(self, request: PaymentRequest) -> ProviderPayment:
        currency = self._checked_currency(request.currency)
        customer = request.customer
        optional = {
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "phone_number": customer.phone,
            "country": customer.country,
            "city": customer.city,
            "address": customer.street,
            "state": customer.state,
            "zipcode": customer.postal_code,
            "comment": request.description,
        }
        body: dict[str, Any] = {
            "public_key": self._publishable_key,
            "amount": self._amount(request.amount, currency),
            "currency": currency,
            "email": customer.email,
            "api_ref": request.reference,
            # Blank optional fields are left out: the hosted page then asks the customer for them.
            **{key: value for key, value in optional.items() if value},
        }
        if request.return_url:
            parts = urlsplit(request.return_url)
            body["redirect_url"] = request.return_url
            body["host"] = f"{parts.scheme}://{parts.netloc}"
        answer = self._api.request(
            "POST", "/api/v1/checkout/", json_body=body, headers=self._public_headers()
        )
        checkout = answer.data if isinstance(answer.data, Mapping) else {}
        if not checkout.get("id") or not checkout.get("url"):
            raise GatewayUnavailable("IntaSend's checkout answer lacks id/url", code="gateway_bad_response")
        return ProviderPayment(
            provider_payment_id=str(checkout["id"]),
            status=PaymentStatus.PENDING,
            amount=parse_major(body["amount"], currency),
            currency=currency,
            checkout_url=str(checkout["url"]),
            provider_invoice_id=str(checkout.get("invoice_id") or checkout.get("invoice") or ""),
            raw=answer.raw,
        )

    def retrieve_payment(self, provider_payment_id: str) -> ProviderPayment:
        """``provider_payment_id`` is the invoice id from the webhook; IntaSend refuses a checkout id."""
        answer = self._api.request(
            "POST",
            "/api/v1/payment/status/",
            json_body={"invoice_id": provider_payment_id, "public_key": self._publishable_key},
            headers=self._public_headers(),
        )
        invoice = answer.data.get("invoice") if isinstance(answer.data, Mapping) else None
        if not isinstance(invoice, Mapping):
            raise GatewayUnavailable("IntaSend's status answer has no invoice", code="gateway_bad_response")
        try:
            return self._payment(invoice, answer.raw)
        except (KeyError, ValueError) as exc:
            raise GatewayUnavailable(
                f"unexpected IntaSend invoice: {exc!r}", code="gateway_bad_response"
            ) from exc

    def _payment(self, invoice: Mapping[str, Any], raw: Any) -> ProviderPayment:
        currency = str(invoice["currency"]).upper()
        invoice_id = str(invoice.get("invoice_id") or invoice.get("id") or "")
        status = invoice_status(str(invoice["state"]))
        return ProviderPayment(
            provider_payment_id=invoice_id,
            status=status,
            # "value" is what was billed; with CUSTOMER-PAYS tariffs it includes the charges.
            amount=parse_major(invoice["value"], currency),
            currency=currency,
            provider_invoice_id=invoice_id,
            failure_message=str(invoice.get("failed_reason") or "") if status == PaymentStatus.FAILED else "",
            raw=raw,
            reference=str(invoice.get("api_ref") or ""),
        )

    def cancel_payment(self, provider_payment_id: str) -> ProviderPayment:
        raise GatewayRejected(
            "IntaSend has no API to cancel a checkout; an unpaid one simply stays unpaid, "
            "and a completed payment is reversed with a refund",
            code="not_cancellable", public=True,
        )

    def refund_payment(
        self,
        provider_payment_id: str,
        *,
        amount: Decimal,
        currency: str,
        reason: str = "",
        idempotency_key: str = "",
    ) -> RefundResult:
        code = self._checked_currency(currency)
        value = self._amount(amount, code)
        current = self.retrieve_payment(provider_payment_id)
        if current.currency != code:
            raise GatewayRejected(
                f"refund currency {code} does not match the payment's {current.currency}",
                code="currency_mismatch", public=True,
            )
        answer = self._api.request(
            "POST",
            "/api/v1/chargebacks/",
            json_body={
                "invoice": provider_payment_id,
                "amount": value,
                "reason": reason or "Refund requested by the merchant",
            },
            headers={"Authorization": f"Bearer {self._secret_key}", **self._public_headers()},
        )
        chargeback = answer.data if isinstance(answer.data, Mapping) else {}
        chargeback_id = chargeback.get("chargeback_id") or chargeback.get("id")
        if not chargeback_id:
            raise GatewayUnavailable("IntaSend's chargeback answer has no id", code="gateway_bad_response")
        return RefundResult(
            provider_refund_id=str(chargeback_id),
            status=_CHARGEBACK_STATES.get(str(chargeback.get("status") or "").upper(), RefundStatus.PENDING),
            amount=parse_major(chargeback.get("amount", value), code),
            currency=code,
            raw=answer.raw,
        )

    # -- webhooks -------------------------------------------------------------------------------

    def parse_webhook(
        self, *, body: bytes, headers: Mapping[str, str], query: Mapping[str, str]
    ) -> WebhookEvent:
        try:
            payload, raw = parse_json(body)
        except ValueError as exc:
            raise WebhookVerificationError("the webhook body is not JSON", code="bad_body") from exc
        if not isinstance(payload, Mapping):
            raise WebhookVerificationError("the webhook body is not a JSON object", code="bad_body")
        challenge = payload.get("challenge")
        if not isinstance(challenge, str) or not challenge:
            raise WebhookVerificationError("the webhook carries no challenge", code="missing_signature")
        if not self._challenge or not hmac.compare_digest(challenge.encode(), self._challenge.encode()):
            raise WebhookVerificationError("the webhook challenge does not match", code="bad_signature")
        try:
            if "chargeback_id" in payload:
                return self._chargeback_event(payload, raw)
            return self._invoice_event(payload, raw)
        except (KeyError, TypeError, ValueError, GatewayUnavailable) as exc:
            raise WebhookVerificationError(f"unexpected IntaSend webhook: {exc!r}", code="bad_body") from exc

    def _invoice_event(self, payload: Mapping[str, Any], raw: Any) -> WebhookEvent:
        state = str(payload["state"]).upper()
        currency = str(payload["currency"]).upper()
        status = invoice_status(state)
        return WebhookEvent(
            provider=self.identifier,
            event_id=f"{payload['invoice_id']}:{state}",
            event_type=f"invoice.{state.lower()}",
            provider_payment_id=str(payload["invoice_id"]),
            reference=str(payload.get("api_ref") or ""),
            status=status,
            amount=parse_major(payload["value"], currency),
            currency=currency,
            failure_message=str(payload.get("failed_reason") or "") if status == PaymentStatus.FAILED else "",
            raw=raw,
        )

    def _chargeback_event(self, payload: Mapping[str, Any], raw: Any) -> WebhookEvent:
        # A refund's progress, not a payment state: re-read the invoice to act on it.
        invoice = payload.get("invoice") or {}
        state = str(payload["status"]).upper()
        currency = str(invoice.get("currency") or "").upper() or None
        chargeback_id = str(payload.get("chargeback_id") or "")
        settled = _CHARGEBACK_STATES.get(state) if chargeback_id else None
        if settled == RefundStatus.PENDING:
            settled = None  # still open: nothing to settle yet
        return WebhookEvent(
            provider=self.identifier,
            event_id=f"chargeback:{payload['chargeback_id']}:{state}",
            event_type=f"chargeback.{state.lower()}",
            provider_payment_id=str(invoice.get("invoice_id") or ""),
            reference=str(invoice.get("api_ref") or ""),
            status=None,
            amount=parse_major(payload["amount"], currency) if currency else None,
            currency=currency,
            raw=raw,
            refund=RefundNotice(provider_refund_id=chargeback_id, status=settled,
                                failed_reason=f"chargeback {chargeback_id} was cancelled") if settled else None,
        )
