"""Guest cart tokens: 256 random bits given to the client once, kept only as their SHA-256.

The client sends the token in the ``X-Cart-Token`` header. A lookup compares the token's hash with the stored
hash inside the database's unique index: the secret itself is never compared (so no timing of a string
comparison can reveal it), and a read of the table reveals no usable token.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

CART_TOKEN_HEADER = "X-Cart-Token"
TOKEN_BYTES = 32  # 256 bits (the floor is 128)
MAX_TOKEN_LENGTH = 128  # a longer header cannot be one of ours: refused without hashing it


def cart_token_new() -> str:
    """A fresh guest cart token: 43 URL-safe characters carrying 256 random bits (``secrets``)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def cart_token_hash(token: str) -> str:
    """The 64-character hex SHA-256 of ``token``: what ``Cart.token_hash`` stores and lookups compare."""
    return hashlib.sha256(token.encode()).hexdigest()


def guest_cart_cutoff(now: datetime | None = None) -> datetime:
    """Guest carts untouched since before this are abandoned: unreachable, then deleted (``GUEST_CART_DAYS``)."""
    return (now or timezone.now()) - timedelta(days=settings.GUEST_CART_DAYS)


def cart_token_of(request) -> str | None:
    """The ``X-Cart-Token`` header's value, or None when absent, blank or too long to be a token."""
    token = request.headers.get(CART_TOKEN_HEADER, "").strip()
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return token
