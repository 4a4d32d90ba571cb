"""Thin Celery tasks: re-read by id, call a service, idempotent (services import this module at module level;
these import services inside the task).

Relays and deliveries are queued with :func:`queue` / :func:`queue_on_commit`, never run inside an API request:
with a broker they go to a Celery worker; without one (Celery's tasks run inline: ``make run`` without Redis)
they run on one background thread of this process (``WEBHOOK_BACKGROUND_THREAD``), so a slow receiver never
holds a staff PATCH or a checkout. Work that thread had not finished when the process stopped is picked up by
the sweep (``manage.py webhooks_sweep --loop``, which ``make run`` starts; Celery beat elsewhere).
"""

import logging
import queue as queue_module
import threading
from functools import partial

from celery import current_app, shared_task
from django.conf import settings
from django.db import connections, transaction

from shop.core.enqueue import enqueue

logger = logging.getLogger(__name__)
_THREAD_NAME = "webhooks-background"
_jobs: queue_module.Queue = queue_module.Queue()
_thread: threading.Thread | None = None
_thread_lock = threading.Lock()


def _work() -> None:
    while True:
        task, args = _jobs.get()
        try:
            task.run(*args)
        except Exception:
            logger.exception("webhook task %s%r failed on the background thread; the sweep retries it",
                             task.name, args)
        finally:
            connections.close_all()  # this thread's own connections: hold none while idle
            _jobs.task_done()


def _on_background_thread(task, args: tuple) -> None:
    global _thread
    with _thread_lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_work, name=_THREAD_NAME, daemon=True)
            _thread.start()
    _jobs.put((task, args))


def background_drain(timeout: float = 30.0) -> bool:
    """Wait until the background thread has done every job queued so far (for the tests and the bench); answers
    whether it did within ``timeout`` seconds."""
    finished = threading.Event()
    threading.Thread(target=lambda: (_jobs.join(), finished.set()), daemon=True).start()
    return finished.wait(timeout)


def queue(task, *args) -> None:
    """Queue ``task(*args)`` now: to Celery, or, when Celery runs tasks inline, to the background thread (run
    inline only when ``WEBHOOK_BACKGROUND_THREAD`` is false, as in the tests, or when already on that thread)."""
    inline = current_app.conf.task_always_eager
    if inline and settings.WEBHOOK_BACKGROUND_THREAD and threading.current_thread().name != _THREAD_NAME:
        _on_background_thread(task, args)
    else:
        enqueue(task, *args)


def queue_on_commit(task, *args) -> None:
    """:func:`queue` once the current transaction commits (never for a rolled-back change)."""
    transaction.on_commit(partial(queue, task, *args))


def queue_relay(event_id: int) -> None:
    """The outbox's after-commit listener: queue the event's relay (a broker that is down is logged, and the sweep
    relays the event once it is back)."""
    queue(relay_event, event_id)


@shared_task(ignore_result=True)
def relay_event(event_id: int) -> None:
    from .services import event_relay

    event_relay(event_id=event_id)


@shared_task(ignore_result=True)
def deliver(delivery_id: int) -> None:
    """One attempt of the delivery, then the same resource's next deliveries to that endpoint, in order, while
    they succeed (a loop, so a backlog of one resource does not become a chain of tasks)."""
    from .services import delivery_attempt

    next_id: int | None = delivery_id
    while next_id is not None:
        next_id = delivery_attempt(delivery_id=next_id)


@shared_task(ignore_result=True)
def sweep() -> None:
    import logging

    from .services import webhooks_sweep

    counts = webhooks_sweep()
    if any(counts.values()):
        logging.getLogger(__name__).info("webhooks sweep: %s", counts)


@shared_task(ignore_result=True)
def notify_endpoint_disabled(endpoint_id: int) -> None:
    from .notifications import endpoint_disabled_mail

    endpoint_disabled_mail(endpoint_id=endpoint_id)
