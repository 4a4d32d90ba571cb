"""Builds the configured provider for a payment method from the gateway settings (``methods._configured`` reads
the same keys only to say whether a method is configured; the Stripe publishable key is handed to clients by
``payments/api/views.py``).

Providers are built once per configuration and reused: each holds an HTTP connection pool, and Paymob's
legacy auth token (one extra round trip per read) lives for an hour. A changed setting builds a new one.
"""

import logging
from functools import lru_cache

from django.conf import settings

from shop.core.exceptions import ApplicationError, ServiceUnavailable
from shop.orders.errors import OrderErrorCode

from .errors import PaymentErrorCode
from .providers.base import PaymentProvider
from .providers.cod import CashOnDeliveryProvider
from .providers.intasend import IntaSendProvider
from .providers.paymob import PaymobProvider
from .providers.stripe_provider import StripeProvider
from .sandbox import SandboxProvider

logger = logging.getLogger(__name__)


class _NotConfigured(ServiceUnavailable):
    """503 ``provider_not_configured`` in a customer's words; ``variables``: the settings it lacks, which the log
    names (and a webhook's answer, read by the gateway's operator, not a customer)."""

    def __init__(self, name: str, variables: tuple[str, ...]):
        super().__init__(f"{name} payments are not available right now because of a problem on our side. Nothing "
                         "was charged; please try again later.", code=PaymentErrorCode.PROVIDER_NOT_CONFIGURED)
        self.variables = variables


def _not_configured(name: str, *variables: str) -> ServiceUnavailable:
    # The settings it lacks are the operator's to know (the log), not the customer's (the answer).
    logger.error("%s payments are not configured on this server: set %s", name, ", ".join(variables))
    return _NotConfigured(name, variables)


def _webhook_not_configured(name: str, *variables: str) -> ServiceUnavailable:
    logger.error("%s webhooks cannot be verified on this server: set %s", name, ", ".join(variables))
    return ServiceUnavailable(f"{name} is not set up on this server ({', '.join(variables)}): its events cannot be "
                              "verified or acted on until it is.", code=PaymentErrorCode.PROVIDER_NOT_CONFIGURED)


def _stripe() -> PaymentProvider:
    if not settings.STRIPE_SECRET_KEY:
        raise _not_configured("Stripe", "STRIPE_SECRET_KEY")
    return _built(
        StripeProvider,
        secret_key=settings.STRIPE_SECRET_KEY,
        publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
        webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
        api_base=settings.STRIPE_API_BASE,
        timeout=settings.PAYMENT_GATEWAY_TIMEOUT,
    )


def _paymob() -> PaymentProvider:
    if not (settings.PAYMOB_SECRET_KEY and settings.PAYMOB_INTEGRATION_IDS):
        raise _not_configured("Paymob", "PAYMOB_SECRET_KEY", "PAYMOB_INTEGRATION_IDS")
    return _built(
        PaymobProvider,
        secret_key=settings.PAYMOB_SECRET_KEY,
        public_key=settings.PAYMOB_PUBLIC_KEY,
        hmac_secret=settings.PAYMOB_HMAC_SECRET,
        integration_ids=tuple(settings.PAYMOB_INTEGRATION_IDS),
        api_base=settings.PAYMOB_API_BASE,
        api_key=settings.PAYMOB_API_KEY,
        timeout=settings.PAYMENT_GATEWAY_TIMEOUT,
        intention_expiration=settings.PAYMOB_INTENTION_EXPIRATION or None,
    )


def _intasend() -> PaymentProvider:
    if not settings.INTASEND_SECRET_KEY:
        raise _not_configured("IntaSend", "INTASEND_SECRET_KEY")
    return _built(
        IntaSendProvider,
        publishable_key=settings.INTASEND_PUBLISHABLE_KEY,
        secret_key=settings.INTASEND_SECRET_KEY,
        webhook_challenge=settings.INTASEND_WEBHOOK_CHALLENGE,
        api_base=settings.INTASEND_API_BASE,
        timeout=settings.PAYMENT_GATEWAY_TIMEOUT,
    )


