"""Standard Webhooks signatures (https://www.standardwebhooks.com/, "Signature scheme").

Written by hand (a dozen lines) instead of signing with the ``standardwebhooks`` package: the scheme is one
HMAC-SHA256, the package would be a runtime dependency for that alone, and the tests verify every delivery with
the package acting as the receiver, so our signer is checked by an independent implementation rather than by
itself.

    webhook-id:        the message id (the same on every retry)
    webhook-timestamp: integer seconds since the epoch, at the time of the attempt
    webhook-signature: "v1,<base64 HMAC-SHA256(secret, f'{id}.{timestamp}.{body}')>", several separated by spaces
                       (one per secret in force: the new one and, during a rotation's overlap, the previous one)
"""

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"


def secret_generate() -> str:
    """A new signing secret: ``whsec_`` and 32 random bytes in base64 (the format receivers' libraries take)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(*, secret: str, message_id: str, timestamp: int, body: str) -> str:
    """``v1,<base64 signature>`` of ``body`` (the exact text sent) for ``message_id`` at ``timestamp``."""
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(*, secrets_in_force: list[str], message_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` value: one signature per secret, separated by single spaces."""
    return " ".join(signature(secret=secret, message_id=message_id, timestamp=timestamp, body=body)
                    for secret in secrets_in_force)
