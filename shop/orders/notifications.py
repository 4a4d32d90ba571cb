"""Order emails: each (order, kind) sent once, or, after a fault, at least once (a rare duplicate, never a loss).

A sender first claims the e-mail (``OrderNotification``, unique per order and kind), sends it, then marks it sent.
A claim that was never completed is kept and taken over, so no fault after the claim loses the e-mail: a lost
reply to the claim (the retry, same token, finds its own claim), an SMTP failure or outage (the claim stays the
task's; its retry sends), the database gone with it (the same), a worker killed, while sending or while its retry
waits, or an SMTP hang past the task's hard time limit, or an inline task (``make run``) that does not retry
(the claim goes stale after ``CLAIM_LEASE_SECONDS`` and ``order_emails_sweep`` hands it to a new task, again until
a mail server takes it). A message the mail server refuses for good (5xx) is dropped and logged. An e-mail sent
but not recorded (the database failed right after) is recorded by the retry, not sent again. The one duplicate
left: a mail server that accepted the message but whose reply never came; every attempt carries the same
``Message-ID``. (Not covered here: a task that was never queued, e.g. the broker down at commit; logged.)

Kinds: ``confirmation``, ``shipped``, ``delivered``, ``cancelled``, ``expired``, and ``refund:<refund id>`` (one
e-mail per refund that leaves the order open, e.g. a partial refund; a refund that cancels the order is told by
the cancellation e-mail, which says what was refunded or is on its way).
"""

import logging
import uuid
from datetime import timedelta
from smtplib import SMTPDataError, SMTPRecipientsRefused

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.functions import Now
from django.template.loader import render_to_string

from shop.core.compiled import CompiledIdsQuery
from shop.core.prefetch import rows_as_prefetched

from .hooks import order_email_payment_facts
from .models import Order, OrderItem, OrderNotification, Shipment

logger = logging.getLogger(__name__)

CLAIM_LEASE_SECONDS: int = settings.CELERY_TASK_TIME_LIMIT + 60
"""Seconds an unsent claim belongs to its sender: 180 with the 120 s hard time limit (``CELERY_TASK_TIME_LIMIT``).

A worker kills a task at that limit, and the claim is written after the task started, so a claim this old has no
live sender in a worker; the 60 s on top cover the kill's own delay and a statement still in flight. Shorter, a
slow but live sender could be overtaken (a duplicate); longer, a dead sender's e-mail waits longer. A direct call
or an eager task (no worker, ``make run``) has no such limit, only ``EMAIL_TIMEOUT`` (30 s) on each SMTP step:
a send slower than the lease may be overtaken (logged).
Compared with the database's clock only (``claimed_at`` is written by it), so the workers' clocks do not matter."""


class OrderEmailRefused(Exception):
    """The mail server refused this e-mail for good (a 5xx for its recipients or its data): not retried."""


class OrderEmailUnrecorded(Exception):
    """The e-mail went out but the database failed before it was recorded as sent: the retry only records it."""


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


# What every order e-mail reads: the order with its customer and address, and its lines. Compiled once per
# process: building and compiling these two statements was about half of reading them (bench/README.md, section 15).
_ORDER = CompiledIdsQuery(Order, lambda ids: Order.objects.select_related("user", "shipping_address")
                          .filter(pk__in=ids))
_LINES = CompiledIdsQuery(OrderItem, lambda ids: OrderItem.objects.filter(order_id__in=ids).order_by("id"))


def _order_read(order_id: int) -> Order | None:
    """The order as ``select_related("user", "shipping_address").prefetch_related("items")`` reads it, or None."""
    found = _ORDER.instances([order_id])
    if not found:
        return None
    order = found[0]
    rows_as_prefetched(order, "items", _LINES.instances([order_id]))
    return order


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
        if claimed_by == token:  # ours: this task's retry, after our send failed or our INSERT's reply was lost
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


def _refused_for_good(error: Exception) -> bool:
    """True for an SMTP reply that refuses this message itself, which no retry changes: every recipient refused
    (e.g. 550 no such user) or the message data refused with a 5xx code (RFC 5321 section 4.2.1: 5yz is a permanent
    negative completion). A timeout, a connection refused, a 4xx, a login or sender refusal (the shop's own
    mail settings, which an operator fixes) are retried."""
    if isinstance(error, SMTPRecipientsRefused):
        return True
    return isinstance(error, SMTPDataError) and 500 <= error.smtp_code < 600


