"""Order emails: each (order, kind) sent once, or, after a fault, at least once (a rare duplicate, never a loss).

A sender first claims the e-mail (``OrderNotification``, unique per order and kind), sends it, then marks it sent.
A claim that was never completed is taken over, so no fault after the claim loses the e-mail: a lost reply to the
claim (the retry, same token, finds its own claim), an SMTP failure (the claim is released for the retry), the
database gone with it (the retry finds its own claim), a worker killed or an SMTP hang past the task's hard time
limit (the claim goes stale after ``CLAIM_LEASE_SECONDS`` and ``order_emails_sweep`` hands it to a new task). The
price is a rare duplicate: when the database fails after SMTP accepted the e-mail and before it is recorded as
sent, the retry sends it again. A customer told twice beats one never told. (Not covered here: a task that was
never queued, and one that fails all its retries; both are logged.)

Kinds: ``confirmation``, ``shipped``, ``delivered``, ``cancelled``, ``expired``, and ``refund:<refund id>`` (one
e-mail per refund that leaves the order open, e.g. a partial refund; a refund that cancels the order is told by
the cancellation e-mail, which says what was refunded or is on its way).
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.functions import Now
from django.template.loader import render_to_string

from .hooks import order_email_payment_facts
from .models import Order, OrderNotification, Shipment

logger = logging.getLogger(__name__)

CLAIM_LEASE_SECONDS: int = settings.CELERY_TASK_TIME_LIMIT + 60
"""Seconds an unsent claim belongs to its sender: 180 with the 120 s hard time limit (``CELERY_TASK_TIME_LIMIT``).

A worker kills a task at that limit, and the claim is written after the task started, so a claim this old has no
live sender in a worker; the 60 s on top cover the kill's own delay and a statement still in flight. Shorter, a
slow but live sender could be overtaken (a duplicate); longer, a dead sender's e-mail waits longer. A direct call
or an eager task (no worker, ``make run``) has no such limit, only ``EMAIL_TIMEOUT`` (30 s) on each SMTP step:
a send slower than the lease may be overtaken (logged).
Compared with the database's clock only (``claimed_at`` is written by it), so the workers' clocks do not matter."""


class OrderEmailInProgress(Exception):
    """Another sender holds a fresh claim on this e-mail: try again later (the task retries it with backoff), when
    it was sent (nothing to do) or its claim went stale (taken over)."""


SUBJECTS = {
    "confirmation": "Your order {key} is confirmed",
    "shipped": "Your order {key} has shipped",
    "delivered": "Your order {key} was delivered",
    "cancelled": "Your order {key} was cancelled",
    "expired": "Your order {key} expired unpaid",
    "refund": "A refund for your order {key}",
}
TEMPLATES = {
    "confirmation": "orders/order_confirmation.txt",
    "shipped": "orders/order_status.txt",
    "delivered": "orders/order_status.txt",
    "cancelled": "orders/order_status.txt",
    "expired": "orders/order_expired.txt",
    "refund": "orders/order_refund.txt",
}


def _recipient(order: Order) -> str:
    """A customer's current e-mail; a guest's the one given at checkout."""
    return order.user.email if order.user is not None else order.email


def _context(order: Order, kind: str, refund_id: int | None) -> dict | None:
    address = getattr(order, "shipping_address", None)
    # A guest has no account: the greeting uses the name on the shipping address.
    greeted = order.user or {"first_name": getattr(address, "full_name", ""), "email": order.email}
    context = {"order": order, "user": greeted, "kind": kind}
    if kind == "confirmation" and order.user is None:
        from .guest import order_access_expires_in, order_access_link

        # A fresh token, signed now: the link works for GUEST_ORDER_LINK_DAYS from this e-mail.
        context["guest_link"] = order_access_link(order)
        context["guest_link_days"] = order_access_expires_in().days
    if kind in ("shipped", "delivered"):
        context["shipment"] = Shipment.objects.filter(order=order).first()
    if kind in ("cancelled", "refund"):
        # What comes back to the customer is the payments app's to say (``shop.payments.notifications``).
        facts = order_email_payment_facts(order=order, kind=kind, refund_id=refund_id)
        if facts is None:
            return None
        context.update(facts)
    return context


def claims_stale() -> QuerySet[OrderNotification]:
    """Unsent claims older than the lease: their sender is gone, anyone may take them over."""
    return OrderNotification.objects.filter(
        sent_at__isnull=True, claimed_at__lt=Now() - timedelta(seconds=CLAIM_LEASE_SECONDS))


def claim_take_over(*, claim_id: int, token: str) -> bool:
    """Take a stale claim for ``token`` in one guarded UPDATE: True for the one caller that won it; False if the
    claim is fresh, was sent, or another caller took it first."""
    return claims_stale().filter(pk=claim_id).update(claimed_by=token, claimed_at=Now()) == 1


def _insert_claim(order: Order, kind: str, token: str) -> int:
    """The claim row's id (IntegrityError: the row exists). A task runs outside any transaction: the INSERT commits
    alone, with no BEGIN and COMMIT around it; inside one (a caller's, a test's) a savepoint keeps the duplicate's
    error from breaking that transaction."""
    if not transaction.get_connection().in_atomic_block:
        return OrderNotification.objects.create(order=order, kind=kind, claimed_by=token).pk
    with transaction.atomic():
        return OrderNotification.objects.create(order=order, kind=kind, claimed_by=token).pk


def _claim(order: Order, kind: str, token: str) -> int | None:
    """The id of the claim ``token`` now holds, or None if the e-mail was sent; OrderEmailInProgress while another
    sender's claim is fresh."""
    for _ in range(2):  # a second INSERT only if the row went away (its sender's SMTP failed) between the two reads
        try:
            return _insert_claim(order, kind, token)
        except IntegrityError:
            pass
        found = (OrderNotification.objects.filter(order=order, kind=kind)
                 .values_list("pk", "claimed_by", "sent_at").first())
        if found is None:
            continue
        claim_id, claimed_by, sent_at = found
        if sent_at is not None:
            return None
        if claimed_by == token:  # ours: this task's retry, after our INSERT's reply was lost or our release failed
            return claim_id
        if claim_take_over(claim_id=claim_id, token=token):
            return claim_id
        break
    raise OrderEmailInProgress(f"order {order.pk}'s {kind} e-mail is claimed by another sender")


