import pytest
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from .helpers import assert_error, bearer, tokens_for_login

pytestmark = pytest.mark.django_db


def refresh(client, token, url="/auth/token/refresh/"):
    return client.post(url, {"refresh": token}, format="json")


def test_refresh_rotates_and_the_old_token_is_dead(api_client, user):
    tokens = tokens_for_login(api_client, user)

    response = refresh(api_client, tokens["refresh"])

    assert response.status_code == 200, response.content
    new = response.json()
    assert set(new) == {"access", "refresh"}
    assert new["refresh"] != tokens["refresh"] and new["access"] != tokens["access"]
    assert bearer(new["access"]).get("/auth/me/").status_code == 200
    body = assert_error(refresh(api_client, tokens["refresh"]), 401, "token_not_valid")
    assert body["detail"] == "Token is invalid, expired or already used."
    # The rotated token is itself outstanding (so change-password can revoke it) and still usable once.
    assert OutstandingToken.objects.filter(user=user).count() == 2
    assert refresh(api_client, new["refresh"]).status_code == 200
    assert BlacklistedToken.objects.filter(token__user=user).count() == 2


@pytest.mark.parametrize("url", ["/api/v1/token/refresh/", "/api/v1/auth/token/refresh/"])
def test_refresh_under_v1(api_client, user, url):
    tokens = tokens_for_login(api_client, user)

    response = refresh(api_client, tokens["refresh"], url)

    assert response.status_code == 200 and set(response.json()) == {"access", "refresh"}


def test_refresh_refuses_garbage_and_access_tokens(api_client, user):
    tokens = tokens_for_login(api_client, user)

    assert_error(refresh(api_client, "not.a.token"), 401, "token_not_valid")
    assert_error(refresh(api_client, tokens["access"]), 401, "token_not_valid")  # wrong token type


def test_refresh_without_a_token_is_400(api_client):
    body = assert_error(api_client.post("/auth/token/refresh/", {}, format="json"), 400, "refresh_missing")

    assert body["errors"] == {"refresh": ["This field is required."]}


def test_refresh_for_a_disabled_user_is_401(api_client, user):
    tokens = tokens_for_login(api_client, user)
    user.is_active = False
    user.save()

    body = assert_error(refresh(api_client, tokens["refresh"]), 401, "no_active_account")

    assert body["detail"] == "No active account found for the given token."


def test_refresh_for_a_deleted_user_is_401_not_500(api_client, user):
    tokens = tokens_for_login(api_client, user)
    user.delete()

    assert_error(refresh(api_client, tokens["refresh"]), 401, "token_not_valid")
