from decimal import Decimal

import pytest

from shop.catalog.models import Category, Product

from .factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

LIST = "/products/categories/"


def detail(slug):
    return f"/products/categories/{slug}/"


def test_list_is_public_and_paginated(api_client):
    CategoryFactory(name="Books", slug="books")
    CategoryFactory(name="Audio", slug="audio")

    response = api_client.get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["next"] is None and body["previous"] is None
    assert [(c["name"], c["slug"]) for c in body["results"]] == [("Audio", "audio"), ("Books", "books")]
    assert set(body["results"][0]) == {"id", "name", "slug", "description"}


def test_detail_lists_only_active_products(api_client, category):
    shown = ProductFactory(category=category, name="Amp", slug="amp", price=Decimal("10.00"))
    ProductFactory(category=category, slug="inactive", is_active=False)
    ProductFactory(category=category, slug="deleted", is_deleted=True)

    response = api_client.get(detail(category.slug))

    assert response.status_code == 200
    assert response.json() == {
        "id": category.id, "name": "Electronics", "slug": "electronics", "description": "",
        "products": [{"id": shown.id, "name": "Amp", "slug": "amp", "price": "10.00", "sale_price": None}],
    }


def test_detail_of_unknown_category_is_404(api_client):
    response = api_client.get(detail("nope"))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("client_fixture", ["staff_client", "manager_client"])
def test_admin_and_catalog_manager_create(request, client_fixture):
    client = request.getfixturevalue(client_fixture)

    response = client.post(LIST, {"name": "Garden", "slug": "garden"}, format="json")

    assert response.status_code == 201
    assert response.json() == {"id": Category.objects.get(slug="garden").id, "name": "Garden", "slug": "garden",
                               "description": ""}


@pytest.mark.parametrize(("client_fixture", "expected"), [("api_client", 401), ("user_client", 403),
                                                          ("staff_without_perms_client", 403)])
def test_writes_need_permissions(request, category, client_fixture, expected):
    client = request.getfixturevalue(client_fixture)

    assert client.post(LIST, {"name": "G", "slug": "g"}, format="json").status_code == expected
    assert client.patch(detail(category.slug), {"name": "X"}, format="json").status_code == expected
    assert client.delete(detail(category.slug)).status_code == expected
    assert Category.objects.filter(slug="electronics", name="Electronics").exists()
    assert not Category.objects.filter(slug="g").exists()


def test_create_validation(staff_client, category):
    duplicate = staff_client.post(LIST, {"name": "Again", "slug": category.slug}, format="json")
    bad_slug = staff_client.post(LIST, {"name": "Bad", "slug": "has space"}, format="json")
    missing = staff_client.post(LIST, {}, format="json")

    assert duplicate.status_code == 400 and "slug" in duplicate.json()["errors"]
    assert bad_slug.status_code == 400 and "slug" in bad_slug.json()["errors"]
    assert missing.status_code == 400 and set(missing.json()["errors"]) == {"name", "slug"}


def test_put_and_patch(staff_client, category):
    put = staff_client.put(detail(category.slug), {"name": "Gadgets", "slug": "gadgets"}, format="json")
    assert put.status_code == 200
    assert put.json()["slug"] == "gadgets"

    patch = staff_client.patch(detail("gadgets"), {"description": "Small machines."}, format="json")
    assert patch.status_code == 200
    assert patch.json() == {"id": category.id, "name": "Gadgets", "slug": "gadgets", "description": "Small machines."}

    incomplete_put = staff_client.put(detail("gadgets"), {"name": "Only"}, format="json")
    assert incomplete_put.status_code == 400 and "slug" in incomplete_put.json()["errors"]


def test_delete_with_live_products_is_refused_naming_them(staff_client, category):
    ProductFactory(category=category, name="Amp")
    ProductFactory(category=category, name="Tuner", is_active=False)  # inactive is still live

    response = staff_client.delete(detail(category.slug))

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "category_not_empty"
    assert body["products"] == ["Amp", "Tuner"]
    assert "Amp" in body["detail"] and "Tuner" in body["detail"]
    assert Category.objects.filter(pk=category.pk).exists()
    assert Product.objects.filter(category=category).count() == 2


def test_delete_after_products_are_soft_deleted_keeps_the_product_rows(staff_client, category, product):
    assert staff_client.delete(f"/products/{product.slug}/").status_code == 204

    response = staff_client.delete(detail(category.slug))

    assert response.status_code == 204
    assert not Category.objects.filter(pk=category.pk).exists()
    product.refresh_from_db()  # past orders still point at it
    assert product.is_deleted is True
    assert product.category_id is None
    assert product.name == "Wireless Headphones"


def test_delete_after_products_moved(staff_client, category, product):
    other = CategoryFactory()
    staff_client.patch(f"/products/{product.slug}/", {"category_id": other.id}, format="json")

    assert staff_client.delete(detail(category.slug)).status_code == 204
    product.refresh_from_db()
    assert product.category_id == other.id


def test_manager_deletes_empty_category(manager_client):
    CategoryFactory(slug="empty")

    assert manager_client.delete(detail("empty")).status_code == 204
    assert manager_client.get(detail("empty")).status_code == 404
