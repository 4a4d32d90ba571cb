"""Cookie mode: tokens in HttpOnly cookies, cookie-authenticated writes guarded by Django's CSRF check."""

import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from .factories import DEFAULT_PASSWORD, UserFactory
from .helpers import assert_error, login

pytestmark = pytest.mark.django_db

REGISTER = {"email": "cookie@example.com", "first_name": "Coo", "last_name": "Kie",
            "password": "Correct-Horse-42", "password2": "Correct-Horse-42"}


def assert_auth_cookies(response, *, secure=False):
    for name in ("access_token", "refresh_token"):
        morsel = response.cookies[name]
        assert morsel.value.count(".") == 2, name  # a JWT
        assert morsel["httponly"] is True
        assert morsel["samesite"] == "Lax"
        assert bool(morsel["secure"]) is secure  # the test client speaks http unless told secure=True
        assert morsel["path"] == "/"
    assert response.cookies["access_token"]["max-age"] == 5 * 60
    assert response.cookies["refresh_token"]["max-age"] == 7 * 24 * 3600
    assert "csrftoken" in response.cookies  # the SPA echoes it in X-CSRFToken


def test_cookies_are_secure_exactly_when_the_request_is_https(api_client, user):
    assert settings.JWT_COOKIE_SECURE is None  # not forced: follow the request

    assert_auth_cookies(login(api_client, user.email, cookies=True), secure=False)
    assert_auth_cookies(login(api_client, user.email, cookies=True, secure=True), secure=True)


@pytest.mark.parametrize("forced", [True, False])
def test_jwt_cookie_secure_forces_the_flag_either_way(api_client, user, settings, forced):
    settings.JWT_COOKIE_SECURE = forced

    assert_auth_cookies(login(api_client, user.email, cookies=True), secure=forced)
    assert_auth_cookies(login(api_client, user.email, cookies=True, secure=True), secure=forced)


def test_login_with_cookies_sets_cookies_and_omits_tokens(api_client, user):
    response = login(api_client, user.email, cookies=True)

    assert response.status_code == 200
    assert set(response.json()) == {"user"} and response.json()["user"]["id"] == user.pk
    assert_auth_cookies(response)


def test_register_with_cookies_sets_cookies_and_omits_tokens(api_client):
    response = api_client.post("/auth/register/?use_cookies=true", REGISTER, format="json")

    assert response.status_code == 201
    assert set(response.json()) == {"user"}
    assert_auth_cookies(response)
    assert api_client.get("/auth/me/").json()["email"] == "cookie@example.com"


def test_without_the_flag_no_auth_cookies_are_set(api_client, user):
    response = login(api_client, user.email)

    assert "tokens" in response.json()
    assert "access_token" not in response.cookies and "refresh_token" not in response.cookies


@pytest.mark.parametrize("url", ["/auth/me/", "/api/v1/profile/", "/auth/addresses/", "/api/v1/auth/me/"])
def test_cookie_authenticates_reads(api_client, user, url):
    login(api_client, user.email, cookies=True)

    response = api_client.get(url)

    assert response.status_code == 200, response.content


def test_cookie_authenticates_writes(api_client, user):
    login(api_client, user.email, cookies=True)

    assert api_client.patch("/auth/me/", {"first_name": "Cookie"}, format="json").json()["first_name"] == "Cookie"
    changed = api_client.post("/auth/change-password/", {"old_password": DEFAULT_PASSWORD,
                                                         "new_password": "Brand-New-Pass-9",
                                                         "new_password2": "Brand-New-Pass-9"}, format="json")
    assert changed.status_code == 200, changed.content


def test_cookie_authenticates_staff_endpoints(api_client):
    staff = UserFactory(is_staff=True)
    login(api_client, staff.email, cookies=True)

    assert api_client.get("/auth/users/").status_code == 200


def test_invalid_access_cookie_is_401(api_client, user):
    api_client.cookies["access_token"] = "garbage"

    assert_error(api_client.get("/auth/me/"), 401, "token_not_valid")


