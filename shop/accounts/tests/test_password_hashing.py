"""The production password hashers (the test settings use MD5 for speed; these tests use the real list)."""

import pytest
from django.contrib.auth.hashers import identify_hasher, make_password
from django.test import override_settings

from config.settings import base
from shop.accounts.models import User

from .factories import DEFAULT_PASSWORD, UserFactory
from .helpers import login

pytestmark = pytest.mark.django_db

ARGON2ID_OWASP = "argon2$argon2id$v=19$m=19456,t=2,p=1$"


@override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS)
def test_new_passwords_are_hashed_with_argon2id_at_owasp_parameters(api_client):
    payload = {"email": "new@example.com", "password": DEFAULT_PASSWORD, "password2": DEFAULT_PASSWORD,
               "first_name": "New", "last_name": "User"}
    response = api_client.post("/auth/register/", payload, format="json")

    assert response.status_code == 201, response.content
    assert User.objects.get(email="new@example.com").password.startswith(ARGON2ID_OWASP)
    assert make_password("anything").startswith(ARGON2ID_OWASP)


@override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS)
@pytest.mark.parametrize("old_hash", ["pbkdf2_sha256", "argon2_django_default"])
def test_older_hashes_still_log_in_and_are_upgraded_at_that_login(api_client, old_hash):
    if old_hash == "pbkdf2_sha256":
        encoded = make_password(DEFAULT_PASSWORD, hasher="pbkdf2_sha256")
    else:  # Django's own Argon2 parameters (100 MiB, 8 lanes), as a project that used them would have stored
        from django.contrib.auth.hashers import Argon2PasswordHasher

        encoded = Argon2PasswordHasher().encode(DEFAULT_PASSWORD, Argon2PasswordHasher().salt())
    user = UserFactory()
    User.objects.filter(pk=user.pk).update(password=encoded)

    assert login(api_client, user.email).status_code == 200

    user.refresh_from_db()
    assert user.password.startswith(ARGON2ID_OWASP)
    assert identify_hasher(user.password).verify(DEFAULT_PASSWORD, user.password)
    assert login(api_client, user.email, "Wrong-password-1").status_code == 401
