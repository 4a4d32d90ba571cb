"""Cookie mode where front ends really run: plain-http dev servers, stale cookies, other origins, preflights."""

import re
from pathlib import Path

import httpx
import pytest
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.test import APIClient

from .factories import DEFAULT_PASSWORD, UserFactory
from .helpers import assert_error, bearer, login, tokens_for_login

pytestmark = pytest.mark.django_db

SPA = "http://localhost:3000"


# --- Secure only over HTTPS: a real HTTP client's cookie jar on plain http -----------------------------------


@pytest.mark.django_db(transaction=True)
def test_cookie_auth_works_over_plain_http_with_a_real_cookie_jar(live_server):
    """What ``curl -c jar -b jar`` does against ``make run``: http.cookiejar drops Secure cookies over http."""
    user = UserFactory()
    with httpx.Client(base_url=live_server.url) as client:
        logged_in = client.post("/auth/login/?use_cookies=true", json={"email": user.email,
                                                                       "password": DEFAULT_PASSWORD})
        me = client.get("/auth/me/")
        csrf = client.cookies["csrftoken"]
        changed = client.patch("/auth/me/", json={"first_name": "Curl"}, headers={"X-CSRFToken": csrf})

    assert logged_in.status_code == 200, logged_in.text
    assert "secure" not in logged_in.headers["set-cookie"].lower()
    assert (me.status_code, me.json()["email"]) == (200, user.email)
    assert (changed.status_code, changed.json()["first_name"]) == (200, "Curl")


# --- Logout always ends a cookie session ---------------------------------------------------------------------


@pytest.fixture
def cookie_client(user):
    client = APIClient(enforce_csrf_checks=True)
    assert login(client, user.email, cookies=True).status_code == 200
    return client


def _logout(client, **extra):
    return client.post("/auth/logout/", {}, format="json", HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
                       **extra)


def assert_cookies_deleted(response):
    for name in ("access_token", "refresh_token"):
        assert response.cookies[name].value == "" and response.cookies[name]["max-age"] == 0, name


@pytest.mark.parametrize("stale", ["blacklisted-refresh", "garbage-both", "refresh-only", "revoked-session"])
def test_logout_with_stale_cookies_answers_200_and_deletes_them(cookie_client, user, stale):
    if stale == "blacklisted-refresh":  # another tab rotated it meanwhile
        rotated = APIClient().post("/auth/token/refresh/", {"refresh": cookie_client.cookies["refresh_token"].value},
                                   format="json")
        assert rotated.status_code == 200
    elif stale == "garbage-both":
        cookie_client.cookies["access_token"] = "not.a.jwt"
        cookie_client.cookies["refresh_token"] = "garbage"
    elif stale == "refresh-only":  # the access cookie expired (its max-age is the token's lifetime)
        del cookie_client.cookies["access_token"]
        cookie_client.cookies["refresh_token"] = "expired-or-garbage"
    else:  # the password changed on another device
        other_device = bearer(tokens_for_login(APIClient(), user)["access"])
        assert other_device.post("/auth/change-password/", {
            "old_password": DEFAULT_PASSWORD, "new_password": "Brand-New-Pass-9", "new_password2": "Brand-New-Pass-9",
        }, format="json").status_code == 200

    response = _logout(cookie_client)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["detail"] == "Logged out successfully"
    assert body["security_info"]["refresh_token"] == "was already invalid, expired or blacklisted"
    assert_cookies_deleted(response)


def test_logout_with_a_live_cookie_session_still_blacklists_its_refresh_token(cookie_client, user):
    refresh = cookie_client.cookies["refresh_token"].value

    response = _logout(cookie_client)

    assert response.status_code == 200
    assert response.json()["security_info"]["refresh_token"] == "blacklisted and cannot be reused"
    assert_cookies_deleted(response)
    assert_error(APIClient().post("/auth/token/refresh/", {"refresh": refresh}, format="json"), 401)


def test_logout_with_stale_cookies_but_no_csrf_token_changes_nothing(cookie_client):
    cookie_client.cookies["access_token"] = "not.a.jwt"

    response = cookie_client.post("/auth/logout/", {}, format="json")

    assert_error(response, 403, "csrf_failed")
    assert "access_token" not in response.cookies  # another site cannot log the visitor out


def test_logout_without_cookies_or_credentials_is_still_401(api_client):
    assert_error(api_client.post("/auth/logout/", {"refresh": "x"}, format="json"), 401, "not_authenticated")


def test_a_bearer_logout_with_a_bad_header_is_still_401(api_client, user):
    response = api_client.post("/auth/logout/", {"refresh": "x"}, format="json", HTTP_AUTHORIZATION="Bearer bad")

    assert_error(response, 401, "token_not_valid")


# --- The CSRF token for a single-page app on another origin -------------------------------------------------


