"""Webhooks: verify, dedupe by event id, re-read the gateway, apply (AGENTS.md rule 7)."""

import logging

from django.db import transaction
from django.utils import timezone

from shop.core.exceptions import ApplicationError, ServiceUnavailable
from shop.core.metrics import record_webhook

from ..errors import PaymentErrorCode
from ..gateways import configured_provider_get, webhook_provider_get
from ..locks import payment_lock_with_order
from ..models import Payment, WebhookEvent
from ..providers.base import (
    GatewayRejected,
    GatewayUnavailable,
    PaymentStatus,
    ProviderPayment,
    WebhookVerificationError,
)
from ..providers.base import WebhookEvent as GatewayEvent
from ._shared import _flag
from .refunds import refund_notice_settle
from .state import _apply, payment_apply_state

logger = logging.getLogger(__name__)

# --- Webhooks ---------------------------------------------------------------------------------------------------
#
# Identifiers, per gateway (``Payment.provider_payment_id`` is always the id the gateway's retrieve/refund take;
# ``provider_invoice_id`` keeps the hosted-checkout session the customer was sent to):
# - Stripe: the PaymentIntent id; no invoice id.
# - Paymob: Paymob's numeric order id (``intention_order_id``, signed into every callback as ``obj.order.id``);
#   the intention id (``pi_...``) in ``provider_invoice_id``.
# - IntaSend: creating a checkout returns only the checkout id, so the payment starts with the checkout id in
#   ``provider_payment_id`` and an empty ``provider_invoice_id``. The invoice exists once the customer pays and
#   reaches us in the first webhook, matched by our reference (``api_ref`` = ``pay_<pk>``): that invoice id then
#   becomes ``provider_payment_id`` and the checkout id moves to ``provider_invoice_id`` (``_payment_bind``).
# - Sandbox ``sbx_...``, cash on delivery ``cod_pay_<pk>``: their own ids.



def _find_payment(provider: str, event: GatewayEvent) -> Payment | None:
    if event.provider_payment_id:
        found = Payment.objects.filter(provider=provider, provider_payment_id=event.provider_payment_id).first()
        if found is not None:
            return found
    if event.reference.startswith("pay_") and event.reference[4:].isdigit():
        return Payment.objects.filter(provider=provider, pk=int(event.reference[4:])).first()
    return None


def webhook_process(*, provider_name: str, event: GatewayEvent) -> str:
    """Act once on a verified event: dedupe by id, re-read the payment's state from the gateway, apply it.

    An event whose processing failed (503: the gateway could not be re-read) stays unprocessed, so the
    gateway's redelivery is processed rather than answered "duplicate".
    """
    record, created = WebhookEvent.objects.get_or_create(
        provider=provider_name, event_id=event.event_id,
        defaults={"event_type": event.event_type, "provider_payment_id": event.provider_payment_id,
                  "payload": dict(event.raw) if event.raw else {}},
    )
    if not created and record.processed_at is not None:
        return "duplicate"
    outcome = _webhook_outcome(provider_name, event)
    WebhookEvent.objects.filter(pk=record.pk).update(processed_at=timezone.now(), outcome=outcome[:255])
    return outcome


def _state_from_event(payment: Payment, event: GatewayEvent) -> ProviderPayment:
    """The payment state a verified event carries itself (for an event that has one: ``status`` not None)."""
    if event.status is None:
        raise ValueError(f"{event.event_type} carries no payment state")
    return ProviderPayment(
        provider_payment_id=event.provider_payment_id or payment.provider_payment_id, status=event.status,
        amount=event.amount if event.amount is not None else payment.amount,
        currency=event.currency or payment.currency, failure_message=event.failure_message,
    )


