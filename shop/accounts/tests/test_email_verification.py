"""E-mail verification: a signed, expiring link and a one-time code, read from the mail the API really sends
(locmem outbox, Celery eager, on-commit callbacks executed)."""

import io
import re
import time
from datetime import timedelta
from functools import partial

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from shop.accounts import services, verification
from shop.accounts.models import EmailVerificationCode, User
from shop.core.exceptions import ApplicationError
from tests.concurrency import run_concurrently

from .factories import DEFAULT_PASSWORD, UserFactory
from .helpers import assert_error, bearer, tokens_for_login

pytestmark = pytest.mark.django_db

REQUEST = "/auth/verify-email/request/"
CONFIRM = "/auth/verify-email/confirm/"
SENT = "A verification e-mail with a link and a code is on its way to your address."
VERIFIED = "Your e-mail address is verified."
ALREADY = "Your e-mail address is already verified."


def sent_to(message) -> tuple[str, str]:
    """The link's token and the code of a verification e-mail (the link is EMAIL_VERIFY_URL's default)."""
    assert message.subject == "Verify your e-mail address"
    token = re.search(r"^http://localhost:3000/verify-email\?token=(\S+)$", message.body, re.M).group(1)
    code = re.search(r"^code: ([0-9]{6})$", message.body, re.M).group(1)
    return token, code


def verification_mails(to: str) -> list:
    return [m for m in mail.outbox if m.subject == "Verify your e-mail address" and m.to == [to]]


def confirm(client, **body):
    return client.post(CONFIRM, body, format="json")


