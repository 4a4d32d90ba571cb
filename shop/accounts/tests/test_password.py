import re

import pytest
from django.core import mail
from rest_framework.test import APIClient

from .factories import DEFAULT_PASSWORD, UserFactory
from .helpers import assert_error, bearer, login, tokens_for_login

pytestmark = pytest.mark.django_db

NEW = "Brand-New-Pass-9"


def change(client, old=DEFAULT_PASSWORD, new=NEW, new2=NEW):
    return client.post("/auth/change-password/", {"old_password": old, "new_password": new, "new_password2": new2},
                       format="json")


# --- change password ----------------------------------------------------------------------------------


def test_change_password_swaps_passwords_and_revokes_every_refresh_token(api_client, user):
    first = tokens_for_login(api_client, user)
    second = tokens_for_login(api_client, user)
    rotated = api_client.post("/auth/token/refresh/", {"refresh": second["refresh"]}, format="json").json()

    response = change(bearer(first["access"]))

    assert response.status_code == 200
    body = response.json()
    assert body == {"detail": "Password changed successfully", "tokens": {"access": body["tokens"]["access"],
                                                                          "refresh": body["tokens"]["refresh"]}}
    assert_error(login(api_client, user.email), 401, "invalid_credentials")
    assert login(api_client, user.email, NEW).status_code == 200
    for refresh in (first["refresh"], rotated["refresh"]):  # including one issued by rotation
        assert_error(api_client.post("/auth/token/refresh/", {"refresh": refresh}, format="json"), 401,
                     "token_not_valid")


def test_wrong_old_password(user_client, user):
    body = assert_error(change(user_client, old="Not-my-password-1"), 400, "wrong_password")

    assert body["errors"] == {"old_password": ["Old password is incorrect."]}
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_new_passwords_must_match(user_client):
    body = assert_error(change(user_client, new2="Different-Pass-9"), 400, "invalid")

    assert body["errors"] == {"new_password2": ["Passwords do not match."]}


def test_new_password_goes_through_the_validators(user_client, user):
    body = assert_error(change(user_client, new="12345678", new2="12345678"), 400, "invalid")

    assert "This password is too common." in body["errors"]["new_password"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_the_same_password_again_is_refused_and_keeps_every_session(api_client, user):
    other_device = tokens_for_login(api_client, user)
    client = bearer(tokens_for_login(api_client, user)["access"])

    body = assert_error(change(client, new=DEFAULT_PASSWORD, new2=DEFAULT_PASSWORD), 400, "password_unchanged")

    message = "The new password is the same as the current one; choose a different password."
    assert body == {"detail": message, "code": "password_unchanged", "errors": {"new_password": [message]}}
    assert bearer(other_device["access"]).get("/auth/me/").status_code == 200  # no session was ended
    assert api_client.post("/auth/token/refresh/", {"refresh": other_device["refresh"]},
                           format="json").status_code == 200
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_change_password_needs_authentication(api_client):
    assert_error(change(api_client), 401, "not_authenticated")


# --- password reset by email ----------------------------------------------------------------------------


def request_reset(client, email, url="/auth/password-reset/"):
    return client.post(url, {"email": email}, format="json")


def link_parts(message) -> tuple[str, str]:
    uid = re.search(r"^uid: (\S+)$", message.body, re.M).group(1)
    token = re.search(r"^token: (\S+)$", message.body, re.M).group(1)
    assert f"uid={uid}&token={token}" in message.body  # the front-end link carries the same values
    return uid, token


def confirm(client, uid, token, new=NEW, new2=NEW):
    return client.post("/auth/password-reset/confirm/",
                       {"uid": uid, "token": token, "new_password": new, "new_password2": new2}, format="json")


def test_full_reset_flow(api_client, user, django_capture_on_commit_callbacks):
    old = tokens_for_login(api_client, user)
    user.refresh_from_db()  # login stamped last_login, which is part of the reset token's hash

    with django_capture_on_commit_callbacks(execute=True):
        response = request_reset(api_client, user.email.upper())

    assert response.status_code == 200
    assert response.json() == {"detail": "If an account exists for this email, a reset link has been sent."}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email] and message.subject == "Reset your password"
    uid, token = link_parts(message)

    confirmed = confirm(api_client, uid, token)

    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json() == {"detail": "Password has been reset. Please log in."}
    assert login(api_client, user.email, NEW).status_code == 200
    assert_error(login(api_client, user.email), 401, "invalid_credentials")
    assert_error(api_client.post("/auth/token/refresh/", {"refresh": old["refresh"]}, format="json"), 401)
    # The link is single use: the password (part of the token's hash) has changed.
    assert_error(confirm(api_client, uid, token, "Another-Pass-77", "Another-Pass-77"), 400, "invalid_reset_token")


@pytest.mark.parametrize("email", ["nobody@example.com", "disabled@example.com"])
def test_reset_does_not_reveal_accounts(api_client, user, email, django_capture_on_commit_callbacks):
    UserFactory(email="disabled@example.com", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        known = request_reset(api_client, user.email)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = request_reset(api_client, email)

    assert response.status_code == 200 and response.json() == known.json()
    assert mail.outbox == []


def test_reset_under_v1(api_client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert request_reset(api_client, user.email, "/api/v1/auth/password-reset/").status_code == 200

    assert len(mail.outbox) == 1


def test_reset_request_validation(api_client):
    body = assert_error(request_reset(api_client, "not-an-email"), 400, "invalid")

    assert list(body["errors"]) == ["email"]


@pytest.mark.parametrize("uid", ["", "!!!", "bm90LWEtbnVtYmVy", "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk", "MA"])
def test_confirm_with_a_bad_uid_is_400_not_500(api_client, user, uid):
    # "bm90LWEtbnVtYmVy" = "not-a-number", the next one a number beyond bigint, "MA" = "0" (no such user)
    response = confirm(api_client, uid, "whatever-token")

    assert response.status_code == 400
    assert response.json()["code"] in ("invalid", "invalid_reset_token")


def test_confirm_with_a_bad_token_or_weak_password(api_client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request_reset(api_client, user.email)
    uid, token = link_parts(mail.outbox[0])

    assert_error(confirm(api_client, uid, token[:-1] + "x"), 400, "invalid_reset_token")
    assert_error(confirm(api_client, uid, token, new2="Mismatch-Pass-9"), 400, "invalid")
    weak = assert_error(confirm(api_client, uid, token, "password", "password"), 400, "invalid")
    assert "This password is too common." in weak["errors"]["new_password"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    assert confirm(APIClient(), uid, token).status_code == 200  # still valid after the refusals


def test_reset_email_is_plain_text_not_html_escaped(api_client, django_capture_on_commit_callbacks):
    person = UserFactory(first_name="Seán O'Brien & Co")
    with django_capture_on_commit_callbacks(execute=True):
        request_reset(api_client, person.email)

    body = mail.outbox[0].body
    assert body.startswith("Hello Seán O'Brien & Co,")
    assert "&amp;" not in body and "&#x27;" not in body


def test_a_reset_link_stops_working_once_the_account_is_disabled(api_client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request_reset(api_client, user.email)
    uid, token = link_parts(mail.outbox[0])
    user.is_active = False
    user.save()

    assert_error(confirm(api_client, uid, token), 400, "invalid_reset_token")
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
