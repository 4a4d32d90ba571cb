import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

pytest_plugins = ["tests.fakes.plugin"]

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests (real row locks, full-text search) run whenever DATABASE_URL is PostgreSQL.

    On the SQLite default they are reported as skipped with the reason, never silently dropped.
    """
    if "browser" not in (config.getoption("markexpr") or ""):
        # Real-browser tests need Chromium and take a while: `make test` reports them skipped, `-m browser` runs them.
        skip_browser = pytest.mark.skip(reason="browser test: run `pytest -m browser` (CI's browser step does)")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip_browser)
    if ON_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://... (CI runs these)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _clean_cache():
    """Throttle counters and cached responses must not leak from one test into the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _reset_celery_join_flag():
    """Celery keeps "inside a task" in a process-wide global that eager tasks run from several threads (our race
    tests) can leave set; a later test calling ``result.get()`` would then be refused."""
    yield
    from celery.result import _set_task_join_will_block

    _set_task_join_will_block(False)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    from shop.accounts.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def other_user(db):
    from shop.accounts.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def staff_user(db):
    from shop.accounts.tests.factories import UserFactory

    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def user_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def other_client(other_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(other_user)
    return client


@pytest.fixture
def staff_client(staff_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff_user)
    return client


@pytest.fixture
def admin_web(staff_user):
    """A browser session logged in to the Django admin as a superuser (Django's test client)."""
    from django.test import Client

    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def payments_on(settings):
    """The sandbox and cash on delivery offered, prices in USD, links on http://shop.test: a shop a guest or a
    customer can check out and pay in, with no gateway to reach."""
    settings.PAYMENT_METHODS = ["sandbox", "cod"]
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.SHOP_CURRENCY = "USD"
    settings.PUBLIC_BASE_URL = "http://shop.test"


def _fresh_connections():
    """Forget pooled broker connections, so the next publish connects to the broker configured now."""
    from config.celery import app as celery_app

    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    """Celery really publishing, to a broker nobody listens on: every .delay() raises (and is logged). Yields a
    function that brings the broker (the tests' inline Celery) back early."""
    from config.celery import app as celery_app

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