def me(client) -> dict:
    response = client.get("/auth/me/")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def requested(user, user_client, django_capture_on_commit_callbacks):
    """``user`` has asked for a verification e-mail; answers its (token, code)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(REQUEST)
    assert response.status_code == 202 and response.json() == {"detail": SENT}
    (message,) = verification_mails(user.email)
    return sent_to(message)


def test_registering_sends_a_link_that_verifies_in_another_browser(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        registered = api_client.post("/auth/register/", {
            "email": "Ada@Example.com", "first_name": "Ada", "last_name": "Lovelace",
            "password": DEFAULT_PASSWORD, "password2": DEFAULT_PASSWORD}, format="json")
    assert registered.status_code == 201, registered.content
    assert registered.json()["user"]["is_email_verified"] is False
    (message,) = mail.outbox
    assert message.to == ["ada@example.com"]
    token, code = sent_to(message)
    assert "valid" not in token and len(code) == 6
    session = bearer(registered.json()["tokens"]["access"])

    response = confirm(APIClient(), token=token)  # no session at all: the link is opened elsewhere

    assert response.status_code == 200 and response.json() == {"detail": VERIFIED}
    assert me(session)["is_email_verified"] is True
    assert not EmailVerificationCode.objects.exists()  # the code went with it


def test_a_used_link_is_dead(requested, user):
    token, _ = requested
    assert confirm(APIClient(), token=token).json() == {"detail": VERIFIED}

    body = assert_error(confirm(APIClient(), token=token), 400, "verification_invalid")

    assert body["detail"] == ("This verification link is invalid or has already been used; ask for a new one with "
                              "POST /auth/verify-email/request/.")


def test_the_code_verifies_a_logged_in_user_and_kills_the_link(requested, user, user_client):
    token, code = requested

    response = confirm(user_client, code=code)

    assert response.status_code == 200 and response.json() == {"detail": VERIFIED}
    assert me(user_client)["is_email_verified"] is True
    assert_error(confirm(APIClient(), token=token), 400, "verification_invalid")
    again = confirm(user_client, code=code)
    assert again.status_code == 200 and again.json() == {"detail": ALREADY}


def test_a_code_needs_the_accounts_session(requested, user):
    _, code = requested

    assert_error(confirm(APIClient(), code=code), 401, "not_authenticated")
    user.refresh_from_db()
    assert user.is_email_verified is False


def test_a_verified_user_asking_again_gets_200_and_no_mail(user, user_client, django_capture_on_commit_callbacks):
    User.objects.filter(pk=user.pk).update(is_email_verified=True)
    user.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(REQUEST)

    assert response.status_code == 200 and response.json() == {"detail": ALREADY}
    assert mail.outbox == []


def test_request_needs_authentication(api_client):
    assert_error(api_client.post(REQUEST), 401, "not_authenticated")


def test_a_new_request_replaces_the_pending_code(requested, user, user_client, django_capture_on_commit_callbacks):
    first_token, first_code = requested
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        user_client.post(REQUEST)
    second_token, second_code = sent_to(mail.outbox[0])
    if first_code == second_code:  # one chance in a million: the old code would still match
        pytest.skip("the two random codes happened to be equal")

    assert_error(confirm(user_client, code=first_code), 400, "verification_invalid")
    assert confirm(user_client, code=second_code).status_code == 200


# --- expiry: tokens stamped at another moment through the signer's own timestamp, codes by their stored expiry ----


@pytest.mark.parametrize(("hours_ago", "verifies"), [(23.9, True), (24.1, False)])
def test_a_link_lives_email_verification_hours(user, hours_ago, verifies):
    token = verification.token_make(user, issued_at=time.time() - hours_ago * 3600)

    response = confirm(APIClient(), token=token)

    if verifies:
        assert response.status_code == 200 and response.json() == {"detail": VERIFIED}
    else:
        body = assert_error(response, 400, "verification_expired")
        assert body["detail"] == ("This verification link has expired; ask for a new one with "
                                  "POST /auth/verify-email/request/.")
    user.refresh_from_db()
    assert user.is_email_verified is verifies


@override_settings(EMAIL_VERIFICATION_HOURS=2)
def test_the_lifetime_comes_from_the_setting(user):
    assert_error(confirm(APIClient(), token=verification.token_make(user, issued_at=time.time() - 3 * 3600)),
                 400, "verification_expired")
    assert confirm(APIClient(), token=verification.token_make(user, issued_at=time.time() - 3600)).status_code == 200


def test_an_expired_code_is_refused(requested, user, user_client):
    _, code = requested
    pending = EmailVerificationCode.objects.get(user=user)
    assert timedelta(hours=23, minutes=59) < pending.expires_at - timezone.now() <= timedelta(hours=24)
    EmailVerificationCode.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert_error(confirm(user_client, code=code), 400, "verification_expired")
    assert me(user_client)["is_email_verified"] is False


# --- forged and outdated links ----------------------------------------------------------------------------


def _tampered(token: str) -> list[str]:
    value, stamp, signature = token.rsplit(":", 2)
    user_id, digest = value.split(":")
    flip = {"a": "b"}.get(signature[-1], "a")
    return [
        f"{value}:{stamp}:{signature[:-1]}{flip}",  # signature changed
        f"{int(user_id) + 1}:{digest}:{stamp}:{signature}",  # another user's id under this signature
        f"{value}:{stamp}",  # truncated
        "not-a-token",
        "",
    ]


def test_tampered_tokens_are_refused_and_say_the_same_as_a_dead_link(requested, user, other_user):
    token, _ = requested
    dead = confirm(APIClient(), token=verification.token_make(other_user) + "x").json()

    for forged in _tampered(token)[:-1]:
        body = assert_error(confirm(APIClient(), token=forged), 400, "verification_invalid")
        assert body == dead
    assert_error(confirm(APIClient(), token=""), 400, "invalid")  # blank: a field error
    user.refresh_from_db()
    other_user.refresh_from_db()
    assert user.is_email_verified is False and other_user.is_email_verified is False


def test_a_link_for_a_deleted_or_disabled_account_is_refused_like_any_bad_link(user, other_user):
    deleted_token = verification.token_make(other_user)
    other_user.delete()
    disabled_token = verification.token_make(user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    deleted = assert_error(confirm(APIClient(), token=deleted_token), 400, "verification_invalid")
    disabled = assert_error(confirm(APIClient(), token=disabled_token), 400, "verification_invalid")

    assert deleted == disabled


def test_a_password_reset_token_is_not_a_verification_token(user):
    from shop.accounts.services import password_reset_link_parts

    uid, token = password_reset_link_parts(user=user)

    assert_error(confirm(APIClient(), token=f"{uid}:{token}"), 400, "verification_invalid")


def test_changing_the_email_unverifies_and_kills_the_old_link_and_code(
    requested, user, user_client, django_capture_on_commit_callbacks
):
    old_token, old_code = requested
    old_email = user.email
    User.objects.filter(pk=user.pk).update(is_email_verified=True)  # verified at the old address
    user.refresh_from_db()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        changed = user_client.patch("/auth/me/", {"email": "new@example.com", "current_password": DEFAULT_PASSWORD},
                                    format="json")

    assert changed.status_code == 200, changed.content
    assert changed.json()["email"] == "new@example.com" and changed.json()["is_email_verified"] is False
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == [
        ("new@example.com", "Verify your e-mail address"), (old_email, "Your e-mail address was changed")]
    new_token, new_code = sent_to(verification_mails("new@example.com")[0])
    # What went to the old address no longer vouches for anything.
    assert_error(confirm(APIClient(), token=old_token), 400, "verification_invalid")
    assert_error(confirm(user_client, code=old_code), 400, "verification_invalid")
    assert me(user_client)["is_email_verified"] is False

    assert confirm(user_client, code=new_code).json() == {"detail": VERIFIED}
    assert me(user_client)["is_email_verified"] is True
    assert_error(confirm(APIClient(), token=new_token), 400, "verification_invalid")


def test_a_code_sent_to_an_address_the_user_left_is_dead_even_if_still_stored(requested, user, user_client):
    _, code = requested
    # An e-mail set outside the profile endpoint (the admin, a script) leaves the row behind: it still must not work.
    User.objects.filter(pk=user.pk).update(email="moved@example.com")

    assert_error(confirm(user_client, code=code), 400, "verification_invalid")


def test_a_password_change_kills_pending_links(requested, user, user_client):
    token, _ = requested
    services.user_change_password(user=user, old_password=DEFAULT_PASSWORD, new_password="Another-Sturdy-9!")

    assert_error(confirm(APIClient(), token=token), 400, "verification_invalid")


# --- codes: five tries, then a new one is needed --------------------------------------------------------------


def test_five_wrong_codes_spend_the_code(requested, user, user_client, django_capture_on_commit_callbacks):
    _, code = requested
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    for left in (4, 3, 2, 1):
        body = assert_error(confirm(user_client, code=wrong), 400, "verification_invalid")
        assert body["attempts_left"] == left
        assert body["detail"] == f"The code is not right; {left} {'try' if left == 1 else 'tries'} left."
    fifth = assert_error(confirm(user_client, code=wrong), 400, "too_many_attempts")
    assert fifth["attempts_left"] == 0
    # Even the right code is refused now; the counter does not move past the limit.
    right = assert_error(confirm(user_client, code=code), 400, "too_many_attempts")
    assert right["detail"] == ("Too many wrong codes; this one no longer works, ask for a new one with "
                               "POST /auth/verify-email/request/.")
    assert EmailVerificationCode.objects.get(user=user).attempts == 5
    assert me(user_client)["is_email_verified"] is False

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        user_client.post(REQUEST)
    _, fresh = sent_to(mail.outbox[0])
    assert confirm(user_client, code=fresh).json() == {"detail": VERIFIED}


def test_without_a_pending_code_nothing_verifies(user, user_client):
    body = assert_error(confirm(user_client, code="123456"), 400, "verification_invalid")

    assert body["detail"] == ("No verification code is pending for your address; ask for a new one with "
                              "POST /auth/verify-email/request/.")


def test_codes_are_stored_hashed(requested, user):
    _, code = requested
    pending = EmailVerificationCode.objects.get(user=user)

    assert code not in pending.code_hash and len(pending.code_hash) == 64
    assert pending.code_hash == verification.code_hash(user_id=user.pk, email=user.email, code=code)


@pytest.mark.parametrize(("body", "fields"), [
    ({}, {"token", "code"}),
    ({"token": "x", "code": "123456"}, {"token", "code"}),
    ({"code": "12345"}, {"code"}),
    ({"code": "12345a"}, {"code"}),
    ({"code": ["123456"]}, {"code"}),
    ({"token": "x" * 257}, {"token"}),
])
def test_confirm_input_is_validated(user_client, body, fields):
    response = assert_error(confirm(user_client, **body), 400, "invalid")

    assert set(response["errors"]) == fields


# --- throttles ------------------------------------------------------------------------------------------------

LIMIT = 2


@pytest.fixture
def rates(monkeypatch):
    """See test_throttling.py: DRF copied the rates into the class attribute at import."""
    patched = {**SimpleRateThrottle.THROTTLE_RATES, "email_verification": f"{LIMIT}/hour",
               "email_verification_confirm": f"{LIMIT}/hour"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", patched)


def assert_throttled(response):
    body = assert_error(response, 429, "throttled")
    assert 0 < body["retry_after"] <= 3600


def test_requests_are_limited_per_user_across_ips(rates, user_client, other_client):
    for n in range(LIMIT):
        assert user_client.post(REQUEST, REMOTE_ADDR=f"10.9.0.{n}").status_code == 202

    assert_throttled(user_client.post(REQUEST, REMOTE_ADDR="10.9.0.99"))
    assert other_client.post(REQUEST, REMOTE_ADDR="10.9.1.1").status_code == 202


def test_requests_are_limited_per_ip_across_users(rates):
    for _ in range(LIMIT):
        client = APIClient()
        client.force_authenticate(UserFactory())
        assert client.post(REQUEST, REMOTE_ADDR="10.9.2.1").status_code == 202
    client = APIClient()
    client.force_authenticate(UserFactory())

    assert_throttled(client.post(REQUEST, REMOTE_ADDR="10.9.2.1"))
    assert client.post(REQUEST, REMOTE_ADDR="10.9.2.2").status_code == 202


def test_confirms_are_limited_per_ip(rates, user):
    for _ in range(LIMIT):
        assert_error(APIClient().post(CONFIRM, {"token": "forged"}, format="json", REMOTE_ADDR="10.9.3.1"),
                     400, "verification_invalid")

    assert_throttled(APIClient().post(CONFIRM, {"token": verification.token_make(user)}, format="json",
                                      REMOTE_ADDR="10.9.3.1"))
    user.refresh_from_db()
    assert user.is_email_verified is False


# --- the profile ------------------------------------------------------------------------------------------------


def test_me_shows_the_flag_read_only_at_the_same_query_cost(user, django_assert_max_num_queries):
    access = tokens_for_login(APIClient(), user)["access"]
    client = bearer(access)

    with django_assert_max_num_queries(1):  # the user row authentication loads, as before the flag existed
        response = client.get("/auth/me/")
    assert response.status_code == 200 and response.json()["is_email_verified"] is False

    patched = client.patch("/auth/me/", {"is_email_verified": True, "first_name": "Ada"}, format="json")
    assert patched.status_code == 200 and patched.json()["is_email_verified"] is False
    assert patched.json()["first_name"] == "Ada"


def test_existing_and_ensured_superusers_start_unverified(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Admin@Example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", DEFAULT_PASSWORD)

    call_command("ensure_superuser", stdout=io.StringIO())

    admin = User.objects.get(email="admin@example.com")
    assert admin.is_superuser and admin.is_email_verified is False
    assert UserFactory().is_email_verified is False


# --- races (PostgreSQL row locks) -------------------------------------------------------------------------------


def _try_code(user_id: int, code: str):
    return services.email_verification_confirm_code(user=User.objects.get(pk=user_id), code=code)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_get_five_tries_in_all(user):
    issued = services.email_verification_issue(user_id=user.pk)
    code = issued[2]
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    results = run_concurrently(*[partial(_try_code, user.pk, wrong)] * 10)

    codes = sorted(r.code for r in results if isinstance(r, ApplicationError))
    assert codes == ["too_many_attempts"] * 6 + ["verification_invalid"] * 4, results
    assert EmailVerificationCode.objects.get(user=user).attempts == 5
    with pytest.raises(ApplicationError) as refused:
        _try_code(user.pk, code)
    assert refused.value.code == "too_many_attempts"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_right_code_twice_at_once_verifies_once(user):
    code = services.email_verification_issue(user_id=user.pk)[2]

    results = run_concurrently(*[partial(_try_code, user.pk, code)] * 2)

    assert sorted(results) == [False, True], results
    user.refresh_from_db()
    assert user.is_email_verified is True


def test_the_schema_examples_are_the_real_messages():
    from shop.accounts.api.examples import VERIFY_CONFIRM_EXAMPLES, VERIFY_REQUEST_EXAMPLES

    examples = {example.name: example.value for example in VERIFY_REQUEST_EXAMPLES + VERIFY_CONFIRM_EXAMPLES}
    assert examples["Verification e-mail sent"] == {"detail": SENT}
    assert examples["Already verified"] == {"detail": ALREADY}
    assert examples["Verified"] == {"detail": VERIFIED}
    assert examples["Wrong code"] == {"detail": "The code is not right; 4 tries left.",
                                      "code": "verification_invalid", "attempts_left": 4}
