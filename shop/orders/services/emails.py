"""Order e-mails whose task never ran (the broker down at commit) or died: handed to a new task (Celery beat runs
``order_emails_sweep`` every minute, ``make run`` its management command). Their claim is written with the change
that asks for them (``_shared._notify``); how an e-mail is claimed and sent: ``shop/orders/notifications.py`` and
``shop/core/email_claims.py``."""

from shop.core.email_claims import claims_sweep

from ..models import OrderNotification
from ..tasks import send_order_email


def order_emails_sweep(*, limit: int = 100) -> int:
    """Hand each stale claim (unsent, older than ``CLAIM_LEASE_SECONDS``: its task never queued, the broker down at
    commit; a worker killed or stuck past its hard time limit; a release lost with the database) to a new
    ``send_order_email`` task: the claim is taken over for that task's id first, so the task finds it its own and
    sends, and the next sweeps leave it alone for a lease. Safe to run concurrently: the takeover is one guarded
    UPDATE, so each claim goes to one task. Answers how many it queued (at most ``limit`` a run, the oldest
    first)."""
    return claims_sweep(OrderNotification, task=send_order_email, args=("order_id", "kind"), limit=limit)