def _mark_sent(claim_id: int, token: str) -> None:
    if not OrderNotification.objects.filter(pk=claim_id, claimed_by=token, sent_at__isnull=True).update(
            sent_at=Now()):
        # Only a sender slower than the lease (never a worker: its hard time limit is shorter) gets here.
        logger.warning("order e-mail claim %s was taken over while it was being sent: it may go out twice", claim_id)


def _release(claim_id: int, token: str) -> None:
    """Let the retry send at once. If the database is gone too, the retry (same token) still finds its own claim,
    and any other sender takes it over after the lease."""
    try:
        OrderNotification.objects.filter(pk=claim_id, claimed_by=token, sent_at__isnull=True).delete()
    except DatabaseError:
        logger.warning("could not release order e-mail claim %s after a failed send", claim_id, exc_info=True)


def order_email_send(*, order_id: int, kind: str, claim_token: str | None = None) -> bool:
    """Send the ``kind`` email for an order, at least once across retries and senders.

    The e-mail's row (``OrderNotification``) is absent (never claimed, or released after a failed send), claimed
    (``sent_at`` NULL; ``claimed_by`` and ``claimed_at`` say who and since when) or sent. ``claim_token`` names the
    sender: the Celery task id, which a task's retries share (a fresh uuid when None). This call claims the e-mail
    by INSERT; if the row exists it is sent (answer False), claimed by this token (ours: go on), claimed by another
    less than ``CLAIM_LEASE_SECONDS`` (180 s) ago (raise OrderEmailInProgress), or older (taken over by one guarded
    UPDATE; lost to another sender: OrderEmailInProgress). After sending it marks the row sent; if sending fails
    it releases the claim and re-raises.

    Answers True if it sent the e-mail now; False if it was sent already, the order (or the refund of a
    ``refund:<id>`` kind) is gone or failed, or the kind is unknown. Raises OrderEmailInProgress, what sending
    raises (SMTPException, OSError; the claim released), and database errors (the claim kept for this token's
    retry, or after the lease for anyone). A database error after SMTP accepted the e-mail leaves it claimed, and
    the retry sends it again: the one duplicate this design allows.
    """
    base, _, refund_id = kind.partition(":")
    if base not in SUBJECTS or (base == "refund") != refund_id.isdigit():
        return False
    order = (Order.objects.select_related("user", "shipping_address").prefetch_related("items")
             .filter(pk=order_id).first())
    if order is None:
        return False
    context = _context(order, base, int(refund_id) if refund_id else None)
    if context is None:
        return False
    token = claim_token or uuid.uuid4().hex
    claim_id = _claim(order, kind, token)
    if claim_id is None:
        return False
    try:
        send_mail(
            subject=SUBJECTS[base].format(key=order.order_key),
            message=render_to_string(TEMPLATES[base], context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[_recipient(order)],
        )
    except Exception:
        _release(claim_id, token)
        raise
    _mark_sent(claim_id, token)
    return True
