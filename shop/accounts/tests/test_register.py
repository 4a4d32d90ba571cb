import pytest
from django.contrib.auth.hashers import check_password
from django.db import IntegrityError, transaction

from shop.accounts.models import User

from .factories import UserFactory
from .helpers import assert_error, bearer

pytestmark = pytest.mark.django_db

PAYLOAD = {
    "email": "Jane.Doe@Example.COM",
    "first_name": "Jane",
    "last_name": "Doe",
    "password": "Correct-Horse-42",
    "password2": "Correct-Horse-42",
}


def test_register_returns_user_and_working_tokens(api_client):
    response = api_client.post("/auth/register/", PAYLOAD, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    user = User.objects.get()
    assert body["user"] == {
        "id": user.pk,
        "email": "jane.doe@example.com",
        "first_name": "Jane",
        "last_name": "Doe",
        "is_active": True,
        "is_staff": False,
        "is_email_verified": False,
        "date_joined": body["user"]["date_joined"],
    }
    assert set(body["tokens"]) == {"access", "refresh"}
    assert user.email == "jane.doe@example.com"
    assert user.password != PAYLOAD["password"] and check_password(PAYLOAD["password"], user.password)
    me = bearer(body["tokens"]["access"]).get("/auth/me/")
    assert me.status_code == 200 and me.json()["email"] == "jane.doe@example.com"


def test_register_under_api_v1_alias_and_prefix(api_client):
    assert api_client.post("/api/v1/register/", PAYLOAD, format="json").status_code == 201
    second = {**PAYLOAD, "email": "second@example.com"}
    assert api_client.post("/api/v1/auth/register/", second, format="json").status_code == 201
    assert User.objects.count() == 2


def test_email_is_unique_whatever_its_case(api_client):
    UserFactory(email="jane.doe@example.com")

    response = api_client.post("/auth/register/", {**PAYLOAD, "email": "JANE.DOE@example.com"}, format="json")

    body = assert_error(response, 400, "email_taken")
    assert body["errors"] == {"email": ["A user with this email already exists."]}
    assert User.objects.count() == 1


def test_passwords_must_match(api_client):
    response = api_client.post("/auth/register/", {**PAYLOAD, "password2": "Something-else-42"}, format="json")

    body = assert_error(response, 400, "invalid")
    assert body["errors"] == {"password2": ["Passwords do not match."]}
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab1!", "This password is too short"),
        ("password123", "This password is too common."),
        ("84729561038", "This password is entirely numeric."),
        ("jane.doe.example", "The password is too similar to the email."),
    ],
)
def test_django_password_validators_apply_and_name_the_field(api_client, password, message):
    response = api_client.post("/auth/register/", {**PAYLOAD, "password": password, "password2": password},
                               format="json")

    body = assert_error(response, 400, "invalid")
    assert any(text.startswith(message) for text in body["errors"]["password"]), body
    assert body["detail"].startswith("password: ")
    assert not User.objects.exists()


def test_missing_fields_are_each_reported(api_client):
    response = api_client.post("/auth/register/", {}, format="json")

    body = assert_error(response, 400, "invalid")
    assert set(body["errors"]) == {"email", "first_name", "last_name", "password", "password2"}
    assert body["errors"]["email"] == ["This field is required."]


@pytest.mark.parametrize(
    "overrides",
    [{"email": "not-an-email"}, {"email": 12345}, {"email": ["a@b.com"]}, {"first_name": {"x": 1}},
     {"password": None}],
)
def test_wrong_types_are_400_not_500(api_client, overrides):
    response = api_client.post("/auth/register/", {**PAYLOAD, **overrides}, format="json")

    body = assert_error(response, 400, "invalid")
    assert set(body["errors"]) <= set(PAYLOAD)


def test_privilege_fields_in_the_body_are_ignored(api_client):
    response = api_client.post("/auth/register/", {**PAYLOAD, "is_staff": True, "is_superuser": True,
                                                   "is_active": False}, format="json")

    assert response.status_code == 201
    user = User.objects.get()
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)
    assert response.json()["user"]["is_staff"] is False


def test_user_model_has_email_login_and_no_username():
    user = User.objects.create_user(email="  Someone@EXAMPLE.org ", password="x-Secret-123",
                                    first_name="Some", last_name="One")

    assert User.USERNAME_FIELD == "email"
    assert not hasattr(user, "username")
    assert user.email == "someone@example.org"
    assert (user.is_active, user.is_staff, user.is_superuser) == (True, False, False)
    assert user.date_joined is not None and user.full_name == "Some One"
    admin = User.objects.create_superuser(email="boss@example.org", password="x-Secret-123")
    assert admin.is_staff and admin.is_superuser


def test_database_refuses_case_variant_duplicates():
    UserFactory(email="dup@example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        User(email="DUP@example.com").save()  # bypasses the manager's lower-casing on purpose
