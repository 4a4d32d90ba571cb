"""Queueing Celery tasks after commit: the one way services hand work to a worker (AGENTS.md rule 5).

It defines no task itself: each app's tasks live in its own ``tasks.py``."""

import logging
from functools import partial

from django.db import InterfaceError, OperationalError, transaction

logger = logging.getLogger(__name__)

# What a task retries (with backoff) besides its own outside failures: the database lost or busy for a moment (a
# restart or failover, a connection cut, a lock wait past DB_LOCK_TIMEOUT_MS). Without it such a task failed
# for good and its e-mail or gateway call never happened; every task that lists these is safe to run twice.
TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError)

# How an e-mail task retries: the first wait up to 5 s, doubling to at most 10 minutes, 10 times (Celery draws each
# wait at random below its cap, its default jitter): up to ~40 minutes in all, so a database or mail server away
# for a restart or a failover of a few minutes does not end the e-mail.
EMAIL_RETRY = {"retry_backoff": 5, "retry_backoff_max": 600, "max_retries": 10}


def enqueue(task, *args, task_id: str | None = None) -> None:
    """Queue a Celery task now (outside a transaction, e.g. from an after-commit listener); a broker that is down
    is logged, never raised (the task's periodic sweep, where it has one, catches up). ``task_id``: the id the task
    runs under (default: a new one), for work handed to it beforehand under that id."""
    _enqueue(task, args, task_id)


def _enqueue(task, args: tuple, task_id: str | None = None) -> None:
    try:
        task.apply_async(args, task_id=task_id)
    except Exception:  # the broker being down must not turn a committed change into a 500
        logger.exception("could not queue task %s%r; it must be re-run by hand or by its periodic sweep",
                         task.name, args)


def enqueue_on_commit(task, *args, task_id: str | None = None) -> None:
    """Queue a Celery task once the current transaction commits (never for a rolled-back change); ``task_id`` as
    for :func:`enqueue`.

    Written by hand instead of ``on_commit(..., robust=True)``: Django 5.2 logs ``func.__qualname__`` there,
    which a ``partial`` lacks, and raises AttributeError instead of logging.
    """
    transaction.on_commit(partial(_enqueue, task, args, task_id))
