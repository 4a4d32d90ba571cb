"""A Celery worker keeps its PostgreSQL connection from one task to the next, as gunicorn's workers do between
requests, and still closes it when ``CONN_MAX_AGE`` says so.

A real ``celery worker`` process (the Procfile's command, Redis broker) sends three order e-mails from the test
database; PostgreSQL's own ``pg_stat_activity`` shows the worker's sessions by their ``application_name``. One
worker thread holds one connection at a time, so a session that started before the first e-mail was claimed and
is still open after the third served all three. Before this was fixed Celery's Django fixup closed the connection
before and after every task: each e-mail paid a new session (bench/email_worker.py: PostgreSQL's CPU per e-mail
11 ms, 1.7 ms with reuse).
"""

import os
import subprocess
import sys
import threading
import time
import uuid
import warnings
from pathlib import Path

import pytest
from django.db import connection

from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import OrderNotification
from shop.orders.tests.factories import place_order

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _another_connection():
    """A second psycopg connection to the test database, opened by Django's own backend with the same parameters
    (not in autocommit: a lock taken on it holds until it rolls back or closes)."""
    return connection.get_new_connection(connection.get_connection_params())


def _sessions(application_name: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid, backend_start FROM pg_stat_activity WHERE application_name = %s",
                       [application_name])
        return cursor.fetchall()


@pytest.mark.parametrize(("pool", "max_age", "kept"), [("prefork", "60", True), ("threads", "60", True),
                                                       ("solo", "0", False)])
def test_a_worker_reuses_its_database_session_across_tasks_unless_conn_max_age_is_zero(user, pool, max_age, kept):
    if not os.environ.get("REDIS_URL"):
        pytest.fail("this test needs the Redis broker: set REDIS_URL (CI does)")
    from config.celery import app

    orders = [place_order(user=user, product=ProductFactory(stock_quantity=5)) for _ in range(3)]
    OrderNotification.objects.filter(order__in=orders).delete()  # the eager confirmations of the test settings
    name, queue = f"shop-test-{uuid.uuid4().hex[:12]}", f"test-{uuid.uuid4().hex[:12]}"
    settings_dict = connection.settings_dict
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/"
                        f"{settings_dict['NAME']}?application_name={name}",
        "DB_CONN_MAX_AGE": max_age,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_BROKER_URL": os.environ["REDIS_URL"],
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", pool, "--concurrency", "1", "-Q", queue,
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # send_task is not eager, whatever the test settings say
            for order in orders:
                app.send_task("shop.orders.tasks.send_order_email", args=[order.pk, "confirmation"], queue=queue)
        deadline = time.monotonic() + 90
        while OrderNotification.objects.filter(order__in=orders, sent_at__isnull=False).count() < 3:
            assert worker.poll() is None, worker.stderr.read()
            assert time.monotonic() < deadline, "the worker did not send the three e-mails"
            time.sleep(0.1)
        time.sleep(0.5)  # the last task's postrun, which closes the connection when CONN_MAX_AGE is 0
        sessions = _sessions(name)
        first_claim = min(OrderNotification.objects.filter(order__in=orders).values_list("claimed_at", flat=True))
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        worker.stderr.close()

    if kept:
        assert len(sessions) == 1, sessions
        assert sessions[0][1] < first_claim  # opened for the first e-mail, still open after the third
    else:
        assert sessions == []


def test_the_connection_gives_up_on_a_silent_network_within_the_tcp_timeout():
    # DB_TCP_TIMEOUT_SECONDS (default 30): keepalive probes while idle, libpq's tcp_user_timeout while a query waits.
    connection.ensure_connection()
    parameters = connection.connection.info.get_parameters()

    assert (parameters["keepalives"], parameters["keepalives_idle"], parameters["keepalives_interval"],
            parameters["keepalives_count"], parameters["tcp_user_timeout"]) == ("1", "30", "10", "3", "30000")


def test_an_order_email_that_hits_a_database_error_is_retried_not_lost(user, mailoutbox):
    """A lock held past the lock timeout (here 200 ms) fails the e-mail's claim with OperationalError, as a
    PostgreSQL restart or a cut connection would; the task retries (eagerly here, with backoff in a worker) and the
    e-mail goes out once the lock is gone. Before, the first error ended the task and the e-mail was never sent."""
    from shop.orders.tasks import send_order_email

    order = place_order(user=user, product=ProductFactory(stock_quantity=5))
    OrderNotification.objects.filter(order=order).delete()
    mailoutbox.clear()
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock():
        with _another_connection() as other:
            other.execute("LOCK TABLE orders_ordernotification IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(10)
            time.sleep(0.3)  # still held for the first attempts
            other.rollback()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert locked.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")
        release.set()
        send_order_email.delay(order.pk, "confirmation")
    finally:
        release.set()
        holder.join(15)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout TO DEFAULT")

    assert OrderNotification.objects.filter(order=order, kind="confirmation").count() == 1
    assert [message.subject for message in mailoutbox] == [f"Your order {order.order_key} is confirmed"]


def test_a_request_that_loses_the_database_is_answered_503_with_retry_after(api_client):
    """The connection cut under a request (as a restart or failover does) is a 503 the client can retry, not a
    500; the next request reconnects."""
    with _another_connection() as other:
        connection.ensure_connection()
        other.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
    try:
        response = api_client.get("/products/?page_size=3&probe=lost")
    finally:
        connection.close()

    assert response.status_code == 503, response.content
    assert response.json() == {"detail": "The database is unavailable; please retry shortly.",
                               "code": "service_unavailable"}
    assert response["Retry-After"] == "5"
    assert api_client.get("/products/?page_size=3&probe=back").status_code == 200
