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