def message_id(order: Order, kind: str) -> str:
    """The ``Message-ID`` of an order's ``kind`` e-mail: the same for every attempt (RFC 5322 section 3.6.4), so
    when a mail server accepted an attempt but its reply never came (the one way this e-mail goes out twice), mail
    systems that drop repeated Message-IDs show it once. Its domain is the sender address's, not the host's,
    so every worker writes the same one."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "localhost"
    return f"<order-{order.order_key}.{kind.replace(':', '-')}@{domain}>"


def order_email_mark_sent(*, order_id: int, kind: str, claim_token: str) -> bool:
    """Record as sent an e-mail that ``claim_token``'s sender sent but could not record (``OrderEmailUnrecorded``):
    its retry does this instead of sending again. True if it was recorded now."""
    return OrderNotification.objects.filter(order_id=order_id, kind=kind, claimed_by=claim_token,
                                            sent_at__isnull=True).update(sent_at=Now()) == 1


def order_email_send(*, order_id: int, kind: str, claim_token: str | None = None) -> bool:
    """Send the ``kind`` email for an order, at least once across retries and senders.

    The e-mail's row (``OrderNotification``) is absent (never claimed), claimed (``sent_at`` NULL; ``claimed_by``
    and ``claimed_at`` say who and since when) or sent. ``claim_token`` names the sender: the Celery task id, which
    a task's retries share (a fresh uuid when None). This call claims the e-mail by INSERT; if the row exists it is
    sent (answer False), claimed by this token (ours: go on), claimed by another less than
    ``CLAIM_LEASE_SECONDS`` (180 s) ago (raise OrderEmailInProgress), or older (taken over by one guarded UPDATE;
    lost to another sender: OrderEmailInProgress). After sending it marks the row sent. A failed send keeps the
    claim: this token's retry sends it, and if no retry comes (a worker killed while the retry waits, an inline
    task, retries run out) the sweep hands it to a new sender once the lease is over, until a mail server takes it.

    Answers True if it sent the e-mail now; False if it was sent already, the order (or the refund of a
    ``refund:<id>`` kind) is gone or failed, or the kind is unknown. Raises OrderEmailInProgress; what sending
    raises (SMTPException, OSError: retried); OrderEmailRefused when the mail server refused the message for good
    (the claim dropped, not retried); OrderEmailUnrecorded when the e-mail went out but the database failed before
    it was recorded (the retry records it, :func:`order_email_mark_sent`, and does not send it again); and database
    errors before sending (the claim kept for this token's retry, or after the lease for anyone). Only a mail server
    that accepts the message but whose reply is lost makes the retry send it again (same ``Message-ID``).
    """
    base, _, refund_id = kind.partition(":")
    if base not in SUBJECTS or (base == "refund") != refund_id.isdigit():
        return False
    order = _order_read(order_id)
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
        EmailMessage(
            subject=SUBJECTS[base].format(key=order.order_key),
            body=render_to_string(TEMPLATES[base], context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[_recipient(order)],
            headers={"Message-ID": message_id(order, kind)},
        ).send()
    except Exception as error:
        if _refused_for_good(error):
            _drop(claim_id, token)
            logger.error("order %s's %s e-mail was refused by the mail server for good: not retried", order.pk, kind)
            raise OrderEmailRefused(str(error)) from error
        _touch(claim_id, token)
        raise  # the claim stays this token's: its retry sends it, or the sweep after the lease
    try:
        _mark_sent(claim_id, token)
    except DatabaseError as error:
        raise OrderEmailUnrecorded(f"order {order.pk}'s {kind} e-mail was sent but not recorded") from error
    return True


def _touch(claim_id: int, token: str) -> None:
    """The lease counts from this attempt, not the first: the sweep hands the e-mail on only when no attempt was
    made for a lease, not while the task's next retry is coming. If the database is gone too, the claim keeps its
    older time (the retry, same token, still finds it)."""
    try:
        OrderNotification.objects.filter(pk=claim_id, claimed_by=token, sent_at__isnull=True).update(
            claimed_at=Now())
    except DatabaseError:
        logger.warning("could not renew order e-mail claim %s after a failed send", claim_id, exc_info=True)


def _drop(claim_id: int, token: str) -> None:
    try:
        OrderNotification.objects.filter(pk=claim_id, claimed_by=token, sent_at__isnull=True).delete()
    except DatabaseError:  # the sweep will try it again after the lease, and be refused again
        logger.warning("could not drop order e-mail claim %s after a permanent refusal", claim_id, exc_info=True)
