"""Gateway calls that must eventually happen after our own state is committed. Each task re-reads the row
and is safe to run twice; gateway outages are retried with backoff."""

import logging

from celery import shared_task

from shop.core.exceptions import ServiceUnavailable

logger = logging.getLogger(__name__)

RETRY = {"autoretry_for": (ServiceUnavailable,), "retry_backoff": 5, "retry_backoff_max": 600, "max_retries": 10}


@shared_task(**RETRY)
def cancel_payment_at_gateway(payment_id: int) -> str:
    from .gateways import provider_get
    from .models import Payment
    from .providers.base import GatewayRejected, GatewayUnavailable

    payment = Payment.objects.filter(pk=payment_id, status=Payment.Status.CANCELLED).first()
    if payment is None or not payment.provider_payment_id:
        return "nothing to do"
    provider = provider_get(payment.provider)
    try:
        provider.cancel_payment(payment.provider_payment_id)
    except GatewayUnavailable as exc:
        raise ServiceUnavailable(exc.message) from exc
    except GatewayRejected as exc:
        # Typically: it succeeded at the gateway meanwhile. Its webhook (or a sync) refunds it; log for people.
        logger.warning("gateway refused to cancel payment %s: %s", payment_id, exc.message)
        return f"refused: {exc.message}"
    return "cancelled"


@shared_task(**RETRY)
def refund_orphan_payment(payment_id: int) -> str:
    """A payment that succeeded on an order already cancelled (expired) is refunded in full."""
    from shop.core.exceptions import ApplicationError

    from .models import Payment
    from .services import payment_refund

    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None or not payment.can_be_refunded:
        return "nothing to refund"
    try:
        payment_refund(payment_id=payment_id, user=None, reason="")
    except ServiceUnavailable:
        raise
    except ApplicationError as exc:
        logger.error("automatic refund of payment %s failed: %s", payment_id, exc.message)
        return f"failed: {exc.message}"
    return "refunded"
