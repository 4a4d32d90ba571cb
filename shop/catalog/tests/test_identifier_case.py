"""Slugs and SKUs are unique ignoring case, so they are looked up ignoring case too: an identifier addresses the
one row its uniqueness protects, whichever case the client types (``HAT-5B375`` created, ``hat-5b375`` found)."""

import pytest
from django.db import IntegrityError, connection, transaction

from shop.catalog.models import Category, Product, ProductVariant
from shop.core.models import same_text

from .factories import CategoryFactory, ProductFactory, ProductImageFactory, ProductVariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hat(db):
    category = CategoryFactory(name="Hats", slug="Winter-Hats")
    return ProductFactory(category=category, name="Hat", slug="HAT-5B375", stock_quantity=3)


def test_the_example_a_product_created_in_capitals_is_found_in_lower_case(staff_client, api_client, category):
    created = staff_client.post("/products/", {"name": "Hat", "slug": "HAT-5B375", "description": "Warm.",
                                               "price": "12.00", "stock_quantity": 2, "category_id": category.id},
                                format="json")
    assert created.status_code == 201, created.content

    response = api_client.get("/products/hat-5b375/")

    assert response.status_code == 200, response.content
    assert (response.json()["id"], response.json()["slug"]) == (created.json()["id"], "HAT-5B375")


@pytest.mark.parametrize("typed", ["HAT-5B375", "hat-5b375", "Hat-5b375"])
def test_every_route_addressed_by_a_product_slug_ignores_case(staff_client, api_client, hat, typed, commit,
                                                              django_assert_max_num_queries):
    variant = ProductVariantFactory(product=hat, sku="HAT-M", stock_quantity=1)

    with django_assert_max_num_queries(5):  # the product with its images and variants, sale prices (2): none for case
        detail = api_client.get(f"/products/{typed}/")
    variants = api_client.get(f"/products/{typed}/variants/")
    patched = staff_client.patch(f"/products/{typed}/", {"name": "Warm hat"}, format="json")
    image = staff_client.post(f"/products/{typed}/images/", {"image_url": "https://img.example.com/h.jpg"},
                              format="json")
    added = staff_client.post(f"/products/{typed}/variants/", {"sku": "HAT-L", "name": "L"}, format="json")

    assert detail.status_code == 200 and detail.json()["id"] == hat.id
    assert variants.status_code == 200 and [row["id"] for row in variants.json()["results"]] == [variant.id]
    assert patched.status_code == 200 and (patched.json()["id"], patched.json()["name"]) == (hat.id, "Warm hat")
    assert image.status_code == 201 and image.json()["images"][0]["image_url"] == "https://img.example.com/h.jpg"
    assert added.status_code == 201 and sorted(v["sku"] for v in added.json()["variants"]) == ["HAT-L", "HAT-M"]
    with commit():  # the delete's cache invalidation runs
        assert staff_client.delete(f"/products/{typed}/").status_code == 204
    assert Product.objects.get(pk=hat.pk).is_deleted
    assert api_client.get(f"/products/{typed}/").status_code == 404  # deleted: gone in every case


@pytest.mark.parametrize("typed", ["Winter-Hats", "winter-hats", "WINTER-HATS"])
def test_category_routes_and_the_category_slug_filter_ignore_case(staff_client, api_client, hat, typed):
    ProductFactory(category=CategoryFactory(slug="caps"), slug="cap")

    detail = api_client.get(f"/products/categories/{typed}/")
    listed = api_client.get("/products/", {"category__slug": typed})
    patched = staff_client.patch(f"/products/categories/{typed}/", {"description": "Warm."}, format="json")

    assert detail.status_code == 200 and detail.json()["id"] == hat.category_id
    assert [row["slug"] for row in detail.json()["products"]] == ["HAT-5B375"]
    assert listed.status_code == 200 and [row["id"] for row in listed.json()["results"]] == [hat.id]
    assert patched.status_code == 200 and patched.json()["description"] == "Warm."
    hat.category.refresh_from_db()
    assert hat.category.description == "Warm."


def test_another_slug_is_still_a_404(api_client, hat):
    response = api_client.get("/products/hat-5b376/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No product matches the given query.", "code": "not_found"}


# --- SKUs ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sku", ["hat-m", "Hat-M", "HAT-M"])
def test_a_sku_in_another_case_is_taken_on_create_update_and_restore(staff_client, hat, sku):
    ProductVariantFactory(product=hat, sku="HAT-M")
    other = ProductVariantFactory(product=hat, sku="HAT-L")
    message = "A variant with the SKU 'HAT-M' already exists (SKUs ignore case)."

    created = staff_client.post(f"/products/{hat.slug}/variants/", {"sku": sku, "name": "M"}, format="json")
    renamed = staff_client.patch(f"/products/variants/{other.id}/", {"sku": sku}, format="json")

    for response in (created, renamed):
        assert response.status_code == 400, response.content
        assert response.json() == {"detail": f"sku: {message}", "code": "invalid", "errors": {"sku": [message]}}
    assert ProductVariant.objects.filter(product=hat).count() == 2
    other.refresh_from_db()
    assert other.sku == "HAT-L"


def test_restoring_a_variant_whose_sku_came_back_in_another_case_is_a_409(staff_client, hat):
    gone = ProductVariantFactory(product=hat, sku="hat-m")
    assert staff_client.delete(f"/products/variants/{gone.id}/").status_code == 204
    live = ProductVariantFactory(product=hat, sku="HAT-M")

    response = staff_client.post(f"/products/variants/{gone.id}/restore/", {}, format="json")

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "sku_taken"
    assert response.json()["conflict"] == {"sku": "hat-m", "variant_id": live.id}


def test_the_database_refuses_live_skus_that_differ_only_by_case(hat):
    ProductVariantFactory(product=hat, sku="HAT-M")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductVariant.objects.create(product=hat, sku="hat-m", name="M")
    ProductVariant.objects.create(product=hat, sku="hat-m", name="M", is_deleted=True)  # deleted rows may


def test_a_variant_keeps_its_own_sku_in_another_case(staff_client, hat):
    variant = ProductVariantFactory(product=hat, sku="HAT-M")

    response = staff_client.patch(f"/products/variants/{variant.id}/", {"sku": "hat-m"}, format="json")

    assert response.status_code == 200 and response.json()["sku"] == "hat-m"


# --- The lookups use the Lower() unique indexes --------------------------------------------------------------

def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: ask whether the index can serve it
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
def test_case_insensitive_lookups_are_served_by_the_lower_unique_indexes(hat):
    ProductImageFactory(product=hat)
    ProductVariantFactory(product=hat, sku="HAT-M")

    assert "catalog_product_slug_live_ci_unique" in _plan(
        Product.objects.live().filter(same_text("slug", "hat-5b375")))
    assert "catalog_product_slug_live_ci_unique" in _plan(
        Product.objects.public().filter(same_text("slug", "hat-5b375")))
    assert "catalog_category_slug_ci_unique" in _plan(Category.objects.filter(same_text("slug", "WINTER-HATS")))
    assert "catalog_variant_sku_live_ci_unique" in _plan(
        ProductVariant.objects.filter(same_text("sku", "hat-m"), is_deleted=False))
