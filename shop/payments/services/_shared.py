"""What every payments service shares: the payable order statuses, turning a gateway failure into the
API's answer, flagging a payment for a person, and a payment's status as words."""

import logging

from shop.core.exceptions import ApplicationError, ServiceUnavailable
from shop.orders.models import Order

from ..errors import PaymentErrorCode
from ..models import Payment
from ..providers.base import (
    GatewayRejected,
    GatewayUnavailable,
    PaymentProvider,
)

logger = logging.getLogger(__name__)

PAYABLE_ORDER_STATUSES = (Order.Status.PENDING, Order.Status.PROCESSING)

def _gateway_call(provider: PaymentProvider, call, *args, **kwargs):
    """Run one gateway call, turning its failures into the API's answers: 503 (retry later) or 400."""
    try:
        return call(*args, **kwargs)
    except GatewayUnavailable as exc:
        raise ServiceUnavailable(
            f"{provider.display_name} could not be reached ({exc.message}). Nothing was charged; please try again.",
            code=PaymentErrorCode.GATEWAY_UNAVAILABLE,
        ) from exc
    except GatewayRejected as exc:
        raise ApplicationError(f"{provider.display_name} refused: {exc.message}",
                               code=PaymentErrorCode.GATEWAY_REJECTED) from exc


def _flag(payment: Payment, reason: str) -> None:
    payment.flagged = True
    payment.flag_reason = reason[:255]
    logger.warning("payment %s flagged: %s", payment.pk, reason)


_STATUS_PHRASES: dict[str, str] = {
    Payment.Status.PENDING: "is pending",
    Payment.Status.PROCESSING: "is processing",
    Payment.Status.SUCCEEDED: "has already succeeded",
    Payment.Status.FAILED: "failed",
    Payment.Status.CANCELLED: "was cancelled",
    Payment.Status.REFUNDED: "was refunded",
    Payment.Status.PARTIALLY_REFUNDED: "was partly refunded",
}


def _status_phrase(payment: Payment) -> str:
    """``"has already succeeded"``, ``"was cancelled"`` ...: a payment's status as the verb of a sentence."""
    return _STATUS_PHRASES.get(payment.status, f"is {payment.status}")
