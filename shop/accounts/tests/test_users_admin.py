import pytest
from django.core.management import call_command
from django.test import Client

from shop.accounts.models import User

from .factories import UserFactory
from .helpers import assert_error

pytestmark = pytest.mark.django_db

NEW_USER = {"email": "Hired@Example.com", "first_name": "New", "last_name": "Hire",
            "password": "Correct-Horse-42", "password2": "Correct-Horse-42"}


# --- /auth/users/ -------------------------------------------------------------------------------------


def test_users_list_is_staff_only(api_client, user_client, staff_client):
    assert_error(api_client.get("/auth/users/"), 401, "not_authenticated")
    assert_error(user_client.get("/auth/users/"), 403, "permission_denied")
    assert_error(user_client.post("/auth/users/", NEW_USER, format="json"), 403, "permission_denied")
    assert_error(api_client.post("/auth/users/", NEW_USER, format="json"), 401, "not_authenticated")

    response = staff_client.get("/auth/users/")

    assert response.status_code == 200
    assert response.json()["count"] == 2  # user and staff_user
    assert {row["email"] for row in response.json()["results"]} == set(User.objects.values_list("email", flat=True))


def test_staff_creates_a_customer(staff_client):
    response = staff_client.post("/auth/users/", NEW_USER, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["email"] == "hired@example.com" and response.json()["is_staff"] is False
    assert User.objects.get(email="hired@example.com").check_password("Correct-Horse-42")
    assert_error(staff_client.post("/auth/users/", NEW_USER, format="json"), 400, "email_taken")


def test_only_a_superuser_can_create_staff(staff_client, api_client):
    created = staff_client.post("/auth/users/", {**NEW_USER, "is_staff": True}, format="json")
    assert created.status_code == 201 and created.json()["is_staff"] is True
    assert User.objects.get(email="hired@example.com").is_staff


def test_staff_who_is_not_a_superuser_asking_for_staff_is_a_403_naming_is_staff_that_creates_nothing(api_client):
    """Found by a tester: it answered 201 with ``"is_staff": false``, a staff write dropping a field it was sent
    (docs/SECURITY.md, API3)."""
    api_client.force_authenticate(UserFactory(is_staff=True, is_superuser=False))
    body = {"email": "clerk2@example.com", "first_name": "C", "last_name": "K", "password": "Sturdy-Passw0rd!",
            "password2": "Sturdy-Passw0rd!", "is_staff": True}

    response = api_client.post("/auth/users/", body, format="json")

    message = "Only a superuser can make an account staff; nothing was created."
    assert response.status_code == 403, response.content
    assert response.json() == {"detail": message, "code": "permission_denied", "errors": {"is_staff": [message]}}
    assert not User.objects.filter(email="clerk2@example.com").exists()
    # What such staff may do: a customer's account, is_staff false or left out.
    customer = {name: value for name, value in body.items() if name != "is_staff"}
    for email, extra in (("clerk3@example.com", {"is_staff": False}), ("clerk4@example.com", {})):
        made = api_client.post("/auth/users/", {**customer, "email": email, **extra}, format="json")
        assert made.status_code == 201 and made.json()["is_staff"] is False, made.content


@pytest.mark.parametrize("field", ["is_superuser", "groups", "user_permissions"])
@pytest.mark.parametrize("superuser", [True, False])
def test_the_other_privilege_fields_are_a_400_naming_them_for_every_staff_user(api_client, field, superuser):
    api_client.force_authenticate(UserFactory(is_staff=True, is_superuser=superuser))
    value = True if field == "is_superuser" else [1]

    response = api_client.post("/auth/users/", {**NEW_USER, field: value}, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {
        field: ["Not set through the API: a superuser gives it in the admin (/admin/accounts/user/)."]}
    assert not User.objects.filter(email="hired@example.com").exists()


# --- Django admin -------------------------------------------------------------------------------------


@pytest.fixture
def admin_client_for(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


def test_admin_user_pages(admin_client_for, user):
    changelist = admin_client_for.get("/admin/accounts/user/")
    assert changelist.status_code == 200
    assert user.email in changelist.content.decode()
    assert admin_client_for.get("/admin/accounts/user/?q=" + user.email).status_code == 200
    assert admin_client_for.get(f"/admin/accounts/user/{user.pk}/change/").status_code == 200
    assert admin_client_for.get("/admin/accounts/user/add/").status_code == 200
    assert admin_client_for.get("/admin/accounts/address/").status_code == 200


def test_admin_creates_a_user_with_email_login(admin_client_for):
    response = admin_client_for.post("/admin/accounts/user/add/", {
        "email": "Via.Admin@Example.com", "password1": "Correct-Horse-42", "password2": "Correct-Horse-42",
    })

    assert response.status_code == 302, response.content.decode()[:2000]
    created = User.objects.get(email__iexact="via.admin@example.com")
    assert created.check_password("Correct-Horse-42")


def test_admin_is_closed_to_customers(user):
    client = Client()
    client.force_login(user)

    response = client.get("/admin/accounts/user/")

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- manage.py ensure_superuser -------------------------------------------------------------------------


def run_ensure_superuser(capsys) -> str:
    call_command("ensure_superuser")
    return capsys.readouterr().out


def test_ensure_superuser_creates_then_is_idempotent(monkeypatch, capsys):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Admin@Example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Admin-Pass-123")

    assert "Superuser admin@example.com created." in run_ensure_superuser(capsys)
    assert "already up to date" in run_ensure_superuser(capsys)

    admin = User.objects.get()
    assert admin.email == "admin@example.com"
    assert (admin.is_staff, admin.is_superuser, admin.is_active) == (True, True, True)
    assert admin.check_password("Admin-Pass-123")


def test_ensure_superuser_repairs_flags_and_password(monkeypatch, capsys):
    broken = UserFactory(email="admin@example.com", is_staff=False, is_active=False)
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "ADMIN@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Admin-Pass-123")

    assert "updated" in run_ensure_superuser(capsys)

    broken.refresh_from_db()
    assert (broken.is_staff, broken.is_superuser, broken.is_active) == (True, True, True)
    assert broken.check_password("Admin-Pass-123")
    assert User.objects.count() == 1


def test_ensure_superuser_without_env_is_a_no_op(monkeypatch, capsys):
    monkeypatch.delenv("DJANGO_SUPERUSER_EMAIL", raising=False)
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)

    assert "not set" in run_ensure_superuser(capsys)
    assert not User.objects.exists()