def test_csrf_endpoint_answers_the_token_and_sets_the_cookie(user):
    client = APIClient(enforce_csrf_checks=True)

    response = client.get("/auth/csrf/")

    assert response.status_code == 200
    token = response.json()["csrf_token"]
    assert set(response.json()) == {"csrf_token"} and len(token) == 64
    assert response.cookies["csrftoken"].value
    assert response["Cache-Control"] == "no-store"
    assert login(client, user.email, cookies=True).status_code == 200
    changed = client.patch("/auth/me/", {"first_name": "Spa"}, format="json", HTTP_X_CSRFTOKEN=token)
    assert (changed.status_code, changed.json()["first_name"]) == (200, "Spa")


def test_a_rejected_origin_gets_a_403_naming_csrf_trusted_origins(cookie_client, settings):
    token = cookie_client.cookies["csrftoken"].value

    refused = cookie_client.patch("/auth/me/", {"first_name": "X"}, format="json", HTTP_X_CSRFTOKEN=token,
                                  HTTP_ORIGIN=SPA)
    settings.CSRF_TRUSTED_ORIGINS = [SPA]
    accepted = cookie_client.patch("/auth/me/", {"first_name": "Y"}, format="json", HTTP_X_CSRFTOKEN=token,
                                   HTTP_ORIGIN=SPA)

    body = assert_error(refused, 403, "csrf_failed")
    assert body["detail"].startswith(f"CSRF Failed: Origin checking failed - {SPA} does not match any trusted "
                                     "origins.")
    assert "CSRF_TRUSTED_ORIGINS" in body["detail"]
    assert (accepted.status_code, accepted.json()["first_name"]) == (200, "Y")


def test_django_s_own_csrf_refusals_are_json_too():
    response = Client(enforce_csrf_checks=True).post("/admin/login/", {"username": "a", "password": "b"})

    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "csrf_failed" and "CSRF_TRUSTED_ORIGINS" in body["detail"]


# --- CORS: every request header the API reads, every response header a client needs -------------------------


# Request headers a browser never lets a script set (the Fetch standard's forbidden request-header names): a
# preflight never asks for them, so CORS has nothing to allow (the API reads Transfer-Encoding to know a body is
# sent, shop/core/middleware.py).
FORBIDDEN_REQUEST_HEADERS = {"transfer-encoding", "content-length", "host", "connection", "keep-alive", "te",
                             "trailer", "upgrade", "via", "cookie", "origin", "referer"}


def _headers_the_api_reads() -> set[str]:
    """Scan the application code for request headers it reads, so a new one cannot be forgotten here; those a
    script cannot set are left out."""
    names = set()
    for path in Path(django_settings.BASE_DIR, "shop").rglob("*.py"):
        if "tests" in path.parts:
            continue
        text = path.read_text()
        names |= {name.lower() for name in re.findall(r"headers\.get\(\"([A-Za-z-]+)\"", text)}
        names |= {name[5:].replace("_", "-").lower() for name in re.findall(r"\"(HTTP_[A-Z_]+)\"", text)}
    return names - FORBIDDEN_REQUEST_HEADERS


def test_the_scan_finds_the_headers_we_know_of():
    assert {"idempotency-key", "x-request-id", "authorization", "if-none-match"} <= _headers_the_api_reads()


REQUESTED = ["idempotency-key", "x-request-id", "x-csrftoken", "authorization", "content-type", "x-cart-token"]


@pytest.mark.parametrize("path", ["/orders/checkout/", "/api/v1/orders/", "/auth/me/", "/products/"])
def test_preflight_from_an_allowed_origin_allows_every_header_the_api_reads(api_client, settings, path):
    settings.CORS_ALLOWED_ORIGINS = [SPA]
    wanted = sorted(set(REQUESTED) | _headers_the_api_reads())

    response = api_client.options(path, HTTP_ORIGIN=SPA, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                                  HTTP_ACCESS_CONTROL_REQUEST_HEADERS=", ".join(wanted))

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SPA
    assert response["Access-Control-Allow-Credentials"] == "true"
    allowed = {name.strip().lower() for name in response["Access-Control-Allow-Headers"].split(",")}
    assert set(wanted) <= allowed, set(wanted) - allowed


def test_a_preflight_from_another_origin_is_not_allowed(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = [SPA]

    response = api_client.options("/orders/checkout/", HTTP_ORIGIN="https://evil.example",
                                  HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                                  HTTP_ACCESS_CONTROL_REQUEST_HEADERS="idempotency-key")

    assert "Access-Control-Allow-Origin" not in response


def test_answers_to_an_allowed_origin_expose_the_headers_clients_need(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = [SPA]

    response = api_client.get("/products/", HTTP_ORIGIN=SPA)

    assert response.status_code == 200
    exposed = {name.strip().lower() for name in response["Access-Control-Expose-Headers"].split(",")}
    assert {"x-request-id", "retry-after", "etag", "last-modified"} <= exposed
    assert response["X-Request-ID"]
