import pytest

from config.celery import app as celery_app

from .receiver import Receiver


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def fast_retries(settings):
    """Retries due at once (the schedule itself is tested on its own), so a test can drive them with the sweep."""
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.0
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 1000


def _fresh_connections():
    """Forget pooled broker connections, so the next publish connects to the broker configured now."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    """Celery really publishing, to a broker nobody listens on: every .delay() raises (and is logged)."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.broker_url, conf.broker_connection_retry, conf.broker_connection_max_retries
    conf.task_always_eager = False
    conf.broker_url = "redis://127.0.0.1:1/0"
    conf.broker_connection_retry, conf.broker_connection_max_retries = False, 0
    conf.task_publish_retry = False
    saved_timeout, conf.broker_connection_timeout = conf.broker_connection_timeout, 0.2
    _fresh_connections()

    def back():
        conf.task_always_eager, conf.broker_url, conf.broker_connection_retry, \
            conf.broker_connection_max_retries = saved
        conf.task_publish_retry, conf.broker_connection_timeout = True, saved_timeout
        _fresh_connections()

    yield back
    back()
