"""E-mails sent at least once, never lost to a fault after their claim: the one mechanism behind order e-mails
(``shop/orders/notifications.py``) and account e-mails (``shop/accounts/emails.py``).

Each e-mail has a row, a concrete :class:`EmailClaim` (an order's ``OrderNotification``, an ``AccountEmail``),
that is absent (never claimed), claimed (``sent_at`` NULL; ``claimed_by`` and ``claimed_at`` say who and since
when) or sent. A sender claims the row, sends, then marks it sent. A claim never marked sent is kept (a failed
send does not release it) and taken over: by the same sender's retry at once (same token), by anyone once it is
older than :data:`CLAIM_LEASE_SECONDS`, and by the app's periodic sweep (:func:`claims_sweep`), which hands it to a
new task. So a fault after the claim (an SMTP failure or outage, the database gone, a worker killed while sending
or while its retry waits, an SMTP hang past the task's hard time limit, an inline task that does not retry) costs
at worst a duplicate, never the e-mail. A message the mail server refuses for good (5xx) is dropped and logged; an
e-mail sent but not recorded (the database failed right after) is recorded by the retry, not sent again.

Each row is written in the transaction of the change that asks for the e-mail, already claimed for the task id
queued after the commit (order e-mails: one row per order and kind, ``shop/orders/services/_shared.py``; account
e-mails: one per request). So a broker down at commit, or a task lost on its way, loses nothing either: the claim
goes stale after the lease and the app's sweep hands it to a new task. A rolled-back change writes no row and
queues no task.
"""

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from smtplib import SMTPDataError, SMTPException, SMTPRecipientsRefused

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import DatabaseError, IntegrityError, models, transaction
from django.db.models import QuerySet
from django.db.models.functions import Now

from .enqueue import TRANSIENT_DATABASE_ERRORS, enqueue_on_commit

logger = logging.getLogger(__name__)

CLAIM_LEASE_SECONDS: int = settings.CELERY_TASK_TIME_LIMIT + 60
"""Seconds an unsent claim belongs to its sender: 180 with the 120 s hard time limit (``CELERY_TASK_TIME_LIMIT``).

A worker kills a task at that limit, and a sender renews its claim when it starts an attempt (a claim written at
commit, or handed on by the sweep, counts from the task's start, not from when it was queued) and after a failed
send, so a claim this old has no live sender in a worker; the 60 s on top cover the kill's own delay and a
statement still in flight. Shorter, a slow but live sender could be overtaken (a duplicate); longer, a
dead sender's e-mail waits longer. A direct call or an eager task (no worker, ``make run``) has no such limit, only
``EMAIL_TIMEOUT`` (30 s) on each SMTP step: a send slower than the lease may be overtaken (logged).
Compared with the database's clock only (``claimed_at`` is written by it), so the workers' clocks do not matter."""


class EmailRefused(Exception):
    """The mail server refused this e-mail for good (a 5xx for its recipients or its data): not retried."""


class EmailUnrecorded(Exception):
    """The e-mail went out but the database failed before it was recorded as sent: the retry only records it."""


class EmailInProgress(Exception):
    """Another sender holds a fresh claim on this e-mail: try again later (the task retries it with backoff), when
    it was sent (nothing to do) or its claim went stale (taken over)."""


# What an e-mail task retries with backoff (``shop.core.enqueue.EMAIL_RETRY``): the mail server or the network
# (OSError, SMTPException), another sender's fresh claim, the database lost or busy for a moment.
EMAIL_TASK_RETRIED = (OSError, SMTPException, EmailInProgress, *TRANSIENT_DATABASE_ERRORS)


class EmailClaim(models.Model):
    """The claim columns of one e-mail's row; the concrete model adds what names the e-mail."""

    # When the current sender claimed it, by the database's clock (the one clock every lease comparison uses).
    claimed_at = models.DateTimeField(db_default=Now())
    # Who claimed it: an opaque token, the Celery task id (the same across that task's retries) or a fresh uuid.
    claimed_by = models.CharField(max_length=255)
    # NULL while claimed and not yet sent.
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


def claims_stale(model: type[EmailClaim]) -> QuerySet:
    """``model``'s unsent claims older than the lease: their sender is gone, anyone may take them over."""
    return model._default_manager.filter(
        sent_at__isnull=True, claimed_at__lt=Now() - timedelta(seconds=CLAIM_LEASE_SECONDS))


