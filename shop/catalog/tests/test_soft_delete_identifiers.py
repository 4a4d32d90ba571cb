"""Issue 11.5: soft delete must not burn identifiers; deleted products and variants can be listed and restored."""

import pytest
from django.core.exceptions import ValidationError

from shop.catalog.models import Category, Product, ProductVariant
from shop.catalog.services import _save_with_unique

from .factories import CategoryFactory, ProductFactory, ProductVariantFactory

pytestmark = pytest.mark.django_db


def product_body(category, **overrides):
    return {"name": "Hat", "slug": "hat", "description": "Warm.", "price": "12.00", "stock_quantity": 4,
            "category_id": category.id, **overrides}


def error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["detail"] and body["code"], body
    return body


# --- Identifiers are unique among live rows, slugs ignoring case -------------------------------------------------

def test_the_issue_example_delete_then_create_with_the_same_slug(staff_client, category):
    first = staff_client.post("/products/", product_body(category), format="json")
    assert first.status_code == 201
    assert staff_client.delete("/products/hat/").status_code == 204

    again = staff_client.post("/products/", product_body(category, name="New hat"), format="json")

    assert again.status_code == 201, again.content
    assert again.json()["slug"] == "hat" and again.json()["id"] != first.json()["id"]
    assert Product.objects.filter(slug="hat").count() == 2


@pytest.mark.parametrize("slug", ["hat", "Hat", "HAT"])
def test_slugs_compare_ignoring_case_on_create_and_update(staff_client, category, slug):
    ProductFactory(category=category, slug="hat")
    other = ProductFactory(category=category, slug="cap")
    message = "A product with the slug 'hat' already exists (slugs ignore case)."

    created = error(staff_client.post("/products/", product_body(category, slug=slug), format="json"), 400)
    renamed = error(staff_client.patch("/products/cap/", {"slug": slug}, format="json"), 400)

    assert created == renamed == {"detail": f"slug: {message}", "code": "invalid", "errors": {"slug": [message]}}
    assert Product.objects.filter(slug__iexact="hat").count() == 1
    other.refresh_from_db()
    assert other.slug == "cap"


def test_a_product_keeps_its_own_slug_in_another_case(staff_client, category):
    ProductFactory(category=category, slug="hat")

    response = staff_client.patch("/products/hat/", {"slug": "Hat"}, format="json")

    assert response.status_code == 200 and response.json()["slug"] == "Hat"


def test_category_slugs_ignore_case(staff_client):
    CategoryFactory(slug="hats")
    message = "A category with the slug 'hats' already exists (slugs ignore case)."

    body = error(staff_client.post("/products/categories/", {"name": "Hats", "slug": "Hats"}, format="json"), 400)

    assert body["errors"] == {"slug": [message]}
    assert Category.objects.filter(slug__iexact="hats").count() == 1


def test_a_deleted_variant_frees_its_sku(staff_client, product):
    variant = ProductVariantFactory(product=product, sku="HAT-M")
    taken = error(staff_client.post(f"/products/{product.slug}/variants/", {"sku": "HAT-M", "name": "M"},
                                    format="json"), 400)
    assert taken["errors"] == {"sku": ["A variant with the SKU 'HAT-M' already exists (SKUs ignore case)."]}
    assert staff_client.delete(f"/products/variants/{variant.id}/").status_code == 204

    response = staff_client.post(f"/products/{product.slug}/variants/", {"sku": "HAT-M", "name": "M"}, format="json")

    assert response.status_code == 201, response.content
    assert ProductVariant.objects.filter(sku="HAT-M", is_deleted=False).count() == 1


def test_deleting_a_product_frees_its_variants_skus(staff_client, category, product):
    ProductVariantFactory(product=product, sku="HP-BLK")
    assert staff_client.delete(f"/products/{product.slug}/").status_code == 204
    other = ProductFactory(category=category, slug="other")

    response = staff_client.post("/products/other/variants/", {"sku": "HP-BLK", "name": "Black"}, format="json")

    assert response.status_code == 201, response.content
    assert ProductVariant.objects.get(sku="HP-BLK", is_deleted=False).product_id == other.id


def test_the_database_refuses_what_a_lost_race_would_write(category):
    """Two writers that both passed the service's check: the partial unique index stops the second, as a 400."""
    ProductFactory(category=category, slug="hat")
    ProductFactory(category=category, slug="hat-old", is_deleted=True)
    twin = Product(category=category, name="Twin", slug="HAT", price="1.00")

    with pytest.raises(ValidationError) as refused:
        _save_with_unique(twin, field="slug")

    assert refused.value.message_dict == {"slug": ["'HAT' was just taken by another write; choose another slug."]}
    deleted_twin = Product(category=category, name="Old", slug="HAT", price="1.00", is_deleted=True)
    _save_with_unique(deleted_twin, field="slug")  # deleted rows never collide
    assert Product.objects.filter(slug__iexact="hat").count() == 2


