"""Stripe PaymentIntents through the official SDK (v16, ``StripeClient``).

The customer confirms on the client with Stripe.js and the ``client_secret``; this module creates,
reads, cancels and refunds intents and turns signed webhooks into ``WebhookEvent``s.
Named ``stripe_provider`` so it never shadows the ``stripe`` package.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import stripe

from shop.core.json_input import json_depth_check
from shop.core.money import THREE_DECIMAL_CURRENCIES, from_minor, to_minor

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
    lower_headers,
)

REFUND_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer"})

# Only these events carry a payment state; every other type is passed through with status None.
PAYMENT_STATUS_EVENTS = frozenset(
    {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "payment_intent.processing",
    }
)

# Events whose object is a refund: its status may have moved (pending -> succeeded / failed / canceled).
REFUND_EVENTS = frozenset({"refund.updated", "refund.failed", "charge.refund.updated"})

_REFUND_STATUSES = {
    "succeeded": RefundStatus.SUCCEEDED,
    "pending": RefundStatus.PENDING,
    "requires_action": RefundStatus.PENDING,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.FAILED,
}


def stripe_minor_units(amount: Decimal | int, currency: str) -> int:
    """Minor units as Stripe accepts them; amounts Stripe would need rounded are refused instead
    (``GatewayRejected`` ``invalid_amount``): see ``StripeProvider.minor_unit_steps``."""
    code = currency.upper()
    try:
        return to_minor(amount, code, multiple_of=StripeProvider.minor_unit_steps.get(code, 1))
    except ValueError as exc:
        raise GatewayRejected(f"Stripe cannot charge this amount: {exc}", code="invalid_amount", public=True) from exc


@contextmanager
def _translated_errors() -> Iterator[None]:
    try:
        yield
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        raise GatewayUnavailable(
            f"Stripe is unavailable: {exc.user_message or exc}", code="gateway_unreachable"
        ) from exc
    except (stripe.AuthenticationError, stripe.PermissionError) as exc:
        raise GatewayUnavailable(
            f"Stripe refused our credentials: {exc.user_message}", retryable=False, code="gateway_auth"
        ) from exc
    except stripe.CardError as exc:
        # A card error's message is written for the payer ("Your card was declined.": Stripe's error object,
        # "message ... For card errors, these messages can be shown to your users"); every other error's is for
        # developers (parameter names, object ids, "let us know at support@stripe.com") and goes to the log only.
        raise GatewayRejected(str(exc), code=exc.code or "card_error", customer_message=exc.user_message or "") from exc
    except (stripe.InvalidRequestError, stripe.IdempotencyError) as exc:
        raise GatewayRejected(str(exc), code=exc.code or "invalid_request") from exc
    except stripe.StripeError as exc:
        status = exc.http_status
        if status is not None and 400 <= status < 500 and status not in (409, 429):
            raise GatewayRejected(str(exc), code=exc.code or f"http_{status}") from exc
        raise GatewayUnavailable(
            f"Stripe error: {exc.user_message or exc}", code=exc.code or "gateway_error"
        ) from exc


def intent_status(intent: Mapping[str, Any], amount_refunded: int = 0) -> str:
    status = intent.get("status")
    if status == "requires_payment_method":
        # A declined attempt sends the intent back here with last_payment_error set.
        return PaymentStatus.FAILED if intent.get("last_payment_error") else PaymentStatus.PENDING
    if status in ("requires_confirmation", "requires_action"):
        return PaymentStatus.PENDING
    if status in ("processing", "requires_capture"):
        return PaymentStatus.PROCESSING
    if status == "canceled":
        return PaymentStatus.CANCELLED
    if status == "succeeded":
        if amount_refunded <= 0:
            return PaymentStatus.SUCCEEDED
        captured = intent.get("amount_received") or intent.get("amount") or 0
        return PaymentStatus.REFUNDED if amount_refunded >= captured else PaymentStatus.PARTIALLY_REFUNDED
    raise GatewayUnavailable(f"Stripe returned an unknown PaymentIntent status {status!r}", retryable=False)


class StripeProvider(PaymentProvider):
    identifier = "stripe"
    display_name = "Stripe"
    kind = "client"
    currencies = ()
    supports_refunds = True
    supports_partial_refunds = True
    method_number, method_name = 1, "Card (Stripe)"
    webhooks_signed = True  # Stripe-Signature on every event
    # Stripe's "Supported currencies" page: three-decimal currencies (BHD, JOD, KWD, OMR, TND) are sent in
    # thousandths whose last digit must be 0 ("round amounts to the nearest ten": 5.124 KWD is 5120 or 5130), and
    # ISK, two decimals on the API, in whole krónur only. The shop never rounds what the customer pays: a total
    # or refund off these steps is refused before Stripe is called (``PaymentProvider.amount_refusal``).
    minor_unit_steps = MappingProxyType({**dict.fromkeys(THREE_DECIMAL_CURRENCIES, 10), "ISK": 100})
    # Stripe's "Supported currencies" page, section "Minimum and maximum charge amounts"
    # (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts): a charge below these, in the charge
    # currency, is refused by Stripe (the API reference: "The minimum amount is $0.50 US or equivalent in charge
    # currency"; GBP 0.30 and JPY 50 also as merchants quote the table). Re-check the table when Stripe changes it.
    # Only the currencies it names are listed; any other currency: no minimum known here, so none is applied. Stripe
    # also refuses a charge that converts to less than the minimum of the account's settlement currency, which no
    # static table can know: such a checkout is undone with the gateway's message, as before. Checkout refuses the
    # method below these minimums (``PaymentMethod.refusal``).
    minimum_charges = MappingProxyType({code: Decimal(amount) for code, amount in {
        "USD": "0.50", "AED": "2.00", "AUD": "0.50", "BGN": "1.00", "BRL": "0.50", "CAD": "0.50", "CHF": "0.50",
        "CZK": "15.00", "DKK": "2.50", "EUR": "0.50", "GBP": "0.30", "HKD": "4.00", "HUF": "175.00", "INR": "0.50",
        "JPY": "50", "MXN": "10", "MYR": "2", "NOK": "3.00", "NZD": "0.50", "PLN": "2.00", "RON": "2.00",
        "SEK": "3.00", "SGD": "0.50", "THB": "10",
    }.items()})

    def __init__(
        self,
        secret_key: str,
        publishable_key: str,
        webhook_secret: str,
        api_base: str | None = None,
        timeout: float = 10.0,
        max_network_retries: int = 0,
        allowed_payment_method_types: tuple[str, ...] = ("card",),
        webhook_tolerance: int = 300,
    ) -> None:
        self.publishable_key = publishable_key
        self._webhook_secret = webhook_secret
        self._webhook_tolerance = webhook_tolerance
        self._allowed_payment_method_types = list(allowed_payment_method_types)
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base.rstrip("/")} if api_base else None,
            max_network_retries=max_network_retries,
            # The SDK's default timeout is 80 s; a checkout request must fail long before that.
            http_client=stripe.RequestsClient(timeout=timeout),
        )

    # -- payments -------------------------------------------------------------------------------

    def create_payment(self, request: PaymentRequest) -> ProviderPayment:
        currency = self._checked_currency(request.currency)
        # `allowed_payment_method_types`, not `payment_method_types`: from API version 2026-09-30.endive (the SDK
        # pins 2026-10-28.endive) Stripe answers 400 `payment_method_types_no_longer_supported` to the old
        # parameter on create (Stripe changelog, "Removes the payment method types parameter from Payment Intents
        # and Setup Intents"). The intent still reports the resulting list in `payment_method_types`.
        params: dict[str, Any] = {
            "amount": stripe_minor_units(request.amount, currency),
            "currency": currency.lower(),
            "allowed_payment_method_types": self._allowed_payment_method_types,
            "metadata": {
                **request.metadata,
                "reference": request.reference,
                "order_id": str(request.order_id),
            },
        }
        if request.description:
            params["description"] = request.description
        options: stripe.RequestOptions | None = (
            {"idempotency_key": request.idempotency_key} if request.idempotency_key else None
        )
        with _translated_errors():
            intent = self._client.v1.payment_intents.create(params=params, options=options)  # type: ignore[arg-type]
        return self._payment(intent.to_dict())

    def retrieve_payment(self, provider_payment_id: str) -> ProviderPayment:
        with _translated_errors():
            intent = self._client.v1.payment_intents.retrieve(
                provider_payment_id, params={"expand": ["latest_charge"]}
            )
        return self._payment(intent.to_dict())

    def reusable_after_failure(self, provider_payment_id: str) -> bool:
        """A declined PaymentIntent goes back to ``requires_payment_method`` and can be confirmed again with the
        same client_secret (Stripe: "the PaymentIntent's lifecycle"); any other status needs a new intent."""
        with _translated_errors():
            intent = self._client.v1.payment_intents.retrieve(provider_payment_id)
        return intent["status"] == "requires_payment_method"

    def cancel_payment(self, provider_payment_id: str) -> ProviderPayment:
        with _translated_errors():
            intent = self._client.v1.payment_intents.cancel(provider_payment_id)
        return self._payment(intent.to_dict())

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
        # Converting with the wrong currency would refund 100x too much or too little: check it first.
        current = self.retrieve_payment(provider_payment_id)
        if current.currency != code:
            raise GatewayRejected(
                f"refund currency {code} does not match the payment's {current.currency}",
                code="currency_mismatch", public=True,
            )
        params: stripe.params.RefundCreateParams = {
            "payment_intent": provider_payment_id,
            "amount": stripe_minor_units(amount, code),
        }
        if reason in REFUND_REASONS:
            params["reason"] = reason
        options: stripe.RequestOptions | None = {"idempotency_key": idempotency_key} if idempotency_key else None
        with _translated_errors():
            refund = self._client.v1.refunds.create(params=params, options=options).to_dict()
        return self._refund(refund)

    def retrieve_refund(self, provider_refund_id: str) -> RefundResult:
        with _translated_errors():
            refund = self._client.v1.refunds.retrieve(provider_refund_id).to_dict()
        return self._refund(refund)

    def _refund(self, refund: dict[str, Any]) -> RefundResult:
        # "pending" and "requires_action" are still open; "failed" and "canceled" gave the money back.
        status = _REFUND_STATUSES.get(refund.get("status") or "", RefundStatus.PENDING)
        failure = ""
        if status == RefundStatus.FAILED:
            failure = refund.get("failure_reason") or f"the refund was {refund.get('status')}"
        return RefundResult(
            provider_refund_id=refund["id"],
            status=status,
            amount=from_minor(refund["amount"], refund["currency"]),
            currency=refund["currency"].upper(),
            raw=refund,
            failure_message=failure,
            provider_payment_id=refund.get("payment_intent") or "",
        )

    def _payment(self, intent: dict[str, Any]) -> ProviderPayment:
        currency = intent["currency"].upper()
        charge = intent.get("latest_charge")
        # Only a retrieve expands latest_charge; create and cancel answers carry its id or None.
        refunded = (charge.get("amount_refunded") or 0) if isinstance(charge, dict) else 0
        error = intent.get("last_payment_error") or {}
        return ProviderPayment(
            provider_payment_id=intent["id"],
            status=intent_status(intent, refunded),
            amount=from_minor(intent["amount"], currency),
            currency=currency,
            client_secret=intent.get("client_secret") or "",
            failure_message=error.get("message") or "",
            amount_refunded=from_minor(refunded, currency),
            raw=intent,
        )

    # -- webhooks -------------------------------------------------------------------------------

    def parse_webhook(
        self, *, body: bytes, headers: Mapping[str, str], query: Mapping[str, str]
    ) -> WebhookEvent:
        signature = lower_headers(headers).get("stripe-signature")
        if not signature:
            raise WebhookVerificationError("missing Stripe-Signature header", code="missing_signature")
        try:
            # The SDK decodes the body with the standard decoder, whose RecursionError on a deeply nested one its
            # callers do not catch: refused first, as the bad body it is (a ValueError).
            json_depth_check(body)
            event = self._client.construct_event(
                body, signature, self._webhook_secret, tolerance=self._webhook_tolerance
            ).to_dict()
        except stripe.SignatureVerificationError as exc:
            raise WebhookVerificationError(
                f"bad Stripe signature: {exc.user_message}", code="bad_signature"
            ) from exc
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise WebhookVerificationError("the webhook body is not a Stripe event", code="bad_body") from exc
        try:
            return self._event(event)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise WebhookVerificationError(
                f"unexpected Stripe event shape: {exc!r}", code="bad_body"
            ) from exc

    def _event(self, event: dict[str, Any]) -> WebhookEvent:
        event_type = event["type"]
        obj = event["data"]["object"]
        kind = obj.get("object")
        currency = (obj.get("currency") or "").upper() or None
        payment_id, reference, status, amount, failure = "", "", None, None, ""
        if kind == "payment_intent":
            payment_id = obj["id"]
            reference = (obj.get("metadata") or {}).get("reference", "")
            amount = from_minor(obj["amount"], currency)
            failure = (obj.get("last_payment_error") or {}).get("message") or ""
            if event_type in PAYMENT_STATUS_EVENTS:
                status = intent_status(obj)
        elif kind == "charge":
            payment_id = obj.get("payment_intent") or ""
            if event_type == "charge.refunded":
                status = PaymentStatus.REFUNDED if obj.get("refunded") else PaymentStatus.PARTIALLY_REFUNDED
                amount = from_minor(obj["amount_refunded"], currency)
            else:
                amount = from_minor(obj["amount"], currency)
        elif kind == "refund":
            payment_id = obj.get("payment_intent") or ""
            amount = from_minor(obj["amount"], currency)
        refund = None
        if event_type in REFUND_EVENTS and kind == "refund" and obj.get("id"):
            # The refund's status may have moved (pending -> succeeded / failed / canceled): a trigger to read it.
            refund = RefundNotice(provider_refund_id=str(obj["id"]))
        return WebhookEvent(
            provider=self.identifier,
            event_id=event["id"],
            event_type=event_type,
            provider_payment_id=payment_id,
            reference=reference,
            status=status,
            amount=amount,
            currency=currency if amount is not None else None,
            failure_message=failure,
            raw=event,
            refund=refund,
        )
