from functools import partial

from celery import shared_task

from shop.core.email_claims import EMAIL_TASK_RETRIED, claimed_email_task_run
from shop.core.enqueue import EMAIL_RETRY

from . import emails


@shared_task(bind=True, autoretry_for=EMAIL_TASK_RETRIED, **EMAIL_RETRY)
def send_account_email(self, email_id: int, sent: bool = False) -> bool:
    """Send an account e-mail (``AccountEmail``: password reset, verification, e-mail changed notice) under this
    task's id, which its claim was written for at commit (or the sweep took it over for) and its retries share.
    ``sent``: this task sent it and only has to record it. Inline (``make run``) a failed send is left to the
    sweep (``shop.core.email_claims.claimed_email_task_run``)."""
    token = self.request.id
    return claimed_email_task_run(
        self, sent=sent, retry_kwargs={"email_id": email_id}, what=f"account e-mail {email_id}",
        send=partial(emails.account_email_send, email_id=email_id, claim_token=token),
        mark_sent=partial(emails.account_email_mark_sent, email_id=email_id, claim_token=token))


@shared_task
def account_emails_sweep_task() -> int:
    """Celery beat runs this every minute (``CELERY_BEAT_SCHEDULE``); safe to run concurrently (guarded takeover)."""
    from .services import account_emails_sweep  # tasks import services inside the task (AGENTS.md rule 5)

    return account_emails_sweep()


# Messages queued before account e-mails were written with their claim (2026-12-01) name these three tasks. A worker
# of this code takes them over (the e-mail is written and claimed now, then sent as any other) instead of dropping
# them as unregistered tasks while a deploy drains the old queue. Remove once no such message can be left.
def _queued_before_claims(user_id: int, kind: str, old_email: str = "") -> None:
    from django.db import transaction

    from .models import User
    from .services import account_email_queue

    with transaction.atomic():
        user = User.objects.filter(pk=user_id).first()
        if user is not None:
            account_email_queue(user=user, kind=kind, old_email=old_email)


@shared_task
def send_password_reset_email(user_id: int) -> None:
    """A password reset e-mail queued by the code before claims (see above)."""
    _queued_before_claims(user_id, "password_reset")


@shared_task
def send_email_verification(user_id: int) -> None:
    """A verification e-mail queued by the code before claims (see above)."""
    _queued_before_claims(user_id, "email_verification")


@shared_task
def send_email_changed_notice(user_id: int, old_email: str) -> None:
    """An e-mail-changed notice queued by the code before claims (see above)."""
    _queued_before_claims(user_id, "email_changed", old_email)
