import base64
import json
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from .helpers import assert_error, bearer, tokens_for_login

pytestmark = pytest.mark.django_db


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def payload_of(token: str) -> dict:
    segment = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def assert_rejected(token: str, cookie: bool = False):
    if cookie:
        client = APIClient()
        client.cookies[settings.JWT_COOKIE_ACCESS] = token
    else:
        client = bearer(token)
    response = client.get("/auth/me/")
    body = assert_error(response, 401, "token_not_valid")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    return body


def test_a_valid_token_works(user):
    assert bearer(str(AccessToken.for_user(user))).get("/auth/me/").status_code == 200


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "token", "TOKEN", "Token"])
def test_the_auth_scheme_is_case_insensitive(user, scheme):
    """RFC 7235: auth schemes are case-insensitive (clients send `bearer <jwt>`, `token <jwt>`)."""
    response = bearer(str(AccessToken.for_user(user)), scheme=scheme).get("/auth/me/")

    assert response.status_code == 200, response.json()
    assert response.json()["email"] == user.email


@pytest.mark.parametrize("header", ["basic abc", "bearerx abc"])
def test_other_schemes_are_still_not_ours(user, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/auth/me/")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("cookie", [False, True])
def test_expired_access_token(user, cookie):
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(seconds=-1))

    assert_rejected(str(token), cookie)


@pytest.mark.parametrize("cookie", [False, True])
def test_tampered_token(user, other_user, cookie):
    header, payload, signature = str(AccessToken.for_user(user)).split(".")
    claims = {**payload_of(f"{header}.{payload}.x"), "user_id": str(other_user.pk)}

    assert_rejected(f"{header}.{b64(claims)}.{signature}", cookie)


def test_token_signed_with_another_key(user):
    claims = payload_of(str(AccessToken.for_user(user)))
    forged = jwt.encode(claims, "some-other-key-that-is-long-enough-for-hs256", algorithm="HS256")

    assert_rejected(forged)


def test_alg_none_token(user):
    claims = payload_of(str(AccessToken.for_user(user)))
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."

    assert_rejected(unsigned)


def test_refresh_token_is_not_an_access_token(user):
    assert_rejected(str(RefreshToken.for_user(user)))


def test_blacklisted_refresh_token(api_client, user):
    tokens = tokens_for_login(api_client, user)
    RefreshToken(tokens["refresh"]).blacklist()

    body = assert_error(api_client.post("/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"), 401,
                        "token_not_valid")
    assert body["detail"] == "Token is invalid, expired or already used."


def test_expired_refresh_token(api_client, user):
    token = RefreshToken.for_user(user)
    token.set_exp(lifetime=timedelta(seconds=-1))

    assert_error(api_client.post("/auth/token/refresh/", {"refresh": str(token)}, format="json"), 401,
                 "token_not_valid")


@pytest.mark.parametrize("cookie", [False, True])
def test_a_disabled_users_valid_access_token(user, cookie):
    token = str(AccessToken.for_user(user))
    user.is_active = False
    user.save()

    client = bearer(token)
    if cookie:
        client = APIClient()
        client.cookies[settings.JWT_COOKIE_ACCESS] = token
    body = assert_error(client.get("/auth/me/"), 401, "user_inactive")
    assert body["detail"] == "User is inactive"


def test_a_deleted_users_access_token(user):
    token = str(AccessToken.for_user(user))
    user.delete()

    assert_error(bearer(token).get("/auth/me/"), 401, "user_not_found")


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer ", "Token abc"])
def test_malformed_authorization_headers(user, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/auth/me/")

    assert response.status_code == 401
    assert isinstance(response.json()["detail"], str)


def test_access_lifetime_is_five_minutes_and_refresh_seven_days(user):
    access, refresh = AccessToken.for_user(user), RefreshToken.for_user(user)

    assert access["exp"] - access["iat"] == 5 * 60
    assert refresh["exp"] - refresh["iat"] == 7 * 24 * 3600
    assert jwt.get_unverified_header(str(access))["alg"] == "HS256"