def test_refresh_reads_the_cookie_and_rotates_both_cookies(api_client, user):
    login(api_client, user.email, cookies=True)
    old_refresh = api_client.cookies["refresh_token"].value
    old_access = api_client.cookies["access_token"].value

    response = api_client.post("/auth/token/refresh/", {}, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == {"detail": "Token refreshed successfully"}
    assert_auth_cookies(response)
    assert response.cookies["refresh_token"].value != old_refresh
    assert response.cookies["access_token"].value != old_access
    assert api_client.get("/auth/me/").status_code == 200
    replay = APIClient().post("/auth/token/refresh/", {"refresh": old_refresh}, format="json")
    assert_error(replay, 401, "token_not_valid")


def test_refresh_with_body_token_and_cookie_flag_answers_in_cookies(api_client, user):
    tokens = login(api_client, user.email).json()["tokens"]

    response = api_client.post("/auth/token/refresh/?use_cookies=true", {"refresh": tokens["refresh"]},
                               format="json")

    assert response.json() == {"detail": "Token refreshed successfully"}
    assert_auth_cookies(response)


def test_logout_reads_the_refresh_cookie_blacklists_it_and_deletes_cookies(api_client, user):
    login(api_client, user.email, cookies=True)
    refresh = api_client.cookies["refresh_token"].value

    response = api_client.post("/auth/logout/", {}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["detail"] == "Logged out successfully"
    for name in ("access_token", "refresh_token"):
        assert response.cookies[name].value == "" and response.cookies[name]["max-age"] == 0
    assert BlacklistedToken.objects.filter(token__user=user).count() == 1
    assert_error(api_client.get("/auth/me/"), 401, "not_authenticated")  # the client dropped its cookies
    assert_error(APIClient().post("/auth/token/refresh/", {"refresh": refresh}, format="json"), 401)


# --- CSRF: the test client skips CSRF unless asked, so these use enforce_csrf_checks=True -----------------


@pytest.fixture
def csrf_client(user):
    client = APIClient(enforce_csrf_checks=True)
    assert login(client, user.email, cookies=True).status_code == 200
    return client


def test_cookie_authenticated_write_without_csrf_token_is_403(csrf_client):
    response = csrf_client.patch("/auth/me/", {"first_name": "Mallory"}, format="json")

    body = assert_error(response, 403, "csrf_failed")
    assert body["detail"].startswith("CSRF Failed: CSRF token missing.")
    assert "X-CSRFToken" in body["detail"] and "CSRF_TRUSTED_ORIGINS" in body["detail"]


def test_cookie_authenticated_write_with_csrf_token_succeeds(csrf_client, user):
    token = csrf_client.cookies["csrftoken"].value

    response = csrf_client.patch("/auth/me/", {"first_name": "Alice"}, format="json", HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 200 and response.json()["first_name"] == "Alice"


def test_cookie_authenticated_post_needs_csrf_token(csrf_client):
    payload = {"old_password": DEFAULT_PASSWORD, "new_password": "Brand-New-Pass-9",
               "new_password2": "Brand-New-Pass-9"}

    refused = csrf_client.post("/auth/change-password/", payload, format="json")
    assert_error(refused, 403, "csrf_failed")

    token = csrf_client.cookies["csrftoken"].value
    accepted = csrf_client.post("/auth/change-password/", payload, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 200, accepted.content


def test_cookie_refresh_and_logout_need_csrf_token(csrf_client):
    assert_error(csrf_client.post("/auth/token/refresh/", {}, format="json"), 403, "csrf_failed")
    refused = csrf_client.post("/auth/logout/", {}, format="json")
    assert_error(refused, 403, "csrf_failed")
    assert "access_token" not in refused.cookies  # a forged logout does not even delete the cookies

    token = csrf_client.cookies["csrftoken"].value
    assert csrf_client.post("/auth/token/refresh/", {}, format="json", HTTP_X_CSRFTOKEN=token).status_code == 200
    assert csrf_client.post("/auth/logout/", {}, format="json", HTTP_X_CSRFTOKEN=token).status_code == 200


def test_safe_methods_and_bearer_requests_are_not_csrf_checked(csrf_client, user):
    assert csrf_client.get("/auth/me/").status_code == 200

    bearer_client = APIClient(enforce_csrf_checks=True)
    access = login(bearer_client, user.email).json()["tokens"]["access"]
    bearer_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert bearer_client.patch("/auth/me/", {"first_name": "Bob"}, format="json").status_code == 200


@pytest.mark.parametrize("url", ["/auth/login/?use_cookies=true", "/auth/register/?use_cookies=true",
                                 "/auth/token/refresh/?use_cookies=true", "/api/v1/token/"])
def test_cookie_issuing_endpoints_refuse_html_form_posts(api_client, user, url):
    """A cross-site <form> can post urlencoded data with no CORS preflight: that would be login CSRF."""
    form = f"email={user.email}&password={DEFAULT_PASSWORD}&refresh=x"

    response = api_client.post(url, form, content_type="application/x-www-form-urlencoded")

    assert_error(response, 415, "unsupported_media_type")
    assert "access_token" not in response.cookies
