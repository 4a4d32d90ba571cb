import pytest
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from .factories import DEFAULT_PASSWORD, UserFactory
from .helpers import assert_error, bearer, login, tokens_for_login

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("scheme", ["Bearer", "Token"])  # Token: clients of token-authenticated APIs
def test_login_returns_user_and_tokens_and_stamps_last_login(api_client, user, scheme):
    assert user.last_login is None

    response = login(api_client, user.email.upper())  # the email is matched whatever its case

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"]["id"] == user.pk and body["user"]["email"] == user.email
    assert set(body["user"]) == {"id", "email", "first_name", "last_name", "is_active", "is_staff", "is_email_verified",
                                 "date_joined"}
    assert set(body["tokens"]) == {"access", "refresh"}
    assert bearer(body["tokens"]["access"], scheme).get("/auth/me/").json()["id"] == user.pk
    user.refresh_from_db()
    assert user.last_login is not None


def test_wrong_password_and_unknown_email_get_the_same_401(api_client, user):
    wrong = assert_error(login(api_client, user.email, "Not-the-password-1"), 401, "invalid_credentials")
    unknown = assert_error(login(api_client, "nobody@example.com"), 401, "invalid_credentials")

    assert wrong == unknown == {"detail": "Invalid email or password.", "code": "invalid_credentials"}


def test_disabled_account_is_403_only_with_the_right_password(api_client):
    disabled = UserFactory(is_active=False)

    assert_error(login(api_client, disabled.email), 403, "account_disabled")
    assert_error(login(api_client, disabled.email, "Wrong-password-1"), 401, "invalid_credentials")


def test_login_validation_errors(api_client):
    body = assert_error(api_client.post("/auth/login/", {"email": "x"}, format="json"), 400, "invalid")

    assert body["errors"] == {"email": ["Enter a valid email address."], "password": ["This field is required."]}


def test_seed_001_token_endpoint_and_v1_prefix(api_client, user):
    response = api_client.post("/api/v1/token/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    assert_error(api_client.post("/api/v1/token/", {"email": user.email, "password": "nope-nope-1"},
                                 format="json"), 401, "invalid_credentials")
    assert login(api_client, user.email).status_code == 200
    v1 = api_client.post("/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    assert v1.status_code == 200 and v1.json()["user"]["id"] == user.pk


def test_logout_blacklists_the_refresh_token_and_deletes_cookies(api_client, user):
    tokens = tokens_for_login(api_client, user)
    client = bearer(tokens["access"])

    response = client.post("/auth/logout/", {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "detail": "Logged out successfully",
        "security_info": {
            "refresh_token": "blacklisted and cannot be reused",
            "access_token": "will expire naturally in ~5 minutes",
            "cookies": "deleted (if cookie-based auth was used)",
        },
    }
    for name in ("access_token", "refresh_token"):
        assert response.cookies[name].value == "" and response.cookies[name]["max-age"] == 0
    assert BlacklistedToken.objects.filter(token__user=user).count() == 1
    again = api_client.post("/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert_error(again, 401, "token_not_valid")
    # Logging out twice with the same token is refused too (it is already blacklisted).
    assert_error(client.post("/auth/logout/", {"refresh": tokens["refresh"]}, format="json"), 401)


def test_logout_needs_authentication(api_client, user):
    tokens = tokens_for_login(api_client, user)

    body = assert_error(api_client.post("/auth/logout/", {"refresh": tokens["refresh"]}, format="json"), 401)

    assert body["code"] == "not_authenticated"
    assert not BlacklistedToken.objects.exists()


def test_logout_without_a_refresh_token_is_400(api_client, user):
    tokens = tokens_for_login(api_client, user)

    body = assert_error(bearer(tokens["access"]).post("/auth/logout/", {}, format="json"), 400, "refresh_missing")

    assert body["errors"] == {"refresh": ["This field is required."]}


def test_logout_with_garbage_token_is_401(api_client, user):
    tokens = tokens_for_login(api_client, user)

    assert_error(bearer(tokens["access"]).post("/auth/logout/", {"refresh": "garbage"}, format="json"), 401,
                 "token_not_valid")


def test_logout_with_someone_elses_refresh_token_is_refused(api_client, user, other_user):
    mine = tokens_for_login(api_client, user)
    theirs = tokens_for_login(api_client, other_user)

    response = bearer(mine["access"]).post("/auth/logout/", {"refresh": theirs["refresh"]}, format="json")

    assert_error(response, 403, "token_mismatch")
    assert not BlacklistedToken.objects.exists()
    assert api_client.post("/auth/token/refresh/", {"refresh": theirs["refresh"]}, format="json").status_code == 200