def claim_take_over(model: type[EmailClaim], *, claim_id: int, token: str) -> bool:
    """Take a stale claim for ``token`` in one guarded UPDATE: True for the one caller that won it; False if the
    claim is fresh, was sent, or another caller took it first."""
    return claims_stale(model).filter(pk=claim_id).update(claimed_by=token, claimed_at=Now()) == 1


def _insert_claim(model: type[EmailClaim], token: str, identity: dict) -> int:
    """The new claim row's id (IntegrityError: the row exists). A task runs outside any transaction: the INSERT
    commits alone, with no BEGIN and COMMIT around it; inside one (a caller's, a test's) a savepoint keeps the
    duplicate's error from breaking that transaction."""
    if not transaction.get_connection().in_atomic_block:
        return model._default_manager.create(claimed_by=token, **identity).pk
    with transaction.atomic():
        return model._default_manager.create(claimed_by=token, **identity).pk


def claim(model: type[EmailClaim], *, token: str, insert: bool, what: str, **identity) -> int | None:
    """The id of the claim ``token`` now holds on the e-mail ``identity`` names (``order_id=..., kind=...``, or
    ``pk=...``), or None if it was sent or its row is gone. Its row is read first: it is written with the change
    that asks for the e-mail, claimed for the task queued after the commit. ``insert``: a row that is not there
    is claimed by INSERT (a task queued by a release that wrote the row in the task, a direct call; the model's
    unique constraint over ``identity`` refuses a second one). Raises EmailInProgress while another sender's
    claim is fresh (or it lost the takeover to another).

    A claim that is this token's own (written at commit for this task, handed to it by the sweep, or its own
    earlier attempt's) is renewed (:func:`_renew`) before anything is sent, so its lease counts from this attempt,
    not from when it was written: a task taken up late (a backlog, workers back after a deploy) is not overtaken
    by the sweep while it sends."""
    manager = model._default_manager
    for _ in range(2):  # read again only if another sender's INSERT came between our read and ours
        found = manager.filter(**identity).values_list("pk", "claimed_by", "sent_at").first()
        if found is None:
            if not insert:
                return None
            try:
                return _insert_claim(model, token, identity)
            except IntegrityError:
                continue
        claim_id, claimed_by, sent_at = found
        if sent_at is not None:
            return None
        if claimed_by == token:  # ours
            if _renew(model, claim_id, token):
                return claim_id
            break  # taken over (or sent) since our read: not ours any more
        if claim_take_over(model, claim_id=claim_id, token=token):
            return claim_id
        break
    raise EmailInProgress(f"{what} is claimed by another sender")


def _renew(model: type[EmailClaim], claim_id: int, token: str) -> bool:
    """Start ``token``'s lease on its own unsent claim afresh, in one guarded UPDATE: False if it is no longer
    ``token``'s (a takeover, by the sweep or another sender, committed first) or was sent. The sweep's takeover is
    guarded too (stale only), so of the two racing, exactly one goes on to send."""
    return model._default_manager.filter(pk=claim_id, claimed_by=token, sent_at__isnull=True).update(
        claimed_at=Now()) == 1


def refused_for_good(error: Exception) -> bool:
    """True for an SMTP reply that refuses this message itself, which no retry changes: every recipient refused
    (e.g. 550 no such user) or the message data refused with a 5xx code (RFC 5321 section 4.2.1: 5yz is a permanent
    negative completion). A timeout, a connection refused, a 4xx, a login or sender refusal (the shop's own
    mail settings, which an operator fixes) are retried."""
    if isinstance(error, SMTPRecipientsRefused):
        return True
    return isinstance(error, SMTPDataError) and 500 <= error.smtp_code < 600


def claimed_send(model: type[EmailClaim], *, claim_id: int, token: str, message: EmailMessage, what: str) -> bool:
    """Send ``message`` under the claim ``token`` holds, then mark it sent; True.

    A failed send keeps the claim (its lease renewed): this token's retry sends it, or the sweep after the lease;
    what sending raised is raised again (SMTPException, OSError: retried). A permanent refusal (5xx) drops the claim
    and raises EmailRefused (not retried). Sent but not recorded (the database failed): EmailUnrecorded, whose
    retry records it (:func:`claim_mark_sent`) instead of sending again."""
    try:
        message.send()
    except Exception as error:
        if refused_for_good(error):
            claim_drop(model, claim_id=claim_id, token=token)
            logger.error("%s was refused by the mail server for good: not retried", what)
            raise EmailRefused(str(error)) from error
        _touch(model, claim_id, token)
        raise  # the claim stays this token's: its retry sends it, or the sweep after the lease
    try:
        if not model._default_manager.filter(pk=claim_id, claimed_by=token, sent_at__isnull=True).update(
                sent_at=Now()):
            # Only a sender slower than the lease (never a worker: its hard time limit is shorter) gets here.
            logger.warning("e-mail claim %s (%s) was taken over while it was being sent: it may go out twice",
                           claim_id, what)
    except DatabaseError as error:
        raise EmailUnrecorded(f"{what} was sent but not recorded") from error
    return True


