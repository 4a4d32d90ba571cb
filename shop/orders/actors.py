"""Who buys or acts on an order without being a logged-in user: a guest.

Two small value types the services accept where they otherwise take a user:

- ``GuestBuyer``: a checkout by a guest, naming the guest cart (by its token) and the e-mail the order keeps;
- ``GuestAccess``: a guest who proved, with a valid order access token, that they hold the link to one order.
  It answers ``is_staff`` False, so ``shop.orders.policy`` gives it a customer's rights (never the system's,
  which is what ``None`` means there), and it is recorded as nobody in the status history.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class GuestBuyer:
    cart_token: str
    email: str  # normalised: stripped, lower case (``normalise_email``)


@dataclass(frozen=True)
class GuestAccess:
    order_id: int
    is_staff: bool = False
    is_authenticated: bool = False
    pk: None = None


def normalise_email(email: str) -> str:
    """The form orders keep and claims compare: surrounding spaces dropped, lower case throughout (accounts
    store their e-mail the same way, ``shop.accounts.models``)."""
    return email.strip().lower()
