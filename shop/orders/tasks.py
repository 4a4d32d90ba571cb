import logging
from smtplib import SMTPException

from celery import current_app, shared_task

from shop.core.enqueue import EMAIL_RETRY, TRANSIENT_DATABASE_ERRORS

from . import notifications

logger = logging.getLogger(__name__)


_RETRIED = (OSError, SMTPException, notifications.OrderEmailInProgress, *TRANSIENT_DATABASE_ERRORS)


@shared_task(bind=True, autoretry_for=_RETRIED, **EMAIL_RETRY)
def send_order_email(self, order_id: int, kind: str, sent: bool = False) -> bool:
    """Claims the e-mail under this task's id, which its retries share: a retry finds its own claim and sends.
    ``sent``: this task sent it and only has to record it (its retry after ``OrderEmailUnrecorded``).

    Run inline (no broker: ``make run``), a failed send (SMTP, a timeout) is not retried in place, where Celery
    would run every retry at once inside the request that queued it: the claim stays, and the sweep
    (``order_emails_sweep``) sends it once its lease is over."""
    token = self.request.id
    try:
        if sent:
            return notifications.order_email_mark_sent(order_id=order_id, kind=kind, claim_token=token)
        return notifications.order_email_send(order_id=order_id, kind=kind, claim_token=token)
    except notifications.OrderEmailUnrecorded as error:
        # soon: before the claim's lease is over and the sweep hands it to a sender that would send it again
        raise self.retry(exc=error, kwargs={"order_id": order_id, "kind": kind, "sent": True}, countdown=2) from error
    except (OSError, SMTPException):
        if not current_app.conf.task_always_eager:
            raise
        # Sending failed after the claim, which stays: the sweep has it. (A database error is retried inline
        # as Celery does, at once: there may be no claim yet for the sweep to find.)
        logger.warning("order %s's %s e-mail failed inline; the sweep sends it after the claim's lease",
                       order_id, kind, exc_info=True)
        return False


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
