import os

from django.core.management.base import BaseCommand

from shop.accounts.models import User
from shop.accounts.services import user_sessions_revoke


class Command(BaseCommand):
    help = "Make sure the staff superuser named by DJANGO_SUPERUSER_EMAIL/PASSWORD exists (no-op when unset)."

    def handle(self, *args, **options):
        email = os.environ.get("DJANGO_SUPERUSER_EMAIL", "").strip().lower()
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
        if not email or not password:
            self.stdout.write("DJANGO_SUPERUSER_EMAIL/PASSWORD not set: no superuser created.")
            return
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            User.objects.create_superuser(email=email, password=password)
            self.stdout.write(f"Superuser {email} created.")
            return
        changed = not (user.is_staff and user.is_superuser and user.is_active)
        user.is_staff = user.is_superuser = user.is_active = True
        new_password = not user.check_password(password)
        if new_password:
            user.set_password(password)
            changed = True
        if changed:
            user.save()
        if new_password:
            user_sessions_revoke(user=user)  # a repaired password ends the sessions of the old one
        self.stdout.write(f"Superuser {email} {'updated' if changed else 'already up to date'}.")
