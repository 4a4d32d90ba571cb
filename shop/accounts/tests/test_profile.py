import pytest

from .factories import DEFAULT_PASSWORD, UserFactory
from .helpers import assert_error

pytestmark = pytest.mark.django_db


def test_me_returns_the_profile(user_client, user):
    response = user_client.get("/auth/me/")

    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": True,
        "is_staff": False,
        "is_email_verified": False,
        "date_joined": response.json()["date_joined"],
    }


@pytest.mark.parametrize("url", ["/auth/me/", "/api/v1/profile/"])
def test_profile_needs_authentication(api_client, url):
    body = assert_error(api_client.get(url), 401, "not_authenticated")

    assert body["detail"] == "Authentication credentials were not provided."


def test_patch_updates_names(user_client, user):
    response = user_client.patch("/auth/me/", {"first_name": "Ada", "last_name": "Lovelace"}, format="json")

    assert response.status_code == 200
    assert (response.json()["first_name"], response.json()["last_name"]) == ("Ada", "Lovelace")
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Ada", "Lovelace")


def test_patch_email_is_normalised(user_client, user):
    response = user_client.patch("/auth/me/", {"email": "New.Address@Example.COM",
                                               "current_password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 200 and response.json()["email"] == "new.address@example.com"
    user.refresh_from_db()
    assert user.email == "new.address@example.com"


def test_patch_email_to_someone_elses_is_refused(user_client, user):
    UserFactory(email="taken@example.com")

    body = assert_error(user_client.patch("/auth/me/", {"email": "TAKEN@example.com",
                                                        "current_password": DEFAULT_PASSWORD}, format="json"),
                        400, "email_taken")

    assert body["errors"] == {"email": ["A user with this email already exists."]}
    user.refresh_from_db()
    assert user.email != "taken@example.com"


def test_patch_own_email_in_another_case_is_fine(user_client, user):
    response = user_client.patch("/auth/me/", {"email": user.email.upper()}, format="json")

    assert response.status_code == 200 and response.json()["email"] == user.email


def test_privilege_fields_can_never_be_set(user_client, user):
    original = (user.pk, user.date_joined)

    response = user_client.patch("/auth/me/", {"is_staff": True, "is_superuser": True, "is_active": False,
                                               "id": 999, "date_joined": "2000-01-01T00:00:00Z",
                                               "password": "x"}, format="json")

    assert response.status_code == 200
    assert response.json()["is_staff"] is False and response.json()["is_active"] is True
    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)
    assert (user.pk, user.date_joined) == original
    assert user.check_password("Sturdy-Passw0rd!")


def test_put_on_seed_001_profile(user_client, user):
    response = user_client.put("/api/v1/profile/", {"first_name": "Grace", "last_name": "Hopper",
                                                    "is_staff": True}, format="json")

    assert response.status_code == 200
    assert response.json()["first_name"] == "Grace" and response.json()["is_staff"] is False
    assert user_client.get("/api/v1/profile/").json()["last_name"] == "Hopper"


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"email": "nope"}, "email"), ({"first_name": "x" * 151}, "first_name"), ({"email": None}, "email")],
)
def test_patch_validation_errors(user_client, payload, field):
    body = assert_error(user_client.patch("/auth/me/", payload, format="json"), 400, "invalid")

    assert list(body["errors"]) == [field]


def test_patch_with_a_json_list_or_broken_json_is_400(user_client):
    assert_error(user_client.patch("/auth/me/", [1, 2], format="json"), 400, "invalid")
    assert_error(user_client.patch("/auth/me/", "{bad json", content_type="application/json"), 400, "parse_error")


def test_me_rejects_other_methods(user_client):
    assert_error(user_client.delete("/auth/me/"), 405, "method_not_allowed")