# --- Detail routes pick the live product --------------------------------------------------------------------

def test_a_reused_slug_addresses_the_live_product(api_client, staff_client, category):
    old = ProductFactory(category=category, slug="hat", name="Old hat")
    assert staff_client.delete("/products/hat/").status_code == 204
    new = ProductFactory(category=category, slug="hat", name="New hat")

    assert api_client.get("/products/hat/").json()["id"] == new.id
    assert staff_client.get("/products/hat/").json()["id"] == new.id
    patched = staff_client.patch("/products/hat/", {"name": "Newer hat"}, format="json")
    assert patched.status_code == 200 and patched.json()["id"] == new.id
    old.refresh_from_db()
    assert old.name == "Old hat" and old.is_deleted
    assert api_client.get(f"/products/{old.id}/").status_code == 404


# --- Listing deleted rows -------------------------------------------------------------------------------------

def test_staff_list_deleted_products_customers_never_see_them(api_client, user_client, staff_client, category):
    live = ProductFactory(category=category, slug="live")
    gone = ProductFactory(category=category, slug="gone")
    assert staff_client.delete("/products/gone/").status_code == 204

    deleted = staff_client.get("/products/?deleted=true").json()
    assert [row["id"] for row in deleted["results"]] == [gone.id] and deleted["count"] == 1
    assert [row["id"] for row in staff_client.get("/products/?deleted=false").json()["results"]] == [live.id]
    assert [row["id"] for row in staff_client.get("/products/").json()["results"]] == [live.id]
    for client in (api_client, user_client):
        # A staff-only filter from anyone else is ignored, like an unknown parameter: the live catalog.
        for query in ("deleted=true", "deleted=maybe", "deleted=false"):
            response = client.get(f"/products/?{query}")
            assert response.status_code == 200, response.content
            assert [row["id"] for row in response.json()["results"]] == [live.id] and response.json()["count"] == 1
        assert client.get("/products/gone/").status_code == 404


def test_staff_list_a_products_deleted_variants(api_client, staff_client, product):
    kept = ProductVariantFactory(product=product, sku="A")
    dropped = ProductVariantFactory(product=product, sku="B")
    assert staff_client.delete(f"/products/variants/{dropped.id}/").status_code == 204
    url = f"/products/{product.slug}/variants/"

    assert [row["sku"] for row in staff_client.get(f"{url}?deleted=true").json()["results"]] == ["B"]
    assert [row["id"] for row in staff_client.get(url).json()["results"]] == [kept.id]
    public = api_client.get(url)
    assert public.status_code == 200 and [row["sku"] for row in public.json()["results"]] == ["A"]
    ignored = api_client.get(f"{url}?deleted=true")  # staff-only: the live variants, as without it
    assert ignored.status_code == 200 and [row["sku"] for row in ignored.json()["results"]] == ["A"]


def test_the_cache_never_keeps_a_staff_shaped_or_empty_page_for_customers(api_client, user_client, staff_client,
                                                                           category):
    live = ProductFactory(category=category, slug="live")
    gone = ProductFactory(category=category, slug="gone", is_deleted=True, is_active=False)

    staff_page = staff_client.get("/products/?deleted=true")
    first, again = user_client.get("/products/?deleted=true"), api_client.get("/products/?deleted=true")

    assert staff_page["Cache-Control"] == "private, no-store"  # staff reads are never stored
    assert [row["id"] for row in staff_page.json()["results"]] == [gone.id]
    assert (first["X-Cache"], again["X-Cache"]) == ("MISS", "HIT")
    for response in (first, again):
        assert [row["id"] for row in response.json()["results"]] == [live.id] and response.json()["count"] == 1
    assert staff_client.get("/products/?deleted=true").json()["results"][0]["id"] == gone.id


# --- Restore --------------------------------------------------------------------------------------------------