def _webhook_outcome(provider_name: str, event: GatewayEvent) -> str:
    if event.status is None and not (event.provider_payment_id or event.reference):
        return f"ignored: {event.event_type} is not about a payment"
    payment = _find_payment(provider_name, event)
    if payment is None:
        logger.warning("webhook %s/%s names no known payment (%s)", provider_name, event.event_id,
                       event.provider_payment_id or event.reference)
        return "ignored: unknown payment"
    provider = configured_provider_get(provider_name)
    bind = (provider.binds_payment_id_from_webhook and bool(event.provider_payment_id)
            and event.provider_payment_id != payment.provider_payment_id)
    gateway_id = event.provider_payment_id if bind else payment.provider_payment_id
    try:
        # Also for events with no state of their own (a refund/void/chargeback callback): the re-read says
        # what the payment now is.
        state = provider.retrieve_payment(gateway_id)
    except GatewayUnavailable as exc:
        if exc.code != "not_configured" or not provider.webhooks_signed:
            raise ServiceUnavailable(f"Could not confirm the event with {provider.display_name}; retry later.",
                                     code=PaymentErrorCode.GATEWAY_UNAVAILABLE) from exc
        # Reads are not configured (Paymob without PAYMOB_API_KEY): the callback's HMAC authenticated the
        # transaction it carries, so act on that. An event with no state of its own needs a read: skip it.
        if event.status is None:
            return f"ignored: {event.event_type} needs a read from {provider.display_name}, which is not configured"
        state = _state_from_event(payment, event)
    except (GatewayRejected, NotImplementedError) as exc:
        if not provider.webhooks_signed:
            # Only a shared challenge vouches for this event, and the gateway does not know what it names:
            # never act on it. A 503 lets a genuine but early event be redelivered.
            raise ServiceUnavailable(f"{provider.display_name} does not confirm this event yet; retry later.",
                                     code=PaymentErrorCode.GATEWAY_UNCONFIRMED) from exc
        if event.status is None:
            return f"ignored: {event.event_type} could not be confirmed"
        # A signed event the gateway cannot show yet (Paymob's inquiry lags its callback): act on the event.
        state = _state_from_event(payment, event)
    if bind:
        return _payment_bind(payment_id=payment.pk, gateway_id=gateway_id, state=state)
    outcome = payment_apply_state(payment_id=payment.pk, state=state)
    if event.refund is not None:
        return refund_notice_settle(payment_id=payment.pk, provider=provider, notice=event.refund) or outcome
    return outcome


def _payment_bind(*, payment_id: int, gateway_id: str, state: ProviderPayment) -> str:
    """Attach the gateway's payment id (IntaSend's invoice) to the payment our reference named, then apply.

    The invoice was re-read from the gateway; it must echo this payment's reference, or a webhook naming one
    payment could attach another payment's invoice to it.
    """
    if state.reference != f"pay_{payment_id}":
        logger.warning("payment %s: invoice %s carries reference %r, not ours; not bound", payment_id, gateway_id,
                       state.reference)
        return "ignored: the invoice belongs to another payment"
    with transaction.atomic():
        order, payment = payment_lock_with_order(payment_id=payment_id)
        if payment.provider_payment_id != gateway_id:
            if payment.status in Payment.CAPTURED:
                # Money was already taken on another invoice: never move the payment off it.
                if state.status == PaymentStatus.SUCCEEDED:
                    _flag(payment, f"a second invoice {gateway_id} was paid for this payment; refund it by hand")
                    payment.save(update_fields=["flagged", "flag_reason", "updated_at"])
                    return "flagged_second_charge"
                return "ignored_stale"
            if not payment.provider_invoice_id:
                payment.provider_invoice_id = payment.provider_payment_id  # the checkout id
            payment.provider_payment_id = gateway_id
            payment.save(update_fields=["provider_payment_id", "provider_invoice_id", "updated_at"])
        return _apply(order, payment, state)


def webhook_receive(*, provider_name: str, body: bytes, headers, query) -> str:
    provider = webhook_provider_get(provider_name)
    try:
        event = provider.parse_webhook(body=body, headers=headers, query=query)
    except WebhookVerificationError as exc:
        record_webhook(provider_name, "bad_signature")
        raise ApplicationError(f"Webhook rejected: {exc.message}", code=PaymentErrorCode.INVALID_SIGNATURE) from exc
    outcome = webhook_process(provider_name=provider.identifier, event=event)
    record_webhook(provider_name, outcome.split(":")[0])
    return outcome


