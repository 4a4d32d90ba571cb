from django.apps import AppConfig


def _task_name(sender) -> str:
    return getattr(sender, "name", None) or str(sender)


def _on_task_success(sender=None, **kwargs):
    from .metrics import record_celery_task

    record_celery_task(_task_name(sender), "success")


def _on_task_failure(sender=None, **kwargs):
    from .metrics import record_celery_task

    record_celery_task(_task_name(sender), "failure")


def _on_task_retry(sender=None, **kwargs):
    from .metrics import record_celery_task

    record_celery_task(_task_name(sender), "retry")


class CoreConfig(AppConfig):
    name = "shop.core"
    label = "core"

    def ready(self):
        from celery import signals

        from config import db_router

        # Connected here (not in config/celery.py) so workers, eager tasks in tests and the web process agree.
        signals.task_success.connect(_on_task_success, weak=False, dispatch_uid="shop-task-success")
        signals.task_failure.connect(_on_task_failure, weak=False, dispatch_uid="shop-task-failure")
        signals.task_retry.connect(_on_task_retry, weak=False, dispatch_uid="shop-task-retry")
        # Each task is its own unit of work for read-replica routing: once it writes, it reads from the primary.
        signals.task_prerun.connect(db_router.on_task_prerun, weak=False, dispatch_uid="shop-db-scope-prerun")
        signals.task_postrun.connect(db_router.on_task_postrun, weak=False, dispatch_uid="shop-db-scope-postrun")