def test_restore_brings_a_product_back_inactive_with_the_variants_deleted_with_it(staff_client, api_client,
                                                                                    product):
    with_it = ProductVariantFactory(product=product, sku="WITH")
    before = ProductVariantFactory(product=product, sku="BEFORE")
    assert staff_client.delete(f"/products/variants/{before.id}/").status_code == 204
    assert staff_client.delete(f"/products/{product.slug}/").status_code == 204

    response = staff_client.post(f"/products/{product.id}/restore/", {}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == product.id and body["slug"] == product.slug and body["is_active"] is False
    assert [variant["sku"] for variant in body["variants"]] == ["WITH"]
    with_it.refresh_from_db()
    before.refresh_from_db()
    assert not with_it.is_deleted and with_it.deleted_at is None and before.is_deleted
    assert api_client.get(f"/products/{product.slug}/").status_code == 404  # inactive until staff activate it
    assert staff_client.patch(f"/products/{product.slug}/", {"is_active": True}, format="json").status_code == 200
    assert api_client.get(f"/products/{product.slug}/").json()["id"] == product.id


def test_restore_when_the_slug_was_reused_is_a_409_naming_the_live_product(staff_client, category, product):
    assert staff_client.delete(f"/products/{product.slug}/").status_code == 204
    reuser = ProductFactory(category=category, slug="Wireless-Headphones", name="Newer headphones")

    body = error(staff_client.post(f"/products/{product.id}/restore/", {}, format="json"), 409)

    assert body == {
        "detail": f"Cannot restore 'Wireless Headphones': its slug 'wireless-headphones' is now used by the live "
                  f"product 'Newer headphones' (id {reuser.id}). Restore it under another slug: "
                  f'POST /products/{product.id}/restore/ with {{"slug": "<new-slug>"}}.',
        "code": "slug_taken",
        "conflict": {"slug": "wireless-headphones", "product_id": reuser.id},
    }
    product.refresh_from_db()
    assert product.is_deleted

    renamed = staff_client.post(f"/products/{product.id}/restore/", {"slug": "headphones-classic"}, format="json")

    assert renamed.status_code == 200 and renamed.json()["slug"] == "headphones-classic"
    assert staff_client.get("/products/headphones-classic/").json()["id"] == product.id


def test_restore_refuses_when_a_deleted_variants_sku_was_reused(staff_client, category, product):
    ProductVariantFactory(product=product, sku="HP-BLK")
    assert staff_client.delete(f"/products/{product.slug}/").status_code == 204
    ProductVariantFactory(product=ProductFactory(category=category, slug="other"), sku="HP-BLK")

    body = error(staff_client.post(f"/products/{product.id}/restore/", {}, format="json"), 409)

    assert body["code"] == "sku_taken" and body["conflict"] == {"skus": ["HP-BLK"]}
    assert "HP-BLK" in body["detail"]
    product.refresh_from_db()
    assert product.is_deleted


def test_restore_needs_a_category_when_its_own_was_deleted(staff_client, product):
    category = product.category
    assert staff_client.delete(f"/products/{product.slug}/").status_code == 204
    assert staff_client.delete(f"/products/categories/{category.slug}/").status_code == 204

    body = error(staff_client.post(f"/products/{product.id}/restore/", {}, format="json"), 409)
    assert body["code"] == "category_required"

    home = CategoryFactory(slug="home")
    restored = staff_client.post(f"/products/{product.id}/restore/", {"category_id": home.id}, format="json")
    assert restored.status_code == 200 and restored.json()["category"]["id"] == home.id


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [({"slug": "categories"}, 400, "invalid"), ({"slug": "not a slug"}, 400, "invalid")],
)
def test_restore_validates_a_new_slug(staff_client, product, body, status, code):
    assert staff_client.delete(f"/products/{product.slug}/").status_code == 204

    assert error(staff_client.post(f"/products/{product.id}/restore/", body, format="json"), status)["code"] == code
    product.refresh_from_db()
    assert product.is_deleted


def test_restore_of_a_live_or_missing_product(staff_client, product):
    assert error(staff_client.post(f"/products/{product.id}/restore/", {}, format="json"), 409)["code"] == (
        "not_deleted")
    assert error(staff_client.post("/products/999999/restore/", {}, format="json"), 404)["code"] == "not_found"


def test_only_catalog_staff_restore(api_client, user_client, staff_without_perms_client, manager_client, product):
    assert manager_client.delete(f"/products/{product.slug}/").status_code == 204
    url = f"/products/{product.id}/restore/"

    assert error(api_client.post(url, {}, format="json"), 401)
    assert error(user_client.post(url, {}, format="json"), 403)
    assert error(staff_without_perms_client.post(url, {}, format="json"), 403)
    assert manager_client.post(url, {}, format="json").status_code == 200


def test_variant_restore(staff_client, category, product):
    variant = ProductVariantFactory(product=product, sku="HP-RED")
    assert staff_client.delete(f"/products/variants/{variant.id}/").status_code == 204
    holder = ProductVariantFactory(product=ProductFactory(category=category, slug="other"), sku="HP-RED")
    url = f"/products/variants/{variant.id}/restore/"

    taken = error(staff_client.post(url, {}, format="json"), 409)
    assert taken["code"] == "sku_taken" and taken["conflict"] == {"sku": "HP-RED", "variant_id": holder.id}

    restored = staff_client.post(url, {"sku": "HP-RED-2"}, format="json")
    assert restored.status_code == 200, restored.content
    assert restored.json()["sku"] == "HP-RED-2" and restored.json()["is_active"] is False
    assert error(staff_client.post(url, {}, format="json"), 409)["code"] == "not_deleted"


def test_a_variant_of_a_deleted_product_is_restored_with_the_product(staff_client, product):
    variant = ProductVariantFactory(product=product, sku="HP-BLU")
    assert staff_client.delete(f"/products/{product.slug}/").status_code == 204

    body = error(staff_client.post(f"/products/variants/{variant.id}/restore/", {}, format="json"), 409)

    assert body["code"] == "product_deleted" and f"/products/{product.id}/restore/" in body["detail"]