def claim_mark_sent(model: type[EmailClaim], *, token: str, **identity) -> bool:
    """Record as sent an e-mail that ``token``'s sender sent but could not record (EmailUnrecorded): its retry does
    this instead of sending again. True if it was recorded now."""
    return model._default_manager.filter(claimed_by=token, sent_at__isnull=True, **identity).update(
        sent_at=Now()) == 1


def _touch(model: type[EmailClaim], claim_id: int, token: str) -> None:
    """The lease counts from this attempt, not the first: the sweep hands the e-mail on only when no attempt was
    made for a lease, not while the task's next retry is coming. If the database is gone too, the claim keeps its
    older time (the retry, same token, still finds it)."""
    try:
        _renew(model, claim_id, token)
    except DatabaseError:
        logger.warning("could not renew e-mail claim %s after a failed send", claim_id, exc_info=True)


def claim_drop(model: type[EmailClaim], *, claim_id: int, token: str) -> None:
    """Delete the unsent claim ``token`` holds: the e-mail is not to be sent (refused for good, nothing to say)."""
    try:
        model._default_manager.filter(pk=claim_id, claimed_by=token, sent_at__isnull=True).delete()
    except DatabaseError:  # the sweep will try it again after the lease, and drop it again
        logger.warning("could not drop e-mail claim %s", claim_id, exc_info=True)


def claims_sweep(model: type[EmailClaim], *, task, args: tuple[str, ...], limit: int = 100) -> int:
    """Hand each stale claim of ``model`` (unsent, older than the lease: a worker killed or stuck past its hard time
    limit, a task never queued, a release lost with the database) to a new ``task``, called with the row's
    ``args`` columns: the claim is taken over for that task's id first, so the task finds it its own and sends,
    and the next sweeps leave it alone for a lease. Safe to run concurrently: the takeover is one guarded UPDATE,
    so each claim goes to one task. Answers how many it queued (at most ``limit`` a run, the oldest first)."""
    stale = list(claims_stale(model).order_by("claimed_at", "pk").values_list("pk", *args)[:limit])
    queued = 0
    for claim_id, *values in stale:
        task_id = str(uuid.uuid4())
        if claim_take_over(model, claim_id=claim_id, token=task_id):
            enqueue_on_commit(task, *values, task_id=task_id)
            queued += 1
    return queued


def claimed_email_task_run(task, *, send: Callable[[], bool], mark_sent: Callable[[], bool], sent: bool,
                           retry_kwargs: dict, what: str) -> bool:
    """The body of an e-mail task (``send_order_email``, ``send_account_email``) whose claim token is its Celery
    id, which its retries share. ``sent``: this task sent it and only has to record it (its retry after
    EmailUnrecorded, queued with ``retry_kwargs`` and ``sent=True``).

    Run inline (no broker: ``make run``), a failed send (SMTP, a timeout) is not retried in place, where Celery
    would run every retry at once inside the request that queued it: the claim stays, and the sweep sends it once
    its lease is over. Answers what ``send`` or ``mark_sent`` answered; False after an inline failure."""
    try:
        return mark_sent() if sent else send()
    except EmailUnrecorded as error:
        # soon: before the claim's lease is over and the sweep hands it to a sender that would send it again
        raise task.retry(exc=error, kwargs={**retry_kwargs, "sent": True}, countdown=2) from error
    except (OSError, SMTPException):
        if not current_app.conf.task_always_eager:
            raise
        # Sending failed after the claim, which stays: the sweep has it. (A database error is retried inline
        # as Celery does, at once: there may be no claim yet for the sweep to find.)
        logger.warning("%s failed inline; the sweep sends it after the claim's lease", what, exc_info=True)
        return False