def _built(cls: type[PaymentProvider], **config) -> PaymentProvider:
    return _provider_for(cls, tuple(sorted(config.items())))


@lru_cache(maxsize=16)
def _provider_for(cls: type[PaymentProvider], config: tuple) -> PaymentProvider:
    return cls(**dict(config))


def _sandbox() -> PaymentProvider:
    if not settings.PAYMENTS_SANDBOX_ENABLED:
        raise ApplicationError("The sandbox payment provider is disabled.", code=PaymentErrorCode.METHOD_DISABLED)
    return SandboxProvider()


# Every provider the code supports, by identifier: the one list the methods registry (``methods.KNOWN_METHODS``)
# and the capability lookups are derived from. Adding a gateway: its class in providers/ and here, a builder below,
# its keys in settings (and methods._configured), its webhook route in api/urls.py and a fake server in tests/fakes/.
PROVIDER_CLASSES: dict[str, type[PaymentProvider]] = {
    cls.identifier: cls
    for cls in (StripeProvider, PaymobProvider, IntaSendProvider, SandboxProvider, CashOnDeliveryProvider)
}


def provider_class(name: str) -> type[PaymentProvider]:
    """The provider class behind ``name``, deployed or not: its capabilities are class attributes, readable
    for a payment whose method the shop no longer offers. A name the code does not know gets the base class:
    every capability off."""
    return PROVIDER_CLASSES.get(name, PaymentProvider)


_BUILDERS = {
    "stripe": _stripe,
    "paymob": _paymob,
    "intasend": _intasend,
    "cod": CashOnDeliveryProvider,
    "sandbox": _sandbox,
}


# The setting each gateway's events are verified with: without it no event can be told from a forgery.
_WEBHOOK_SECRETS = {
    "stripe": ("Stripe", "STRIPE_WEBHOOK_SECRET"),
    "paymob": ("Paymob", "PAYMOB_HMAC_SECRET"),
    "intasend": ("IntaSend", "INTASEND_WEBHOOK_CHALLENGE"),
}


def webhook_provider_get(name: str) -> PaymentProvider:
    """The provider that verifies and acts on ``name``'s webhooks; 503 ``provider_not_configured`` naming what to
    set when this server cannot: the gateway not offered (``PAYMENT_METHODS``), its keys or its webhook secret
    missing. One answer for all of them, a 5xx: the event may be a real payment that is acted on once the shop is
    set up, and every gateway keeps and redelivers an event answered with one (docs/PAYMENTS.md, "Webhooks")."""
    display, secret = _WEBHOOK_SECRETS.get(name, (name, ""))
    if name not in settings.PAYMENT_METHODS or name not in _BUILDERS:
        # A gateway this shop does not offer: nothing it sends can be acted on here, now or later (400, as any
        # request naming a method the shop does not offer); one offered but not set up is the 503 below.
        raise ApplicationError(
            f"{display} payments are not offered on this server (PAYMENT_METHODS): its events cannot be verified "
            "or acted on.", code=OrderErrorCode.METHOD_UNAVAILABLE)
    try:
        provider = provider_get(name)
    except _NotConfigured as exc:  # its keys missing: the answer goes to the gateway, for its operator to read
        raise _webhook_not_configured(display, *exc.variables) from None
    if secret and not getattr(settings, secret):
        raise _webhook_not_configured(display, secret)
    return provider


def provider_get(name: str) -> PaymentProvider:
    """The provider behind ``name``; 400 when the shop does not offer it, 503 when it lacks its keys."""
    if name not in settings.PAYMENT_METHODS or name not in _BUILDERS:
        raise ApplicationError(f"Payment method '{name}' is not available.", code=OrderErrorCode.METHOD_UNAVAILABLE)
    return _BUILDERS[name]()
