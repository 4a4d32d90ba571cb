"""The secrets of e-mail verification: a signed, expiring link token and a short one-time code.

A link token is Django's ``TimestampSigner`` (SECRET_KEY, its own salt) over ``<user id>:<state digest>``. The
digest is an HMAC of what the link vouches for: the user id, the e-mail it was sent to, ``token_version`` and
``is_email_verified``. Change any of them (a new e-mail, a verification already done with this link or the code,
a password change) and the link is dead, the same way Django's password-reset tokens die with the password.
Expiry is the signer's ``max_age`` (``EMAIL_VERIFICATION_HOURS``).

A code is 6 random digits (``secrets``), stored only as an HMAC of user id, e-mail and code, compared with
``constant_time_compare``.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

TOKEN_SALT = "shop.accounts.email-verification-link"
CODE_SALT = "shop.accounts.email-verification-code"
CODE_DIGITS = 6


class TokenExpired(Exception):
    """The link token is genuine but older than ``EMAIL_VERIFICATION_HOURS``."""


class TokenInvalid(Exception):
    """The link token was not made by this site (tampered, truncated, another salt or key)."""


class _Signer(signing.TimestampSigner):
    """A TimestampSigner whose clock can be set: ``issued_at`` (Unix seconds) stamps a token at another moment,
    which is how tests make an expired link without waiting or patching time."""

    def __init__(self, *, issued_at: float | None = None):
        super().__init__(salt=TOKEN_SALT)
        self.issued_at = issued_at

    def timestamp(self) -> str:
        if self.issued_at is None:
            return super().timestamp()
        return signing.b62_encode(int(self.issued_at))


def lifetime() -> timedelta:
    """How long a link or code stays valid: ``EMAIL_VERIFICATION_HOURS`` (default 24)."""
    return timedelta(hours=settings.EMAIL_VERIFICATION_HOURS)


def _state_digest(user) -> str:
    state = f"{user.pk}:{user.email}:{user.token_version}:{int(user.is_email_verified)}"
    return salted_hmac(TOKEN_SALT, state, algorithm="sha256").hexdigest()[:32]


def token_make(user, *, issued_at: float | None = None) -> str:
    """A URL-safe link token for ``user``'s current e-mail and state, issued now (or at ``issued_at``)."""
    return _Signer(issued_at=issued_at).sign(f"{user.pk}:{_state_digest(user)}")


def token_user_id(token: str) -> int:
    """The user id a genuine, unexpired token names. Raises :class:`TokenExpired` or :class:`TokenInvalid`;
    whether the token still matches that user's state is :func:`token_matches`'s question."""
    try:
        value = _Signer().unsign(token, max_age=lifetime())
    except signing.SignatureExpired as exc:
        raise TokenExpired from exc
    except signing.BadSignature as exc:
        raise TokenInvalid from exc
    user_id, _, _digest = value.partition(":")
    try:
        return int(user_id)
    except ValueError as exc:  # only this site signs, so this is a token of an older format
        raise TokenInvalid from exc


def token_matches(token: str, user) -> bool:
    """Whether a genuine token (checked by :func:`token_user_id` first) was made for ``user`` as it is now."""
    value = _Signer().unsign(token)
    return constant_time_compare(value, f"{user.pk}:{_state_digest(user)}")


def code_make() -> str:
    """Six random digits, leading zeros kept (``"042917"``)."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(*, user_id: int, email: str, code: str) -> str:
    """The stored form of a code: HMAC-SHA256 (SECRET_KEY) of user id, e-mail and code, 64 hex characters."""
    return salted_hmac(CODE_SALT, f"{user_id}:{email}:{code}", algorithm="sha256").hexdigest()


def code_matches(*, stored_hash: str, user_id: int, email: str, code: str) -> bool:
    """Constant-time comparison of a typed code with the stored hash."""
    return constant_time_compare(stored_hash, code_hash(user_id=user_id, email=email, code=code))
