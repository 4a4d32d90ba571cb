"""Bulk-create benchmark customers: ``manage.py seed_users --users 10000``.

Emails are ``bench-user-{i}@example.com`` for i in 0..N-1; only the missing ones are created, so running it again
(or with a larger N) tops the set up instead of failing or duplicating. Every account gets the same password,
hashed once with the configured hasher (a real Argon2id hash in production settings): hashing 10,000 passwords one
by one would take minutes, and a login still verifies the full hash. Existing bench users whose hash was made by
another hasher or with other parameters (an older seed) get the current one, so a benchmark measures the hasher
the settings configure, not the one that was current when the users were seeded.
"""

import time

from django.contrib.auth.hashers import get_hasher, identify_hasher, make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from shop.accounts.models import User

DEFAULT_PASSWORD = "bench-Passw0rd!"
EMAIL = "bench-user-{}@example.com"


def bench_user_email(index: int) -> str:
    return EMAIL.format(index)


def _outdated(encoded: str) -> bool:
    """Made by another hasher than the preferred one, or with other parameters (what a login would upgrade)."""
    preferred = get_hasher()
    try:
        return identify_hasher(encoded).algorithm != preferred.algorithm or preferred.must_update(encoded)
    except ValueError:  # unusable or unknown: not a password a benchmark login could use
        return True


class Command(BaseCommand):
    help = "Create the missing bench-user-{i}@example.com customers (0 <= i < N), all with one password."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, required=True, help="How many bench users should exist.")
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="Password of every created user.")
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args, users: int, password: str, batch_size: int, **options):
        if users < 1:
            raise CommandError("--users must be at least 1")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        started = time.monotonic()
        rows = User.objects.filter(email__startswith="bench-user-", email__endswith="@example.com").values_list(
            "pk", "email", "password"
        )
        existing = {email: (pk, encoded) for pk, email, encoded in rows}
        missing = [email for email in map(bench_user_email, range(users)) if email not in existing]
        hashed = make_password(password)
        outdated = [pk for pk, encoded in existing.values() if _outdated(encoded)]
        if outdated:
            User.objects.filter(pk__in=outdated).update(password=hashed)
            self.stdout.write(f"Re-hashed {len(outdated)} bench users with the current hasher.")
        if not missing:
            self.stdout.write(f"All {users} bench users already exist.")
            return
        for start in range(0, len(missing), batch_size):
            with transaction.atomic():
                User.objects.bulk_create(
                    [
                        User(email=email, password=hashed, first_name="Bench", last_name="User")
                        for email in missing[start : start + batch_size]
                    ],
                    ignore_conflicts=True,  # another seeder racing us created some: theirs are as good
                )
        self.stdout.write(
            f"Created {len(missing)} bench users ({users - len(missing)} existed) in {time.monotonic() - started:.1f}s."
        )
