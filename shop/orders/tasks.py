from smtplib import SMTPException

from celery import shared_task

from shop.core.enqueue import EMAIL_RETRY, TRANSIENT_DATABASE_ERRORS

from . import notifications


@shared_task(bind=True, autoretry_for=(OSError, SMTPException, notifications.OrderEmailInProgress,
                                      *TRANSIENT_DATABASE_ERRORS), **EMAIL_RETRY)
def send_order_email(self, order_id: int, kind: str) -> bool:
    """Claims the e-mail under this task's id, which its retries share: a retry finds its own claim and sends."""
    return notifications.order_email_send(order_id=order_id, kind=kind, claim_token=self.request.id)


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
