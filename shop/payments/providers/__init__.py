"""Payment gateway boundary: pure Python, no Django. See ``base`` for the contract every provider meets.

Provider modules are imported on demand (``from shop.payments.providers.stripe_provider import
StripeProvider``) so that a shop without Stripe never imports the SDK.
"""

from .base import (
    Customer,
    GatewayRejected,
    GatewayUnavailable,
    LineItem,
    PaymentProvider,
    PaymentProviderError,
    PaymentRequest,
    PaymentStatus,
    ProviderPayment,
    RefundNotice,
    RefundResult,
    RefundStatus,
    WebhookEvent,
    WebhookVerificationError,
)

__all__ = [
    "Customer",
    "GatewayRejected",
    "GatewayUnavailable",
    "LineItem",
    "PaymentProvider",
    "PaymentProviderError",
    "PaymentRequest",
    "PaymentStatus",
    "ProviderPayment",
    "RefundNotice",
    "RefundResult",
    "RefundStatus",
    "WebhookEvent",
    "WebhookVerificationError",
]
