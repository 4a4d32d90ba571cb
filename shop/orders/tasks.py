from functools import partial

from celery import shared_task

from shop.core.email_claims import EMAIL_TASK_RETRIED, claimed_email_task_run
from shop.core.enqueue import EMAIL_RETRY

from . import notifications


@shared_task(bind=True, autoretry_for=EMAIL_TASK_RETRIED, **EMAIL_RETRY)
def send_order_email(self, order_id: int, kind: str, sent: bool = False) -> bool:
    """Sends the e-mail claimed for this task's id, which its retries share: at commit, with the change that asked
    for it, or by the sweep that handed it on (a message queued by an older release has no row: it claims by INSERT).
    ``sent``: this task sent it and only has to record it (its retry after ``OrderEmailUnrecorded``).

    Run inline (no broker: ``make run``), a failed send (SMTP, a timeout) is not retried in place, where Celery
    would run every retry at once inside the request that queued it: the claim stays, and the sweep
    (``order_emails_sweep``) sends it once its lease is over (``shop.core.email_claims.claimed_email_task_run``)."""
    token = self.request.id
    return claimed_email_task_run(
        self, sent=sent, retry_kwargs={"order_id": order_id, "kind": kind},
        what=f"order {order_id}'s {kind} e-mail",
        send=partial(notifications.order_email_send, order_id=order_id, kind=kind, claim_token=token),
        mark_sent=partial(notifications.order_email_mark_sent, order_id=order_id, kind=kind, claim_token=token))


@shared_task
def expire_unpaid_orders_task() -> int:
    """Celery beat runs this every minute (``CELERY_BEAT_SCHEDULE``); safe to run concurrently (skip_locked)."""
    from .services import expire_unpaid_orders  # tasks import services inside the task (AGENTS.md rule 5)

    return expire_unpaid_orders()


@shared_task
def order_emails_sweep_task() -> int:
    """Celery beat runs this every minute (``CELERY_BEAT_SCHEDULE``); safe to run concurrently (guarded takeover)."""
    from .services import order_emails_sweep

    return order_emails_sweep()
