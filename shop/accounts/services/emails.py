"""Account e-mails queued with their claim, and the sweep that sends the ones no task did (what each says:
``shop/accounts/emails.py``; the claim: ``shop/core/email_claims.py``)."""

import uuid
from datetime import timedelta

from django.db.models.functions import Now

from shop.core.email_claims import claims_sweep
from shop.core.enqueue import enqueue_on_commit

from ..models import AccountEmail, User
from ..tasks import send_account_email

# Sent rows guard a retry or a second sender against sending again; retries end within ~40 minutes
# (shop.core.enqueue.EMAIL_RETRY), so a day later the row guards nothing and is pruned (it may hold an old address).
SENT_KEPT = timedelta(days=1)


def account_email_queue(*, user: User, kind: str, old_email: str = "") -> AccountEmail:
    """Ask for the ``kind`` e-mail (``AccountEmail.Kind``) to ``user`` (an e-mail-changed notice: to ``old_email``)
    as part of the current transaction: its row is written now, claimed for the task queued once it commits (none
    for a rolled-back change). A task that never runs (the broker down at commit) or dies leaves the claim to go
    stale, and :func:`account_emails_sweep` sends it."""
    task_id = str(uuid.uuid4())
    email = AccountEmail(user=user, kind=kind, old_email=old_email, claimed_by=task_id)
    email.full_clean()
    email.save()
    enqueue_on_commit(send_account_email, email.pk, task_id=task_id)
    return email


def account_emails_sweep(*, limit: int = 100) -> int:
    """Hand each stale account e-mail claim (its task never queued, or its worker died; older than
    ``CLAIM_LEASE_SECONDS``) to a new ``send_account_email`` task (``shop.core.email_claims.claims_sweep``: one
    guarded takeover each, safe to run concurrently), and prune rows sent more than a day ago. Answers how many it
    queued (at most ``limit`` a run, the oldest first)."""
    AccountEmail.objects.filter(sent_at__lt=Now() - SENT_KEPT).delete()
    return claims_sweep(AccountEmail, task=send_account_email, args=("pk",), limit=limit)
