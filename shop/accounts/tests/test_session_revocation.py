"""Every token issued before a password change, a password reset or a deactivation stops working at once."""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import RefreshToken

from .factories import DEFAULT_PASSWORD, UserFactory
from .helpers import assert_error, bearer, login, tokens_for_login

pytestmark = pytest.mark.django_db

NEW = "Brand-New-Pass-9"
REVOKED = "This session has ended (password changed or reset, or account disabled); log in again."


def _change_password(client, **extra):
    return client.post("/auth/change-password/", {"old_password": DEFAULT_PASSWORD, "new_password": NEW,
                                                  "new_password2": NEW}, format="json", **extra)


def _refresh(refresh: str):
    return APIClient().post("/auth/token/refresh/", {"refresh": refresh}, format="json")


def assert_session_ended(tokens: dict) -> None:
    """The access token is refused on a read, and the refresh token cannot mint a new one."""
    body = assert_error(bearer(tokens["access"]).get("/auth/me/"), 401, "token_not_valid")
    assert body["detail"] == REVOKED
    assert_error(_refresh(tokens["refresh"]), 401, "token_not_valid")


def assert_session_works(tokens: dict) -> None:
    assert bearer(tokens["access"]).get("/auth/me/").status_code == 200
    assert _refresh(tokens["refresh"]).status_code == 200


def test_the_old_access_token_is_refused_right_after_a_password_change(api_client, user):
    other_device = tokens_for_login(api_client, user)
    this_device = tokens_for_login(api_client, user)
    assert bearer(other_device["access"]).get("/auth/me/").status_code == 200

    response = _change_password(bearer(this_device["access"]))

    assert response.status_code == 200, response.content
    assert response.json()["detail"] == "Password changed successfully"
    assert_session_ended(other_device)
    assert_session_ended(this_device)
    assert_session_works(response.json()["tokens"])  # the changer's own fresh session


def test_a_refresh_token_of_an_older_version_is_refused_even_if_it_was_never_blacklisted(api_client, user):
    old = tokens_for_login(api_client, user)
    assert _change_password(bearer(old["access"])).status_code == 200
    BlacklistedToken.objects.all().delete()  # e.g. flushed: the version check alone must hold

    body = assert_error(_refresh(old["refresh"]), 401, "token_not_valid")

    assert body["detail"] == REVOKED


def test_a_rotated_refresh_token_keeps_its_version(api_client, user):
    first = tokens_for_login(api_client, user)
    rotated = _refresh(first["refresh"]).json()

    assert_session_works(rotated)
    assert _change_password(bearer(rotated["access"])).status_code == 200
    assert_error(bearer(rotated["access"]).get("/auth/me/"), 401, "token_not_valid")


def test_a_password_reset_ends_every_session(api_client, user, django_capture_on_commit_callbacks):
    old = tokens_for_login(api_client, user)
    user.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post("/auth/password-reset/", {"email": user.email}, format="json")
    uid = re.search(r"^uid: (\S+)$", mail.outbox[0].body, re.M).group(1)
    token = re.search(r"^token: (\S+)$", mail.outbox[0].body, re.M).group(1)

    confirmed = api_client.post("/auth/password-reset/confirm/", {"uid": uid, "token": token, "new_password": NEW,
                                                                  "new_password2": NEW}, format="json")

    assert confirmed.status_code == 200, confirmed.content
    assert_session_ended(old)
    assert_session_works(tokens_for_login(api_client, user, NEW))


def test_deactivating_in_the_admin_ends_every_session_for_good(api_client, user):
    old = tokens_for_login(api_client, user)
    staff = UserFactory(is_staff=True, is_superuser=True)
    admin = Client()  # the admin's HTML forms
    admin.force_login(staff)
    form = {"email": user.email, "first_name": user.first_name, "last_name": user.last_name,
            "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"}

    deactivated = admin.post(f"/admin/accounts/user/{user.pk}/change/", {**form, "is_active": ""})
    assert deactivated.status_code == 302, deactivated.content
    assert_error(bearer(old["access"]).get("/auth/me/"), 401)
    reactivated = admin.post(f"/admin/accounts/user/{user.pk}/change/", {**form, "is_active": "on"})
    assert reactivated.status_code == 302, reactivated.content

    assert_session_ended(old)  # switching the account back on does not revive the old tokens
    assert_session_works(tokens_for_login(api_client, user))


def test_a_password_set_in_the_admin_ends_every_session(api_client, user):
    old = tokens_for_login(api_client, user)
    admin = Client()  # the admin's HTML forms
    admin.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = admin.post(f"/admin/accounts/user/{user.pk}/password/", {"password1": NEW, "password2": NEW,
                                                                       "usable_password": "true"})

    assert response.status_code == 302, response.content
    assert_session_ended(old)


def test_ensure_superuser_repairing_the_password_ends_the_old_sessions(api_client, monkeypatch):
    admin = UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    old = tokens_for_login(api_client, admin)
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "admin@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Admin-Pass-123")

    call_command("ensure_superuser")

    assert_session_ended(old)


def test_a_token_from_before_versions_counts_as_version_0(api_client, user):
    legacy = RefreshToken.for_user(user)  # simplejwt's own token, without our claim
    tokens = {"access": str(legacy.access_token), "refresh": str(legacy)}
    assert bearer(tokens["access"]).get("/auth/me/").status_code == 200

    assert _change_password(bearer(tokens["access"])).status_code == 200

    assert_session_ended(tokens)


