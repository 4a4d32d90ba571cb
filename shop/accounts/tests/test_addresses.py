import pytest
from rest_framework.test import APIClient

from shop.accounts.models import Address
from shop.accounts.tests.factories import AddressFactory, UserFactory
from tests.concurrency import run_concurrently

pytestmark = pytest.mark.django_db

VALID = {"full_name": "John Doe", "phone": "0712345678", "email": "john@example.com", "address_line_1": "Street 1",
         "city": "Nairobi", "country": "ke"}


@pytest.mark.parametrize("country", ["ke", "KE", "KEN", "Kenya", "kenya"])
def test_create_first_address_becomes_default_and_country_is_stored_as_its_code(user, user_client, country):
    response = user_client.post("/auth/addresses/", {**VALID, "country": country})

    assert response.status_code == 201
    body = response.json()
    assert body["is_default"] is True
    assert (body["country"], body["country_name"]) == ("KE", "Kenya")
    assert Address.objects.get().country == "KE"
    assert {k: body[k] for k in ("full_name", "address_line_1", "city", "address_line_2", "state")} == {
        "full_name": "John Doe", "address_line_1": "Street 1", "city": "Nairobi", "address_line_2": "", "state": ""}
    assert Address.objects.get().user == user


@pytest.mark.parametrize(("country", "code", "name"), [
    ("United States", "US", "United States of America"),
    ("united states of america", "US", "United States of America"),
    ("USA", "US", "United States of America"),
    ("UK", "GB", "United Kingdom"),
    ("Ivory Coast", "CI", "Côte d'Ivoire"),
    ("cote d'ivoire", "CI", "Côte d'Ivoire"),
    ("Korea, Republic of", "KR", "South Korea"),
    ("South Korea", "KR", "South Korea"),
    ("Republic of Korea", "KR", "South Korea"),
    ("Congo, The Democratic Republic of the", "CD", "Democratic Republic of the Congo"),
    ("Tanzania, United Republic of", "TZ", "Tanzania"),
    ("Czech Republic", "CZ", "Czechia"),
    ("The Netherlands", "NL", "Netherlands"),
    ("British Virgin Islands", "VG", "Virgin Islands (British)"),
])
def test_common_and_official_country_names_are_accepted_in_any_case(user_client, country, code, name):
    response = user_client.post("/auth/addresses/", {**VALID, "country": country})

    assert response.status_code == 201, response.json()
    assert (response.json()["country"], response.json()["country_name"]) == (code, name)
    assert Address.objects.get().country == code


def test_a_new_default_replaces_the_old_one(user, user_client):
    first = user_client.post("/auth/addresses/", VALID).json()
    second = user_client.post("/auth/addresses/", {**VALID, "city": "Mombasa", "is_default": True}).json()
    third = user_client.post("/auth/addresses/", {**VALID, "city": "Kisumu"}).json()

    defaults = dict(Address.objects.values_list("id", "is_default"))
    assert defaults == {first["id"]: False, second["id"]: True, third["id"]: False}


@pytest.mark.parametrize(("field", "value"), [("country", "Narnia"), ("country", "ZZ"), ("country", ""),
                                              ("full_name", ""),
                                              ("address_line_1", ""), ("city", ""), ("email", "not-an-email"),
                                              ("full_name", "x" * 151)])
def test_invalid_addresses_are_400(user_client, field, value):
    response = user_client.post("/auth/addresses/", {**VALID, field: value})

    assert response.status_code == 400
    assert field in response.json()["errors"]
    if field == "country" and value:
        assert response.json()["errors"]["country"] == [
            f"'{value}' is not a country: send an ISO 3166-1 code such as KE or an English name such as Kenya."]
    assert not Address.objects.exists()


def test_list_shows_only_my_addresses(user, other_user, user_client):
    mine = AddressFactory(user=user)
    AddressFactory(user=other_user)

    response = user_client.get("/auth/addresses/")

    assert response.status_code == 200
    assert [a["id"] for a in response.json()["results"]] == [mine.id]


def test_update_and_delete_my_address(user, user_client):
    address = AddressFactory(user=user, city="Nairobi")

    response = user_client.patch(f"/auth/addresses/{address.id}/", {"city": "Mombasa"})
    assert response.status_code == 200
    assert response.json()["city"] == "Mombasa"
    response = user_client.put(f"/auth/addresses/{address.id}/", {**VALID, "city": "Kisumu"})
    assert response.status_code == 200
    assert response.json()["city"] == "Kisumu"
    assert user_client.get(f"/auth/addresses/{address.id}/").json()["city"] == "Kisumu"
    assert user_client.delete(f"/auth/addresses/{address.id}/").status_code == 204
    assert not Address.objects.exists()


def test_deleting_the_default_promotes_another(user, user_client):
    older = AddressFactory(user=user)
    default = AddressFactory(user=user, is_default=True)

    user_client.delete(f"/auth/addresses/{default.id}/")

    older.refresh_from_db()
    assert older.is_default is True


def test_other_users_addresses_are_not_found(other_user, user_client, api_client):
    theirs = AddressFactory(user=other_user, city="Nairobi")

    for method, data in [("get", None), ("patch", {"city": "X"}), ("put", VALID), ("delete", None)]:
        response = getattr(user_client, method)(f"/auth/addresses/{theirs.id}/", data, format="json")
        assert response.status_code == 404, method
        assert response.json()["code"] == "not_found"
        assert getattr(api_client, method)(f"/auth/addresses/{theirs.id}/", data, format="json").status_code == 401
    theirs.refresh_from_db()
    assert theirs.city == "Nairobi"


def test_addresses_need_authentication(api_client):
    assert api_client.get("/auth/addresses/").status_code == 401
    assert api_client.post("/auth/addresses/", VALID).status_code == 401


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_addresses_leave_exactly_one_default():
    user = UserFactory()

    statuses = run_concurrently(*[
        lambda i=i: _client(user).post("/auth/addresses/", {**VALID, "city": f"C{i}"}).status_code for i in range(4)
    ])

    assert statuses == [201] * 4
    assert Address.objects.filter(user=user, is_default=True).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_default_switches_leave_exactly_one_default():
    user = UserFactory()
    AddressFactory(user=user, is_default=True)
    others = AddressFactory.create_batch(4, user=user)

    statuses = run_concurrently(*[lambda a=a: _client(user).patch(f"/auth/addresses/{a.id}/", {"is_default": True})
                              .status_code for a in others])

    assert statuses == [200] * 4
    assert Address.objects.filter(user=user, is_default=True).count() == 1


def test_the_default_address_stays_the_default_until_another_is_made_it(user, user_client):
    only = user_client.post("/auth/addresses/", VALID).json()

    alone = user_client.patch(f"/auth/addresses/{only['id']}/", {"is_default": False})
    second = user_client.post("/auth/addresses/", {**VALID, "city": "Mombasa"}).json()
    with_another = user_client.patch(f"/auth/addresses/{only['id']}/", {"is_default": False, "city": "Kisumu"})
    other_unflagged = user_client.patch(f"/auth/addresses/{second['id']}/", {"is_default": False})

    for refused in (alone, with_another):
        assert (refused.status_code, refused.json()["code"]) == (409, "address_default_required")
    assert other_unflagged.status_code == 200
    assert dict(Address.objects.values_list("id", "is_default")) == {only["id"]: True, second["id"]: False}
    assert Address.objects.get(pk=only["id"]).city != "Kisumu"  # a refused write changes nothing
