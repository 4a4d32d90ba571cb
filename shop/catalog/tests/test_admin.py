import pytest

from shop.catalog.models import Category, Product

from .factories import CategoryFactory, ProductFactory, ProductImageFactory, ProductVariantFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/catalog/product/"


def test_product_changelist_search_and_filters(admin_web, category):
    ProductFactory(category=category, name="Espresso Machine")
    ProductFactory(category=category, name="Kettle", is_active=False)

    searched = admin_web.get(CHANGELIST, {"q": "espresso"})
    filtered = admin_web.get(CHANGELIST, {"is_active__exact": "0"})

    assert searched.status_code == 200
    assert b"Espresso Machine" in searched.content and b"Kettle" not in searched.content
    assert b"Kettle" in filtered.content and b"Espresso Machine" not in filtered.content


def test_product_change_page_has_image_and_variant_inlines(admin_web, product):
    ProductImageFactory(product=product, is_primary=True, image_url="https://example.com/inline.jpg")
    ProductVariantFactory(product=product, sku="INLINE-SKU")

    response = admin_web.get(f"{CHANGELIST}{product.pk}/change/")

    assert response.status_code == 200
    assert b"https://example.com/inline.jpg" in response.content
    assert b"INLINE-SKU" in response.content


@pytest.mark.parametrize(("action", "start", "expected"), [("deactivate", True, False), ("activate", False, True)])
def test_bulk_activate_and_deactivate(admin_web, api_client, category, commit, action, start, expected):
    products = ProductFactory.create_batch(3, category=category, is_active=start)
    api_client.get("/products/")  # warm the public cache

    with commit():
        response = admin_web.post(CHANGELIST, {"action": action, "_selected_action": [p.pk for p in products]})

    assert response.status_code == 302
    assert set(Product.objects.values_list("is_active", flat=True)) == {expected}
    assert api_client.get("/products/").json()["count"] == (3 if expected else 0)


def test_admin_delete_is_a_soft_delete_and_hard_bulk_delete_is_not_offered(admin_web, product):
    listing = admin_web.get(CHANGELIST)
    assert b"delete_selected" not in listing.content

    response = admin_web.post(f"{CHANGELIST}{product.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.is_deleted is True


def test_admin_refuses_to_delete_a_category_with_live_products(admin_web, product):
    refused = admin_web.post(f"/admin/catalog/category/{product.category.pk}/delete/", {"post": "yes"})

    assert refused.status_code == 200
    assert b"Product: Wireless Headphones" in refused.content
    assert Category.objects.filter(pk=product.category.pk).exists()

    empty = CategoryFactory()
    assert admin_web.post(f"/admin/catalog/category/{empty.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Category.objects.filter(pk=empty.pk).exists()
