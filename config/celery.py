import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def _prepare_worker_metrics(**kwargs):
    """Task metrics (`shop_celery_tasks_total`) for Prometheus, served on CELERY_METRICS_PORT when it is set.

    Prefork children count the tasks, so they share PROMETHEUS_MULTIPROC_DIR (set before the worker starts, as the
    Procfile and deploy/compose.yaml do) and this parent process adds their files up when scraped.
    """
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        # The pool has not forked yet: files left by a previous run would be counted again.
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))
    port = os.environ.get("CELERY_METRICS_PORT")
    if not port:
        return
    if directory:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        start_http_server(int(port), registry=registry)
    else:
        start_http_server(int(port))


@signals.worker_process_shutdown.connect
def _forget_dead_child(pid=None, **kwargs):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())
