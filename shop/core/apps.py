import threading
from collections import OrderedDict

from django.apps import AppConfig


def _task_name(sender) -> str:
    return getattr(sender, "name", None) or str(sender)


def _on_task_success(sender=None, **kwargs):
    from .metrics import record_celery_task

    record_celery_task(_task_name(sender), "success")


# Celery 5.7 sends ``task_failure`` twice for a task past its hard time limit (from the request's timeout handler and
# again from its failure handler, celery/worker/request.py); the ids of recent failures keep that one failure.
_failures_seen: OrderedDict = OrderedDict()
_failures_lock = threading.Lock()
_FAILURES_REMEMBERED = 1024


def _on_task_failure(sender=None, task_id=None, **kwargs):
    from .metrics import record_celery_task

    if task_id is not None:
        with _failures_lock:
            if task_id in _failures_seen:
                return
            _failures_seen[task_id] = None
            if len(_failures_seen) > _FAILURES_REMEMBERED:
                _failures_seen.popitem(last=False)
    record_celery_task(_task_name(sender), "failure")


def _on_task_retry(sender=None, **kwargs):
    from .metrics import record_celery_task

    record_celery_task(_task_name(sender), "retry")


def _publish_with_request_id(headers=None, **kwargs):
    """A task queued while serving a request carries its id, so the worker's log lines join the request's."""
    from .logging import request_id_var

    request_id = request_id_var.get()
    if headers is not None and request_id != "-":
        headers.setdefault("request_id", request_id)


_request_id_tokens: dict = {}


def _task_database_connections(task=None, **kwargs):
    """Before and after each task a worker runs, what Django does around each request: close a connection that
    is older than ``CONN_MAX_AGE``, broken or left mid-transaction, and keep the others for the next task (its
    first query then runs the ``CONN_HEALTH_CHECKS`` ping). Celery's own Django fixup would close every
    connection both times instead, so each task paid a new PostgreSQL session (``CELERY_DB_REUSE_MAX`` in the
    settings turns that off; bench/README.md, "Task workers reuse their database connections"). An eager task
    runs inside its caller's request or transaction, whose connection is not the task's to close."""
    if getattr(getattr(task, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


def _task_request_id_prerun(task_id=None, task=None, **kwargs):
    from .logging import request_id_var
    from .middleware import safe_request_id

    incoming = safe_request_id(getattr(getattr(task, "request", None), "request_id", None))
    current = request_id_var.get()
    # From the message (a worker); else the request it runs inside (an eager task); else its own task id.
    _request_id_tokens[task_id] = request_id_var.set(incoming or (current if current != "-" else f"task-{task_id}"))


def _task_request_id_postrun(task_id=None, **kwargs):
    from .logging import request_id_var

    token = _request_id_tokens.pop(task_id, None)
    if token is not None:
        try:
            request_id_var.reset(token)
        except ValueError:  # postrun ran in another context than prerun
            request_id_var.set("-")


class CoreConfig(AppConfig):
    name = "shop.core"
    label = "core"

    def ready(self):
        from celery import signals

        from config import db_router

        from .admin import admin_site_configure

        admin_site_configure()

        # Connected here (not in config/celery.py) so workers, eager tasks in tests and the web process agree.
        signals.task_success.connect(_on_task_success, weak=False, dispatch_uid="shop-task-success")
        signals.task_failure.connect(_on_task_failure, weak=False, dispatch_uid="shop-task-failure")
        signals.task_retry.connect(_on_task_retry, weak=False, dispatch_uid="shop-task-retry")
        signals.task_prerun.connect(_task_database_connections, weak=False, dispatch_uid="shop-db-prerun")
        signals.task_postrun.connect(_task_database_connections, weak=False, dispatch_uid="shop-db-postrun")
        # Each task is its own unit of work for read-replica routing: once it writes, it reads from the primary.
        signals.task_prerun.connect(db_router.on_task_prerun, weak=False, dispatch_uid="shop-db-scope-prerun")
        signals.task_postrun.connect(db_router.on_task_postrun, weak=False, dispatch_uid="shop-db-scope-postrun")
        # The request id travels with the task (a message header) into the worker's logs.
        signals.before_task_publish.connect(_publish_with_request_id, weak=False, dispatch_uid="shop-rid-publish")
        signals.task_prerun.connect(_task_request_id_prerun, weak=False, dispatch_uid="shop-rid-prerun")
        signals.task_postrun.connect(_task_request_id_postrun, weak=False, dispatch_uid="shop-rid-postrun")
