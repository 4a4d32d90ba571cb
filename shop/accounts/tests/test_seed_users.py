"""``manage.py seed_users``: the benchmark's customers, created in bulk, idempotent, able to log in."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from shop.accounts.models import User

from .helpers import login

pytestmark = pytest.mark.django_db


def _seed(*args) -> str:
    out = StringIO()
    call_command("seed_users", *args, stdout=out)
    return out.getvalue()


def _bench_emails() -> list[str]:
    return sorted(User.objects.filter(email__startswith="bench-user-").values_list("email", flat=True))


def test_creates_n_users_who_log_in_with_the_given_password(api_client, django_assert_max_num_queries):
    # One read of the existing emails, then per batch of 2 one INSERT (plus its savepoint and release here).
    with django_assert_max_num_queries(1 + 3 * 3):
        out = _seed("--users", "5", "--password", "Seed-Pass-9", "--batch-size", "2")

    assert "Created 5 bench users (0 existed)" in out
    assert _bench_emails() == sorted(f"bench-user-{i}@example.com" for i in range(5))
    response = login(api_client, "bench-user-3@example.com", "Seed-Pass-9")
    assert response.status_code == 200, response.content
    assert response.json()["user"]["email"] == "bench-user-3@example.com"
    assert login(api_client, "bench-user-3@example.com", "wrong-Pass-9").status_code == 401


def test_a_second_run_creates_only_the_missing_users(django_assert_max_num_queries):
    _seed("--users", "3")
    User.objects.filter(email="bench-user-1@example.com").delete()
    first_pk = User.objects.get(email="bench-user-0@example.com").pk

    out = _seed("--users", "6")

    assert "Created 4 bench users (2 existed)" in out
    assert _bench_emails() == sorted(f"bench-user-{i}@example.com" for i in range(6))
    assert User.objects.get(email="bench-user-0@example.com").pk == first_pk  # kept, not recreated
    with django_assert_max_num_queries(1):
        assert "All 6 bench users already exist." in _seed("--users", "6")
    assert User.objects.filter(email__startswith="bench-user-").count() == 6


def test_users_seeded_with_another_hasher_get_the_current_one(api_client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _seed("--users", "2", "--password", "Seed-Pass-9")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.ScryptPasswordHasher",
                                 "django.contrib.auth.hashers.MD5PasswordHasher"]

    out = _seed("--users", "2", "--password", "Seed-Pass-9")

    assert "Re-hashed 2 bench users with the current hasher." in out
    assert all(p.startswith("scrypt$") for p in User.objects.values_list("password", flat=True))
    assert login(api_client, "bench-user-1@example.com", "Seed-Pass-9").status_code == 200
    assert "Re-hashed" not in _seed("--users", "2", "--password", "Seed-Pass-9")


def test_other_users_are_neither_counted_nor_touched(user):
    out = _seed("--users", "2")

    assert "Created 2 bench users (0 existed)" in out
    assert User.objects.count() == 3
    assert User.objects.filter(pk=user.pk, email=user.email).exists()


def test_refuses_a_count_below_one():
    with pytest.raises(CommandError, match="at least 1"):
        _seed("--users", "0")
    assert User.objects.count() == 0
