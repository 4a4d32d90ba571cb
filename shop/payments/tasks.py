"""Gateway calls that must eventually happen after our own state is committed. Each task re-reads the row
and is safe to run twice; gateway outages are retried with backoff."""

import logging

from celery import shared_task

from shop.core.enqueue import TRANSIENT_DATABASE_ERRORS
from shop.core.exceptions import ServiceUnavailable

logger = logging.getLogger(__name__)

RETRY = {"autoretry_for": (ServiceUnavailable, *TRANSIENT_DATABASE_ERRORS), "retry_backoff": 5,
         "retry_backoff_max": 600, "max_retries": 10}


@shared_task(**RETRY)
def cancel_payment_at_gateway(payment_id: int) -> str:
    """Our side already closed the attempt (the order was cancelled); tell the gateway, if it has anything open.

    IntaSend (no cancel API) and Paymob before payment answer ``not_cancellable``: nothing to do there.
    """
    from shop.core.exceptions import ApplicationError

    from .gateways import configured_provider_get
    from .models import Payment
    from .services import gateway_error_detail, payment_gateway_cancel

    payment = Payment.objects.filter(pk=payment_id, status=Payment.Status.CANCELLED).first()
    if payment is None or not payment.provider_payment_id:
        return "nothing to do"
    try:
        provider = configured_provider_get(payment.provider)
        return payment_gateway_cancel(provider=provider, provider_payment_id=payment.provider_payment_id)
    except ServiceUnavailable:
        raise  # retried with backoff
    except ApplicationError as exc:
        # Typically: it succeeded at the gateway meanwhile. Its webhook (or a sync) refunds it; log for people.
        detail = gateway_error_detail(exc)
        logger.warning("gateway refused to cancel payment %s: %s", payment_id, detail)
        return f"refused: {detail}"


@shared_task(**RETRY)
def refund_orphan_payment(payment_id: int) -> str:
    """Money the order cannot keep is refunded in full: a payment on a cancelled (expired) order, an
    over-payment (another attempt already paid the order), or a paid order staff cancelled. A refund the gateway
    refuses flags the payment for a person."""
    from shop.core.exceptions import ApplicationError

    from .models import Payment
    from .services import gateway_error_detail, payment_flag, payment_refund

    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None or not payment.can_be_refunded:
        return "nothing to refund"
    try:
        payment_refund(payment_id=payment_id, user=None, reason="")
    except ServiceUnavailable:
        raise
    except ApplicationError as exc:
        detail = gateway_error_detail(exc)  # the gateway's own words: a flag reason is for staff
        logger.error("automatic refund of payment %s failed: %s", payment_id, detail)
        payment_flag(payment_id=payment_id, reason=f"automatic refund failed ({detail}); refund it by hand")
        return f"failed: {detail}"
    return "refunded"
