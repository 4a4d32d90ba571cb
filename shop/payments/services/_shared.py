"""What every payments service shares: the payable order statuses, turning a gateway failure into the
API's answer, flagging a payment for a person, and a payment's status as words."""

import logging
from dataclasses import dataclass

from shop.core.exceptions import ApplicationError, ServiceUnavailable
from shop.orders.models import Order

from ..errors import PaymentErrorCode
from ..models import Payment
from ..providers.base import (
    GatewayRejected,
    GatewayUnavailable,
    PaymentProvider,
    PaymentProviderError,
)

logger = logging.getLogger(__name__)

PAYABLE_ORDER_STATUSES = (Order.Status.PENDING, Order.Status.PROCESSING)

@dataclass(frozen=True)
class GatewayAction:
    """What a gateway call was doing, in the words its failure is told to the payer with."""

    noun: str  # what the gateway did not accept: "this payment"
    unchanged: str  # what the failure leaves as it was: "Nothing was charged"


PAY = GatewayAction("this payment", "Nothing was charged")
REFUND = GatewayAction("this refund", "No refund was made")
CHANGE = GatewayAction("this request", "Nothing was changed")

# Codes of a GatewayUnavailable that retrying will not cure: our credentials or configuration (an operator's
# problem, not the customer's).
_OUR_SIDE = frozenset({"gateway_auth", "not_configured"})


def gateway_failure_message(provider: PaymentProvider, exc: PaymentProviderError,
                            action: GatewayAction = PAY) -> str:
    """What a customer is told when ``provider`` failed ``action``: the gateway's name, what happened in general
    words, what was left unchanged and what to do. Never ``exc.message``, which may quote the HTTP client or the
    gateway (hosts, ports, URLs, the SDK's advice to e-mail its support): only the provider's ``customer_message``,
    when it has words for the payer (its own, or Stripe's for a declined card)."""
    name = provider.display_name
    if isinstance(exc, GatewayRejected):
        if exc.customer_message:
            return f"{name} refused: {exc.customer_message}"
        return f"{name} did not accept {action.noun}. {action.unchanged}; please try again later or contact us."
    if exc.code in _OUR_SIDE:
        return (f"{name} cannot be used right now because of a problem on our side. {action.unchanged}; please try "
                "again later.")
    if exc.code == "gateway_timeout":
        return f"{name} did not answer in time. {action.unchanged}; please try again in a few minutes."
    return f"{name} is not responding right now. {action.unchanged}; please try again in a few minutes."


def gateway_error_detail(exc: BaseException) -> str:
    """The gateway's own words behind an error ``_gateway_call`` raised (for the log and staff-only fields, such as
    a refund's ``failure_message``), else the error's message."""
    cause = exc.__cause__
    if isinstance(cause, PaymentProviderError):
        return cause.message
    return getattr(exc, "message", str(exc))


def gateway_error(provider: PaymentProvider, exc: PaymentProviderError, action: GatewayAction = PAY,
                  *, doing: str = "") -> ApplicationError:
    """The API's answer to a provider error (503 ``gateway_unavailable`` or 400 ``gateway_rejected``), with the
    customer's words (``gateway_failure_message``); the gateway's own words go to the log. Raise it ``from exc``."""
    message = gateway_failure_message(provider, exc, action)
    if isinstance(exc, GatewayRejected):
        logger.warning("%s refused %s (%s): %s", provider.display_name, doing or action.noun, exc.code or "-",
                       exc.message)
        return ApplicationError(message, code=PaymentErrorCode.GATEWAY_REJECTED)
    log = logger.error if exc.code in _OUR_SIDE else logger.warning
    log("%s failed %s (%s): %s", provider.display_name, doing or action.noun, exc.code or "-", exc.message)
    return ServiceUnavailable(message, code=PaymentErrorCode.GATEWAY_UNAVAILABLE)


def _gateway_call(provider: PaymentProvider, call, *args, action: GatewayAction = PAY, **kwargs):
    """Run one gateway call, turning its failures into the API's answers: 503 (retry later) or 400, in words a
    customer may read (``gateway_error``); ``action``: what the call does, as the answer tells it."""
    try:
        return call(*args, **kwargs)
    except (GatewayUnavailable, GatewayRejected) as exc:
        raise gateway_error(provider, exc, action, doing=getattr(call, "__name__", "")) from exc


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
