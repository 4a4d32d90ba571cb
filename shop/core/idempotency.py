"""Idempotency keys that remember *what* was asked, not only that something was.

A client retrying a write sends the same ``Idempotency-Key``; the server answers with the result of the first
request. If the same key arrives with a *different* request, replaying the first result would silently drop
what the client now asked for, so the request is refused instead (Stripe's behaviour, and the IETF draft
"The Idempotency-Key HTTP Header Field", section 2.6: 422 for a key reused with another payload).

The fingerprint is a SHA-256 over a canonical JSON of the operation's name and its validated input, so
spelling differences the API accepts as equal (``items`` or ``cart_items``, ``product`` or ``product_id``,
omitted fields or their defaults, ``10.0`` or ``10.00``) are the same request, while any difference in what
would be done is not.

A key whose first request is still running (its payment still being opened with the gateway) is the 409
``request_in_progress`` (:func:`request_in_progress`): its answer is not known yet, so nothing is replayed and
nothing is done again; the same request sent a few seconds later gets the first one's answer (Stripe's 409 for
"a request with this key is being processed", and the IETF draft's 409 for a request still in flight).

A key comes in the ``Idempotency-Key`` header (checkouts) or a body's ``idempotency_key`` (payment starts); either
way it is at most :data:`IDEMPOTENCY_KEY_MAX_LENGTH` characters, and a longer one is the same 400
``invalid_idempotency_key`` (:func:`idempotency_key_checked`) before anything is done.
"""

import dataclasses
import hashlib
import json
from decimal import Decimal

from .errors import CoreErrorCode
from .exceptions import ApplicationError, Conflict

# The longest idempotency key accepted, whichever carrier brings it (Stripe's limit too). Stored as sent (an
# order's key) or behind a prefix of ours (a payment's ``client-<user id>-``), so the columns that hold keys are
# sized from it (``shop.payments.models.PAYMENT_KEY_MAX_LENGTH``).
IDEMPOTENCY_KEY_MAX_LENGTH = 255
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"


def idempotency_key_checked(key: str, *, carrier: str) -> str:
    """``key`` itself when it is at most :data:`IDEMPOTENCY_KEY_MAX_LENGTH` characters; else ApplicationError 400
    ``invalid_idempotency_key`` with ``max_length`` (255) and ``errors`` naming ``carrier`` (the header's name or
    the body field's), the same answer for every carrier."""
    if len(key) <= IDEMPOTENCY_KEY_MAX_LENGTH:
        return key
    message = (f"An idempotency key may be at most {IDEMPOTENCY_KEY_MAX_LENGTH} characters; this one has "
               f"{len(key)}. Nothing was done.")
    raise ApplicationError(message, code=CoreErrorCode.INVALID_IDEMPOTENCY_KEY,
                           extra={"max_length": IDEMPOTENCY_KEY_MAX_LENGTH, "errors": {carrier: [message]}})


def idempotency_key_of(request) -> str | None:
    """The request's ``Idempotency-Key`` header, stripped; None when absent or blank. Raises the 400
    ``invalid_idempotency_key`` of :func:`idempotency_key_checked` when it is longer than the limit."""
    key = request.headers.get("Idempotency-Key", "").strip()  # spelled out: the CORS test scans for read headers
    return idempotency_key_checked(key, carrier=IDEMPOTENCY_KEY_HEADER) or None


def _jsonable(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 10.0 and 10.00 are one amount
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    raise TypeError(f"{type(value).__name__} cannot be part of a request fingerprint")


def request_fingerprint(operation: str, payload: dict) -> str:
    """The SHA-256 (64 hex characters) of ``{"operation": operation, "payload": payload}`` as canonical JSON:
    keys sorted, no whitespace, Decimals normalised, dataclasses as dicts. List order is kept (it is part of
    the request). Raises TypeError for a value with no canonical JSON form (a programming error)."""
    canonical = json.dumps({"operation": operation, "payload": payload}, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False, default=_jsonable)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_key_reused() -> ApplicationError:
    """The 422 for a key already used with a different request: nothing was done for this one."""
    return ApplicationError(
        "This Idempotency-Key was already used with a different request; nothing was done. "
        "Use a new key for a new request, or resend the original request unchanged to get its result.",
        code=CoreErrorCode.IDEMPOTENCY_KEY_REUSED, status_code=422,
    )


KEY_IN_PROGRESS = ("A request with this idempotency key is still being processed: its payment is being opened with "
                   "the payment gateway. Nothing was done for this one; send the same request again in a few "
                   "seconds to get its answer.")


def request_in_progress(detail: str = KEY_IN_PROGRESS) -> Conflict:
    """The 409 ``request_in_progress`` for a request that arrives while an earlier one for the same thing (the same
    key, by default; ``detail`` says what else) is still running: nothing was done for this one, and the same
    request sent again shortly gets the first one's answer."""
    return Conflict(detail, code=CoreErrorCode.REQUEST_IN_PROGRESS)


def check_replay(*, stored_fingerprint: str, fingerprint: str) -> None:
    """Raise the 422 unless the earlier request's fingerprint matches this one's. An empty stored fingerprint
    (a row written before fingerprints were kept) is taken as a match: the earlier behaviour, never a false 422."""
    if stored_fingerprint and stored_fingerprint != fingerprint:
        raise idempotency_key_reused()
