"""Order e-mails whose sender died: handed to a new task (Celery beat runs ``order_emails_sweep`` every minute,
``make run`` its management command). How an e-mail is claimed and sent: ``shop/orders/notifications.py``."""

import uuid

from shop.core.enqueue import enqueue_on_commit

from ..notifications import claim_take_over, claims_stale
from ..tasks import send_order_email


def order_emails_sweep(*, limit: int = 100) -> int:
    """Hand each stale claim (unsent, older than ``CLAIM_LEASE_SECONDS``: a worker killed or stuck past its hard
    time limit, a release lost with the database) to a new ``send_order_email`` task: the claim is taken over for
    that task's id first, so the task finds it its own and sends, and the next sweeps leave it alone for a lease.
    Safe to run concurrently: the takeover is one guarded UPDATE, so each claim goes to one task. Answers how many
    it queued (at most ``limit`` a run, the oldest first)."""
    stale = list(claims_stale().order_by("claimed_at", "pk").values_list("pk", "order_id", "kind")[:limit])
    queued = 0
    for claim_id, order_id, kind in stale:
        task_id = str(uuid.uuid4())
        if claim_take_over(claim_id=claim_id, token=task_id):
            enqueue_on_commit(send_order_email, order_id, kind, task_id=task_id)
            queued += 1
    return queued
