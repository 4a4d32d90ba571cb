"""The payment methods a shop offers, from configuration. Checkout and ``GET /payments/methods/`` read this.

``kind`` tells the client what happens after checkout:
- ``direct``: nothing to pay online now (cash on delivery); the order proceeds unpaid.
- ``redirect``: send the customer to ``next_step`` (a hosted checkout page).
- ``client``: confirm in the browser with ``client_secret`` (Stripe.js).
"""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class PaymentMethod:
    id: str
    provider: str
    name: str
    kind: str
    currencies: tuple[str, ...] = ()

    @property
    def is_online(self) -> bool:
        return self.kind != "direct"


KNOWN_METHODS = {
    "stripe": PaymentMethod("stripe", "stripe", "Card (Stripe)", "client"),
    "paymob": PaymentMethod("paymob", "paymob", "Card / wallet (Paymob)", "redirect", ("EGP",)),
    "intasend": PaymentMethod(
        "intasend", "intasend", "M-Pesa / card (IntaSend)", "redirect", ("KES", "USD", "EUR", "GBP")
    ),
    "sandbox": PaymentMethod("sandbox", "sandbox", "Sandbox (test payments, no network)", "redirect"),
    "cod": PaymentMethod("cod", "cod", "Cash on delivery", "direct"),
}


def _configured(provider: str) -> bool:
    """A gateway without its keys is not offered: listing it would only lead to a 503 at checkout."""
    return {
        "stripe": bool(settings.STRIPE_SECRET_KEY),
        "paymob": bool(settings.PAYMOB_SECRET_KEY and settings.PAYMOB_INTEGRATION_IDS),
        "intasend": bool(settings.INTASEND_SECRET_KEY),
        "sandbox": settings.PAYMENTS_SANDBOX_ENABLED,
    }.get(provider, True)


def enabled_methods() -> list[PaymentMethod]:
    return [method for name in settings.PAYMENT_METHODS if (method := method_get(name)) is not None]


def method_get(method_id: str) -> PaymentMethod | None:
    method = KNOWN_METHODS.get(method_id) if method_id in settings.PAYMENT_METHODS else None
    return method if method is not None and _configured(method.provider) else None