def test_the_check_costs_no_query(api_client, user, django_assert_num_queries):
    access = tokens_for_login(api_client, user)["access"]
    client = bearer(access)

    with django_assert_num_queries(1):  # the user row JWTAuthentication loads anyway
        response = client.get("/auth/me/")

    assert response.status_code == 200 and response.json()["id"] == user.pk


# --- cookie mode ------------------------------------------------------------------------------------------


def test_cookie_sessions_end_and_the_changer_gets_new_cookies(user):
    other_device, this_device = APIClient(enforce_csrf_checks=True), APIClient(enforce_csrf_checks=True)
    for client in (other_device, this_device):
        assert login(client, user.email, cookies=True).status_code == 200
    old_cookies = {name: this_device.cookies[name].value for name in ("access_token", "refresh_token")}

    response = _change_password(this_device, HTTP_X_CSRFTOKEN=this_device.cookies["csrftoken"].value)

    assert response.status_code == 200, response.content
    assert response.json() == {"detail": "Password changed successfully"}  # tokens went to the cookies
    assert response.cookies["access_token"].value not in ("", old_cookies["access_token"])
    assert this_device.get("/auth/me/").status_code == 200
    assert_error(other_device.get("/auth/me/"), 401, "token_not_valid")
    stale = APIClient()
    stale.cookies["access_token"] = old_cookies["access_token"]
    assert_error(stale.get("/auth/me/"), 401, "token_not_valid")
    assert_error(_refresh(old_cookies["refresh_token"]), 401, "token_not_valid")


def test_a_bearer_change_with_use_cookies_answers_in_cookies(api_client, user):
    access = tokens_for_login(api_client, user)["access"]

    response = bearer(access).post("/auth/change-password/?use_cookies=true",
                                   {"old_password": DEFAULT_PASSWORD, "new_password": NEW, "new_password2": NEW},
                                   format="json")

    assert response.status_code == 200
    assert response.json() == {"detail": "Password changed successfully"}
    assert response.cookies["access_token"].value.count(".") == 2


# --- changing the login e-mail ----------------------------------------------------------------------------


@pytest.mark.parametrize(("password", "code", "message"), [
    (None, "current_password_required", "Enter your current password to change your e-mail address."),
    ("", "current_password_required", "Enter your current password to change your e-mail address."),
    ("Not-my-password-1", "wrong_password", "Current password is incorrect."),
])
def test_a_new_email_needs_the_current_password(user_client, user, password, code, message,
                                                django_capture_on_commit_callbacks):
    body = {"email": "new@example.com", "first_name": "Changed"}
    if password is not None:
        body["current_password"] = password

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.patch("/auth/me/", body, format="json")

    error = assert_error(response, 400, code)
    assert error["errors"] == {"current_password": [message]}
    old_email = user.email
    user.refresh_from_db()
    assert (user.email, user.first_name) == (old_email, user.first_name)
    assert user.first_name != "Changed"
    assert mail.outbox == []


def test_a_new_email_with_the_password_changes_it_and_tells_the_old_address(user_client, user,
                                                                            django_capture_on_commit_callbacks):
    old_email = user.email

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.patch("/auth/me/", {"email": "Jane.New@Example.com",
                                                   "current_password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["email"] == "jane.new@example.com"
    assert "current_password" not in response.json()
    # The notice to the old address, and the new address's verification (test_email_verification.py).
    assert [(m.to, m.subject) for m in mail.outbox] == [([old_email], "Your e-mail address was changed"),
                                                       (["jane.new@example.com"], "Verify your e-mail address")]
    notice = mail.outbox[0]
    assert f"from {old_email} to j***@example.com" in notice.body
    assert "jane.new@example.com" not in notice.body
    assert_error(login(APIClient(), old_email), 401, "invalid_credentials")
    assert login(APIClient(), "jane.new@example.com").status_code == 200


@pytest.mark.parametrize(("support", "how", "reply_to"), [
    ("help@shop.example", "write to help@shop.example", ["help@shop.example"]),
    ("", "reply to this e-mail", []),
])
def test_the_old_address_is_told_how_to_get_the_account_back_not_to_reset_its_password(
        user_client, user, settings, django_capture_on_commit_callbacks, support, how, reply_to):
    """A reset link now goes to the new address (perhaps an intruder's): the notice sends the owner to the shop."""
    settings.SHOP_SUPPORT_EMAIL, settings.SHOP_NAME = support, "Hat Shop"
    user.first_name = "Jane"
    user.save(update_fields=["first_name"])
    old_email = user.email

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.patch("/auth/me/", {"email": "intruder@example.net",
                                                   "current_password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 200, response.content
    [notice] = [message for message in mail.outbox if message.to == [old_email]]
    assert (notice.to, notice.reply_to) == ([old_email], reply_to)
    assert notice.body == (
        "Hello Jane,\n\n"
        f"The login e-mail address of your account was changed from {old_email} to i***@example.net.\n"
        "It was changed by someone who knew your password.\n\n"
        "If it was you, there is nothing to do.\n\n"
        "If it was not you, a password reset will not help: its link now goes to the new address, not to this one.\n"
        f"Instead, {how} from this address ({old_email}) and say that you did not make the change.\n"
        "Hat Shop will check that the account is yours and give it back to this address; then reset your\n"
        "password from here, which also signs the other person out.\n"
    )


def test_names_and_the_same_email_need_no_password_and_send_nothing(user_client, user,
                                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.patch("/auth/me/", {"first_name": "Ada", "email": user.email.upper()},
                                     format="json")

    assert response.status_code == 200, response.content
    assert response.json()["first_name"] == "Ada"
    assert mail.outbox == []
