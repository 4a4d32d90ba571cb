"""The payment status pipeline: the one table every ``Payment.status`` change is checked against, and the one
setter that checks it (AGENTS.md rule 3), with the payment row locked.

The table is what the services do (and did before it existed), each edge with the path that takes it:

- pending -> processing / succeeded / failed / cancelled: the gateway's word (``state._apply``: webhook, sync,
  cash collected), a customer's or an order's cancel (``cancel``), a gateway that failed to open it (``start``);
- processing -> succeeded / failed / cancelled: the gateway's word, a cancel;
- failed -> pending: a failed attempt whose gateway object takes a new try is reopened, or one never opened at the
  gateway is retried with its idempotency key (``start``); failed -> processing / succeeded / cancelled: the
  gateway's later word (a failure is not final at Stripe: the customer may retry on the same PaymentIntent);
- cancelled -> succeeded: money that arrives for a closed attempt (kept as an over-payment, refunded);
  cancelled -> pending / failed: an attempt closed before the gateway ever opened it (no gateway id), retried
  with its idempotency key or closed while its gateway call was in flight, is opened or failed by that call;
- succeeded <-> partially refunded <-> refunded: refunds (ours or the gateway's), and a refund that failed
  afterwards giving the amount back (``refunds._refund_settle_locked``).

Staying in the same status is always allowed (nothing moves).
"""

from shop.core.locking import transaction_required

from .models import Payment

S = Payment.Status

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.PROCESSING, S.SUCCEEDED, S.FAILED, S.CANCELLED}),
    S.PROCESSING: frozenset({S.SUCCEEDED, S.FAILED, S.CANCELLED}),
    S.FAILED: frozenset({S.PENDING, S.PROCESSING, S.SUCCEEDED, S.CANCELLED}),
    S.CANCELLED: frozenset({S.PENDING, S.SUCCEEDED, S.FAILED}),
    S.SUCCEEDED: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED}),
    S.PARTIALLY_REFUNDED: frozenset({S.SUCCEEDED, S.REFUNDED}),
    S.REFUNDED: frozenset({S.SUCCEEDED, S.PARTIALLY_REFUNDED}),
}


class InvalidPaymentTransition(RuntimeError):
    """A service tried a status move outside ``ALLOWED_TRANSITIONS``: a programming error (a 500), never input."""


def can_transition(from_status: str, to_status: str) -> bool:
    """Whether a payment may go from ``from_status`` to ``to_status`` (the same status: always)."""
    return from_status == to_status or to_status in ALLOWED_TRANSITIONS.get(from_status, frozenset())


@transaction_required
def payment_status_set_locked(payment: Payment, *, to: str) -> None:
    """Move ``payment`` (its row locked by the caller, ``shop.payments.locks``) to status ``to``, unsaved: the
    caller saves it with its other fields. Raises ``InvalidPaymentTransition`` for a move the table refuses and
    ``TransactionRequired`` outside ``transaction.atomic()``."""
    if not can_transition(payment.status, to):
        raise InvalidPaymentTransition(f"payment {payment.pk} cannot go from {payment.status} to {to}")
    payment.status = to
