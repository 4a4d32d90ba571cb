"""Rotation under concurrency: one refresh token presented twice at the same moment is honoured once.

Needs PostgreSQL (real row locks); skipped with the reason on SQLite.
"""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from .factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_refresh_token_twice_at_once_rotates_only_once():
    refresh = str(RefreshToken.for_user(UserFactory()))
    attempts = 6
    barrier = threading.Barrier(attempts)
    statuses: list[int] = []

    def attempt():
        try:
            barrier.wait(timeout=10)
            response = APIClient().post("/auth/token/refresh/", {"refresh": refresh}, format="json",
                                        REMOTE_ADDR=f"10.9.0.{threading.get_ident() % 250}")
            statuses.append(response.status_code)
        except Exception as exc:  # surfaced by the assertion below
            statuses.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [200] + [401] * (attempts - 1)


def test_a_lock_held_too_long_is_a_503_with_retry_after():
    """The lock_timeout set on every PostgreSQL connection turns a stuck row lock into a retryable 503."""
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    refresh = RefreshToken.for_user(UserFactory())
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        from django.db import transaction

        try:
            with transaction.atomic():
                list(OutstandingToken.objects.select_for_update(of=("self",)).filter(jti=refresh["jti"]).values_list("pk"))
                locked.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    assert locked.wait(timeout=10)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")  # the configured 5 s, shortened for the test
        response = APIClient().post("/auth/token/refresh/", {"refresh": str(refresh)}, format="json")
    finally:
        release.set()
        holder.join(timeout=10)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")

    assert response.status_code == 503
    assert response.json() == {"detail": "The resource is busy; please retry shortly.", "code": "busy"}
    assert response["Retry-After"] == "2"
    assert APIClient().post("/auth/token/refresh/", {"refresh": str(refresh)}, format="json").status_code == 200
