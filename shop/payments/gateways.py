"""Builds a payment method's provider from the gateway settings, for one of two questions:

- ``offered_provider_get``: may a NEW payment be opened with this gateway? It must be offered (``PAYMENT_METHODS``)
  and configured (its keys set).
- ``configured_provider_get``: can an EXISTING payment of this gateway be acted on (refunded, cancelled, re-read,
  its webhook processed, its order expired)? It must be configured; offered or not does not matter. Taking a
  gateway out of ``PAYMENT_METHODS`` stops new checkouts with it, never the money already on its way through it
  (docs/PAYMENTS.md, "Taking a gateway out of service").

``webhook_provider_get`` answers the second for a webhook, and says which setting is missing. ``missing_keys`` is the
one list of what a gateway needs (``methods._configured`` reads it to say whether a method can be offered; the
Stripe publishable key is handed to clients by ``payments/api/views.py``).

Providers are built once per configuration and reused: each holds an HTTP connection pool, and Paymob's
legacy auth token (one extra round trip per read) lives for an hour. A changed setting builds a new one.
"""

import logging
from functools import lru_cache

from django.conf import settings

from shop.core.exceptions import ApplicationError, ServiceUnavailable
from shop.orders.errors import OrderErrorCode

from .errors import PaymentErrorCode
from .models import Payment
from .providers.base import PaymentProvider
from .providers.cod import CashOnDeliveryProvider
from .providers.intasend import IntaSendProvider
from .providers.paymob import PaymobProvider
from .providers.stripe_provider import StripeProvider
from .sandbox import SandboxProvider

logger = logging.getLogger(__name__)

# The settings a gateway cannot be called without, new payment or existing one (the webhook secrets are below).
_KEYS: dict[str, tuple[str, ...]] = {
    "stripe": ("STRIPE_SECRET_KEY",),
    "paymob": ("PAYMOB_SECRET_KEY", "PAYMOB_INTEGRATION_IDS"),
    "intasend": ("INTASEND_SECRET_KEY",),
}


def missing_keys(name: str) -> tuple[str, ...]:
    """The settings ``name``'s gateway cannot be called without that this server lacks (``()``: none, or a method
    with no keys, such as cash on delivery)."""
    return tuple(key for key in _KEYS.get(name, ()) if not getattr(settings, key))


class _NotConfigured(ServiceUnavailable):
    """503 ``provider_not_configured`` in a customer's words; ``variables``: the settings it lacks, which the log
    names (and a webhook's answer, read by the gateway's operator, not a customer)."""

    def __init__(self, name: str, variables: tuple[str, ...], unchanged: str):
        super().__init__(f"{name} payments are not available right now because of a problem on our side. "
                         f"{unchanged}; please try again later.", code=PaymentErrorCode.PROVIDER_NOT_CONFIGURED)
        self.variables = variables


def _not_configured(name: str, variables: tuple[str, ...], unchanged: str) -> ServiceUnavailable:
    # The settings it lacks are the operator's to know (the log), not the customer's (the answer).
    logger.error("%s payments are not configured on this server: set %s", name, ", ".join(variables))
    return _NotConfigured(name, variables, unchanged)


def _webhook_not_configured(name: str, *variables: str) -> ServiceUnavailable:
    logger.error("%s webhooks cannot be verified on this server: set %s", name, ", ".join(variables))
    return ServiceUnavailable(f"{name} is not set up on this server ({', '.join(variables)}): its events cannot be "
                              "verified or acted on until it is.", code=PaymentErrorCode.PROVIDER_NOT_CONFIGURED)


def _stripe() -> PaymentProvider:
    return _built(
        StripeProvider,
        secret_key=settings.STRIPE_SECRET_KEY,
        publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
        webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
        api_base=settings.STRIPE_API_BASE,
        timeout=settings.PAYMENT_GATEWAY_TIMEOUT,
    )


def _paymob() -> PaymentProvider:
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
# its keys in settings (and _KEYS), its webhook route in api/urls.py and a fake server in tests/fakes/.
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
    "stripe": "STRIPE_WEBHOOK_SECRET",
    "paymob": "PAYMOB_HMAC_SECRET",
    "intasend": "INTASEND_WEBHOOK_CHALLENGE",
}


def _build_configured(name: str, *, unchanged: str) -> PaymentProvider:
    """``name``'s provider (a name ``_BUILDERS`` holds); 503 ``provider_not_configured`` without its keys."""
    if missing := missing_keys(name):
        raise _not_configured(provider_class(name).display_name, missing, unchanged)
    return _BUILDERS[name]()


def offered_provider_get(name: str) -> PaymentProvider:
    """The provider a NEW payment with ``name`` opens at: 400 ``method_unavailable`` when the shop does not offer
    it (``PAYMENT_METHODS``), 503 ``provider_not_configured`` when it lacks its keys."""
    if name not in settings.PAYMENT_METHODS or name not in _BUILDERS:
        raise ApplicationError(f"Payment method '{name}' is not available.", code=OrderErrorCode.METHOD_UNAVAILABLE)
    return _build_configured(name, unchanged="Nothing was charged")


def configured_provider_get(name: str) -> PaymentProvider:
    """The provider of an EXISTING payment made with ``name`` (a refund, a cancel, a re-read, its webhook, its
    order's expiry), offered for new payments or not: 503 ``provider_not_configured`` when it lacks its keys (the
    log names them; the answer may reach a customer), 400 ``method_unavailable`` for a name this code has no
    gateway for."""
    if name not in _BUILDERS:
        raise ApplicationError(f"Payment method '{name}' is not available.", code=OrderErrorCode.METHOD_UNAVAILABLE)
    return _build_configured(name, unchanged="Nothing was changed")


def webhook_provider_get(name: str) -> PaymentProvider:
    """The provider that verifies and acts on ``name``'s webhooks, offered for new payments or not: a gateway
    taken out of ``PAYMENT_METHODS`` still has payments whose money arrives through its events.

    503 ``provider_not_configured`` naming every setting to set (its keys, the secret its events are verified
    with) when this server cannot: the event may be a real payment that is acted on once the shop is set up, and
    every gateway keeps and redelivers an event answered with a 5xx (docs/PAYMENTS.md, "Webhooks"). 400
    ``method_unavailable`` for a gateway that is not this shop's: no gateway of that name, or one neither offered,
    nor set up, nor ever paid through here (no ``Payment`` of it): nothing it sends can be acted on, now or later.
    """
    if name not in _BUILDERS:
        raise ApplicationError(f"There is no payment gateway '{name}' on this server: its events cannot be "
                               "verified or acted on.", code=OrderErrorCode.METHOD_UNAVAILABLE)
    display = provider_class(name).display_name
    secret = _WEBHOOK_SECRETS.get(name, "")
    missing = (*missing_keys(name), *((secret,) if secret and not getattr(settings, secret) else ()))
    if missing:
        if name not in settings.PAYMENT_METHODS and not Payment.objects.filter(provider=name).exists():
            raise ApplicationError(
                f"{display} payments are not offered on this server (PAYMENT_METHODS), it is not set up "
                f"({', '.join(missing)}) and no payment was ever made with it: its events cannot be verified or "
                "acted on.", code=OrderErrorCode.METHOD_UNAVAILABLE)
        raise _webhook_not_configured(display, *missing)
    return _BUILDERS[name]()
