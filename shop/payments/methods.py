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


def enabled_methods() -> list[PaymentMethod]:
    return [KNOWN_METHODS[name] for name in settings.PAYMENT_METHODS if name in KNOWN_METHODS]


def method_get(method_id: str) -> PaymentMethod | None:
    if method_id not in settings.PAYMENT_METHODS:
        return None
    return KNOWN_METHODS.get(method_id)
