"""SQLite under concurrent writers: a lock that cannot be had in time is a retryable 503, never a 500."""

import threading

import pytest
from django.conf import settings
from django.db import OperationalError, connection, transaction

from shop.core.exceptions import api_exception_handler

ON_SQLITE = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")


@pytest.mark.parametrize("message", ["database is locked", "database table is locked: cart_cart"])
def test_sqlite_busy_is_a_503_with_retry_after(message):
    response = api_exception_handler(OperationalError(message), {})

    assert response.status_code == 503
    assert response.data == {"detail": "The resource is busy; please retry shortly.", "code": "busy"}
    assert response["Retry-After"] == "2"


def test_other_database_errors_stay_unhandled():
    assert api_exception_handler(OperationalError("no such table: nope"), {}) is None  # a logged 500


def test_a_closed_connection_is_a_503_the_client_retries():
    from django.db import InterfaceError

    response = api_exception_handler(InterfaceError("connection already closed"), {})

    assert (response.status_code, response.data["code"], response["Retry-After"]) == (503, "service_unavailable", "5")


@pytest.mark.skipif(not ON_SQLITE, reason="SQLite's own locking; PostgreSQL's lock_timeout has its own test")
def test_sqlite_waits_for_the_lock_and_starts_writes_immediately():
    options = settings.DATABASES["default"]["OPTIONS"]
    assert (options["transaction_mode"], options["timeout"]) == ("IMMEDIATE", 5.0)


@pytest.mark.skipif(not ON_SQLITE, reason="SQLite's own locking")
@pytest.mark.django_db(transaction=True)
def test_a_writer_held_past_the_timeout_answers_503_not_500(user_client, settings):
    held, release = threading.Event(), threading.Event()

    def hold_the_write_lock():
        try:
            with transaction.atomic():  # BEGIN IMMEDIATE: the database's write lock
                held.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    held.wait(5)
    try:
        response = user_client.post("/cart/clear/")
    finally:
        release.set()
        holder.join()

    assert response.status_code == 503, response.content
    assert response.json() == {"detail": "The resource is busy; please retry shortly.", "code": "busy"}
    assert response["Retry-After"] == "2"
