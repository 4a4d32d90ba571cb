"""Order emails: each (order, kind) sent once, or, after a fault, at least once (a rare duplicate, never a loss).

The claim, the send and the sweep are ``shop.core.email_claims``'s, shared with account e-mails; this module says
what an order e-mail is. The e-mail's row (``OrderNotification``, unique per order and kind) is written in the
transaction of the change that asks for it (``shop.orders.services._shared._notify``: one INSERT), already claimed
for the task queued after the commit; that task sends it, then marks it sent.
A claim that was never completed is kept and taken over, so no fault after the commit loses the e-mail: the
broker down at commit or the task lost on its way (the claim goes stale after ``CLAIM_LEASE_SECONDS`` and
``order_emails_sweep`` hands it to a new task), a lost reply to a statement (the retry, same token, finds its own
claim), an SMTP failure or outage (the claim stays the task's; its retry sends), the database gone with it (the
same), a worker killed, while sending or while its retry waits, or an SMTP hang past the task's hard time limit,
or an inline task (``make run``) that does not retry (the sweep again, until a mail server takes it). A message
the mail server refuses for good (5xx) is dropped and logged. An e-mail sent but not recorded (the database failed
right after) is recorded by the retry, not sent again. The one duplicate left: a mail server that accepted the
message but whose reply never came; every attempt carries the same ``Message-ID``.

Kinds: ``confirmation``, ``shipped``, ``delivered``, ``cancelled``, ``expired``, and ``refund:<refund id>`` (one
e-mail per refund that leaves the order open, e.g. a partial refund; a refund that cancels the order is told by
the cancellation e-mail, which says what was refunded or is on its way).
"""

import logging
import uuid

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from shop.core import email_claims
from shop.core.compiled import CompiledIdsQuery
from shop.core.email_claims import CLAIM_LEASE_SECONDS  # noqa: F401 - re-exported: the lease order e-mails run on
from shop.core.prefetch import rows_as_prefetched

from .hooks import order_email_payment_facts
from .models import Order, OrderItem, OrderNotification, Shipment

logger = logging.getLogger(__name__)

# The shared mechanism's outcomes, by the names order code and its tests use.
OrderEmailRefused = email_claims.EmailRefused
OrderEmailUnrecorded = email_claims.EmailUnrecorded
OrderEmailInProgress = email_claims.EmailInProgress
_refused_for_good = email_claims.refused_for_good


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
    return email_claims.claim_mark_sent(OrderNotification, token=claim_token, order_id=order_id, kind=kind)


def order_email_send(*, order_id: int, kind: str, claim_token: str | None = None) -> bool:
    """Send the ``kind`` email for an order, at least once across retries and senders.

    The e-mail's row (``OrderNotification``) is claimed (``sent_at`` NULL; ``claimed_by`` and ``claimed_at`` say
    who and since when) or sent; the change that asks for the e-mail writes it claimed for the task it queues
    (``shop.orders.services._shared._notify``). ``claim_token`` names the sender: the Celery task id, which a
    task's retries share (a fresh uuid when None). This call reads the row: sent (answer False), claimed by this
    token (ours: renewed, go on), claimed by another less than ``CLAIM_LEASE_SECONDS`` (180 s) ago (raise
    OrderEmailInProgress), or older (taken over by one guarded UPDATE; lost to another sender:
    OrderEmailInProgress); a row that is not there (a task queued before rows were written at commit, a direct
    call) is claimed by INSERT. After sending it marks the row sent. A failed send keeps the claim: this token's
    retry sends it, and if no retry comes (a worker killed while the retry waits, an inline task, retries run out)
    the sweep hands it to a new sender once the lease is over, until a mail server takes it.

    Answers True if it sent the e-mail now; False if it was sent already, the order is gone (its row with it), or
    there is nothing to say (the refund of a ``refund:<id>`` kind gone or failed, an unknown kind: the claim is
    dropped, so the sweep does not hand it on again). Raises OrderEmailInProgress; what sending raises
    (SMTPException, OSError: retried); OrderEmailRefused when the mail server refused the message for good (the
    claim dropped, not retried); OrderEmailUnrecorded when the e-mail went out but the database failed before it
    was recorded (the retry records it, :func:`order_email_mark_sent`, and does not send it again); and database
    errors before sending (the claim kept for this token's retry, or after the lease for anyone). Only a mail
    server that accepts the message but whose reply is lost makes the retry send it again (same ``Message-ID``).
    """
    base, _, refund_id = kind.partition(":")
    known = base in SUBJECTS and (base == "refund") == refund_id.isdigit()
    order = _order_read(order_id) if known else None
    if known and order is None:
        return False
    context = _context(order, base, int(refund_id) if refund_id else None) if order is not None else None
    token = claim_token or uuid.uuid4().hex
    what = f"order {order_id}'s {kind} e-mail"
    claim_id = email_claims.claim(OrderNotification, token=token, insert=context is not None, what=what,
                                  order_id=order_id, kind=kind)
    if claim_id is None:
        return False
    if order is None or context is None:
        email_claims.claim_drop(OrderNotification, claim_id=claim_id, token=token)
        return False
    message = EmailMessage(
        subject=SUBJECTS[base].format(key=order.order_key),
        body=render_to_string(TEMPLATES[base], context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[_recipient(order)],
        headers={"Message-ID": message_id(order, kind)},
    )
    return email_claims.claimed_send(OrderNotification, claim_id=claim_id, token=token, message=message, what=what)
