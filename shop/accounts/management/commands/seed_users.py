"""Bulk-create benchmark customers: ``manage.py seed_users --users 10000``.

Emails are ``bench-user-{i}@example.com`` for i in 0..N-1; only the missing ones are created, so running it again
(or with a larger N) tops the set up instead of failing or duplicating. Every account gets the same password,
hashed once with the configured hasher (a real PBKDF2 hash in production settings): hashing 10,000 passwords one
by one would take minutes, and a login still verifies the full hash.
"""

import time

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from shop.accounts.models import User

DEFAULT_PASSWORD = "bench-Passw0rd!"
EMAIL = "bench-user-{}@example.com"


def bench_user_email(index: int) -> str:
    return EMAIL.format(index)


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
        existing = set(
            User.objects.filter(email__startswith="bench-user-", email__endswith="@example.com").values_list(
                "email", flat=True
            )
        )
        missing = [email for email in map(bench_user_email, range(users)) if email not in existing]
        if not missing:
            self.stdout.write(f"All {users} bench users already exist.")
            return
        hashed = make_password(password)
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
