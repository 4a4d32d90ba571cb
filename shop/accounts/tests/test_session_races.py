"""Session state under concurrency: one token or reset link used twice at once is honoured once.

Needs PostgreSQL (real row locks); skipped with the reason on SQLite.
"""

import threading
from functools import partial

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from shop.accounts.models import User
from shop.accounts.services import password_reset_link_parts
from tests.concurrency import run_concurrently

from .factories import DEFAULT_PASSWORD, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*requests) -> list:
    """Run each request (a callable taking a fresh APIClient) in its own thread, all released at once.

    Each answers its status code, or the repr of what it raised (surfaced by the caller's assertion).
    """

    def send(index, request):
        return request(APIClient(REMOTE_ADDR=f"10.9.0.{index}")).status_code

    results = run_concurrently(*[partial(send, index, request) for index, request in enumerate(requests)])
    return [repr(result) if isinstance(result, Exception) else result for result in results]


def test_the_same_refresh_token_twice_at_once_rotates_only_once():
    refresh = str(RefreshToken.for_user(UserFactory()))

    def post(client):
        return client.post("/auth/token/refresh/", {"refresh": refresh}, format="json")

    results = race(*[post] * 6)

    assert sorted(results, key=str) == [200] + [401] * 5, results


def test_logout_racing_a_refresh_of_the_same_token_only_one_wins():
    user = UserFactory()
    refresh, access = RefreshToken.for_user(user), str(AccessToken.for_user(user))

    def refresh_it(client):
        return client.post("/auth/token/refresh/", {"refresh": str(refresh)}, format="json")

    def log_out(client):
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        return client.post("/auth/logout/", {"refresh": str(refresh)}, format="json")

    results = race(refresh_it, log_out, refresh_it, log_out)

    assert sorted(results, key=str) == [200] + [401] * 3, results


def test_a_password_change_racing_a_refresh_leaves_no_live_refresh_token():
    user = UserFactory()
    refresh, access = RefreshToken.for_user(user), str(AccessToken.for_user(user))
    new = "Brand-New-Pass-9"
    issued: list[str] = []

    def refresh_it(client):
        response = client.post("/auth/token/refresh/", {"refresh": str(refresh)}, format="json")
        if response.status_code == 200:
            issued.append(response.json()["refresh"])
        return response

    def change(client):
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        return client.post("/auth/change-password/", {"old_password": DEFAULT_PASSWORD, "new_password": new,
                                                      "new_password2": new}, format="json")

    results = race(change, refresh_it)

    assert results[0] == 200, results
    for token in [str(refresh), *issued]:  # whichever ran first, nothing issued before the change survives
        assert APIClient().post("/auth/token/refresh/", {"refresh": token}, format="json").status_code == 401


def test_one_reset_link_used_twice_at_once_works_once():
    user = UserFactory()
    uid, token = password_reset_link_parts(user=user)

    def confirm(password):
        return lambda client: client.post("/auth/password-reset/confirm/", {
            "uid": uid, "token": token, "new_password": password, "new_password2": password}, format="json")

    results = race(confirm("First-Choice-11"), confirm("Second-Choice-22"), confirm("Third-Choice-33"))

    assert sorted(results, key=str) == [200, 400, 400], results


def test_a_lock_held_too_long_is_a_503_with_retry_after():
    """The lock_timeout set on every PostgreSQL connection turns a stuck row lock into a retryable 503."""
    user = UserFactory()
    refresh = RefreshToken.for_user(user)
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        from django.db import transaction

        try:
            with transaction.atomic():
                list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk"))
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
