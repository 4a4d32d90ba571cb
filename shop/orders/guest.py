"""Guest orders: the order access token (checkout without an account and claiming guest orders, which move
payments too, live above, in ``shop.payments.guest``).

Order access token
    ``order_access_token(order)`` signs ``{"o": order id, "k": order key}`` with ``django.core.signing``
    (HMAC-SHA256 keyed by SECRET_KEY, a salt of its own, a timestamp). A token opens exactly one order: the one it
    names *and* whose key is in the URL, only while that order has no user (a claimed order is reached by its
    account), and only for ``GUEST_ORDER_LINK_DAYS`` after it was issued. Signature checks are constant-time
    (``signing``), and so is the comparison of the signed key with the URL's. Every failure (malformed, tampered,
    expired, another order's, claimed order) is the same "not found": a guest route never answers 403, which
    would confirm that the order exists.

Claiming
    A logged-in user whose e-mail is verified takes over every guest order placed with that e-mail
    (``normalise_email``). An unverified address is refused (403 ``email_not_verified``, saying how to verify):
    anyone can type any e-mail at a guest checkout, so only a verified address proves the orders are theirs.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare

from .models import Order

TOKEN_SALT = "shop.orders.guest-order-access"
MAX_TOKEN_LENGTH = 512  # ours are ~90 characters: anything far longer is refused without being decoded
ORDER_TOKEN_HEADER = "X-Order-Token"


def order_access_token(order: Order) -> str:
    """A signed, expiring token that opens ``order`` (and no other) on the guest routes."""
    return signing.dumps({"o": order.pk, "k": order.order_key}, salt=TOKEN_SALT, compress=False)


def order_access_link(order: Order, token: str | None = None) -> str:
    """The front-end link of the confirmation e-mail (``GUEST_ORDER_URL`` with the key and a token filled in)."""
    token = token or order_access_token(order)
    return settings.GUEST_ORDER_URL.format(order_key=order.order_key, token=token)


def order_access_expires_in() -> timedelta:
    return timedelta(days=settings.GUEST_ORDER_LINK_DAYS)


def order_access_token_order_id(*, order_key: str, token: str | None) -> int | None:
    """The id of the order ``token`` opens, if it was issued for the order ``order_key`` names and has not
    expired; None for anything else (no exception: every failure is the same "not found")."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=order_access_expires_in())
    except signing.BadSignature:  # tampered, malformed, or expired (SignatureExpired is a BadSignature)
        return None
    if not isinstance(data, dict) or not isinstance(data.get("o"), int) or not isinstance(data.get("k"), str):
        return None
    if not constant_time_compare(data["k"], order_key):
        return None
    return data["o"]
