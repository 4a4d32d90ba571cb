"""Staff API for tax classes and rates: staff only, strict input, one error shape, nothing changed on refusal."""

from decimal import Decimal

import pytest

from shop.pricing.models import TaxClass, TaxRate

pytestmark = pytest.mark.django_db


def _standard() -> TaxClass:
    return TaxClass.objects.get(code="standard")


def test_seeded_classes_with_standard_the_default(staff_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = staff_client.get("/pricing/tax-classes/")
    assert response.status_code == 200
    assert [(c["code"], c["is_default"]) for c in response.json()] == [
        ("exempt", False), ("reduced", False), ("standard", True), ("zero", False)]


@pytest.mark.parametrize("path", ["/pricing/tax-classes/", "/pricing/tax-rates/"])
def test_customers_get_403_and_anonymous_401(user_client, api_client, path):
    response = user_client.get(path)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert user_client.post(path, {"code": "x", "name": "X"}, format="json").status_code == 403
    assert api_client.get(path).status_code == 401
    assert TaxClass.objects.count() == 4


def test_create_class_and_move_the_default(staff_client):
    response = staff_client.post("/pricing/tax-classes/", {"code": "books", "name": "Books", "is_default": True},
                                 format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["code"], body["name"], body["is_default"]) == ("books", "Books", True)
    assert list(TaxClass.objects.filter(is_default=True).values_list("code", flat=True)) == ["books"]


def test_class_refusals(staff_client):
    duplicate = staff_client.post("/pricing/tax-classes/", {"code": "standard", "name": "Again"}, format="json")
    assert duplicate.status_code == 400
    assert duplicate.json()["code"] == "invalid"
    assert "code" in duplicate.json()["errors"]
    unknown = staff_client.post("/pricing/tax-classes/", {"code": "x", "name": "X", "rate": 5}, format="json")
    assert unknown.status_code == 400
    assert unknown.json()["errors"] == {"rate": ["This field cannot be set here."]}
    default = _standard()
    undefault = staff_client.patch(f"/pricing/tax-classes/{default.pk}/", {"is_default": False}, format="json")
    assert undefault.status_code == 409
    assert undefault.json()["code"] == "tax_class_default_required"
    delete = staff_client.delete(f"/pricing/tax-classes/{default.pk}/")
    assert delete.status_code == 409
    assert delete.json()["code"] == "tax_class_is_default"
    missing = staff_client.get("/pricing/tax-classes/999999/")
    assert (missing.status_code, missing.json()["code"]) == (404, "tax_class_not_found")
    assert TaxClass.objects.count() == 4 and _standard().is_default


def test_rate_create_update_list_delete(staff_client, django_assert_max_num_queries):
    response = staff_client.post("/pricing/tax-rates/",
                                 {"tax_class": "standard", "country": "Germany", "rate": "19"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["tax_class"], body["country"], body["region"], body["rate"]) == ("standard", "DE", "", "19")
    staff_client.post("/pricing/tax-rates/", {"tax_class": "standard", "country": "ES", "rate": "21"}, format="json")
    canary = staff_client.post("/pricing/tax-rates/",
                               {"tax_class": "standard", "country": "ES", "region": "es-cn", "rate": "7"},
                               format="json")
    assert (canary.status_code, canary.json()["region"]) == (201, "ES-CN")
    patched = staff_client.patch(f"/pricing/tax-rates/{body['id']}/", {"rate": "16"}, format="json")
    assert (patched.status_code, patched.json()["rate"]) == (200, "16")
    with django_assert_max_num_queries(4):
        listed = staff_client.get("/pricing/tax-rates/?country=ES")
    assert listed.status_code == 200
    assert [(r["region"], r["rate"]) for r in listed.json()["results"]] == [("", "21"), ("ES-CN", "7")]
    assert staff_client.delete(f"/pricing/tax-rates/{body['id']}/").status_code == 204
    assert not TaxRate.objects.filter(country="DE").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"tax_class": "standard", "country": "Atlantis", "rate": "19"}, "country"),
        ({"tax_class": "nope", "country": "DE", "rate": "19"}, "tax_class"),
        ({"tax_class": "standard", "country": "DE", "rate": "101"}, "rate"),
        ({"tax_class": "standard", "country": "DE", "rate": "-1"}, "rate"),
        ({"tax_class": "standard", "country": "DE", "rate": "19", "region": "Bavaria"}, "region"),
        ({"tax_class": "standard", "country": "DE", "rate": "19", "region": "ES-CN"}, "region"),
        ({"tax_class": "standard", "country": "DE", "rate": "19", "rounding": "line"}, "rounding"),
    ],
)
def test_rate_refusals_name_the_field(staff_client, payload, field):
    response = staff_client.post("/pricing/tax-rates/", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["errors"], body
    assert not TaxRate.objects.exists()


def test_second_rate_for_the_same_class_and_place_is_refused(staff_client):
    TaxRate.objects.create(tax_class=_standard(), country="DE", rate=Decimal(19))
    response = staff_client.post("/pricing/tax-rates/", {"tax_class": "standard", "country": "DE", "rate": "7"},
                                 format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(TaxRate.objects.values_list("rate", flat=True)) == [Decimal("19.0000")]


def test_the_testers_second_rate_names_the_fields_it_repeats_never_all(staff_client):
    """Found by a tester: the unique-together refusal came under ``errors.__all__``, a key no client expects (every
    other error names its field, or ``non_field_errors``)."""
    body = {"tax_class": "standard", "country": "US", "rate": "8.875"}
    assert staff_client.post("/pricing/tax-rates/", body, format="json").status_code == 201

    response = staff_client.post("/pricing/tax-rates/", body, format="json")

    assert response.status_code == 400
    message = "Tax rate with this Tax class, Country and Region already exists."
    assert response.json() == {"detail": f"tax_class: {message}", "code": "invalid",
                               "errors": {"tax_class": [message], "country": [message], "region": [message]}}
    assert TaxRate.objects.count() == 1


def test_list_filter_refuses_an_unknown_country(staff_client):
    response = staff_client.get("/pricing/tax-rates/?country=Atlantis")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["detail"] == ("country: 'Atlantis' is not a country: send an ISO 3166-1 code such as DE "
                                        "or an English name.")


def test_list_filter_refuses_a_malformed_class_code(staff_client):
    response = staff_client.get("/pricing/tax-rates/", {"tax_class": "st\x00andard"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"tax_class": ["Send a tax class code such as standard (letters, digits, - "
                                                       "and _)."]}


def test_list_filter_refuses_a_class_code_no_class_has_and_lists_the_codes(staff_client):
    """Found by a tester: ``?tax_class=nope`` answered an empty list, where an unknown country is a 400."""
    from shop.pricing.models import TaxClass

    codes = ", ".join(TaxClass.objects.order_by("code").values_list("code", flat=True))
    refused = staff_client.get("/pricing/tax-rates/?tax_class=nope")
    known = staff_client.get("/pricing/tax-rates/?tax_class=STANDARD")

    assert refused.status_code == 400
    assert refused.json()["errors"] == {"tax_class": [f"No tax class has the code 'nope'; the codes are: {codes}."]}
    assert known.status_code == 200
