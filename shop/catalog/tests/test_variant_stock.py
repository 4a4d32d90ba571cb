"""A product sold in variants shows the stock of those variants (the product's own figure is never sold)."""

import pytest

from .factories import ProductFactory, ProductVariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shirt():
    product = ProductFactory(slug="shirt", stock_quantity=0)
    ProductVariantFactory(product=product, stock_quantity=20)
    ProductVariantFactory(product=product, stock_quantity=40)
    ProductVariantFactory(product=product, stock_quantity=7, is_active=False)
    ProductVariantFactory(product=product, stock_quantity=100, is_deleted=True)
    return product


def test_public_answers_sum_the_variants_a_customer_can_buy(api_client, shirt):
    plain = ProductFactory(slug="mug", stock_quantity=12)

    listed = {p["slug"]: p for p in api_client.get("/products/").json()["results"]}
    detail = api_client.get("/products/shirt/").json()

    assert listed["shirt"]["stock_quantity"] == 60
    assert detail["stock_quantity"] == 60 == sum(v["stock_quantity"] for v in detail["variants"])
    assert listed["mug"]["stock_quantity"] == plain.stock_quantity == 12


def test_catalog_staff_see_the_sum_of_every_live_variant(manager_client, shirt):
    detail = manager_client.get("/products/shirt/").json()

    assert detail["stock_quantity"] == 67 == sum(v["stock_quantity"] for v in detail["variants"])


def test_a_product_whose_variants_are_all_deleted_shows_none_for_sale(api_client):
    product = ProductFactory(slug="retired", stock_quantity=9)
    ProductVariantFactory(product=product, stock_quantity=5, is_deleted=True)

    assert api_client.get("/products/retired/").json()["stock_quantity"] == 0


def test_the_write_answer_shows_the_same_figure(manager_client, shirt):
    response = manager_client.patch("/products/shirt/", {"price": "21.00"}, format="json")

    assert response.status_code == 200
    assert response.json()["stock_quantity"] == 67


def test_the_sum_costs_no_query_per_product(api_client, django_assert_num_queries):
    for _ in range(30):
        ProductVariantFactory.create_batch(2, product=ProductFactory(), stock_quantity=3)

    with django_assert_num_queries(7):  # COUNT, ids, rows, images, variants, sale prices (2): the sum is in the page
        response = api_client.get("/products/", {"page_size": 30})

    assert [p["stock_quantity"] for p in response.json()["results"]] == [6] * 30


def test_a_stock_figure_on_a_product_with_variants_is_refused_naming_the_field(manager_client, shirt):
    refused = manager_client.patch("/products/shirt/", {"stock_quantity": 500, "price": "21.00"}, format="json")

    assert refused.status_code == 400
    body = refused.json()
    assert (body["code"], list(body["errors"])) == ("stock_on_variants", ["stock_quantity"])
    assert "sum of its variants' stock" in body["detail"]
    shirt.refresh_from_db()
    assert (shirt.stock_quantity, str(shirt.price)) != (500, "21.00") and shirt.stock_quantity == 0
    # The figure the API shows, sent back (a GET then PUT), changes nothing and passes.
    same = manager_client.patch("/products/shirt/", {"stock_quantity": 67, "price": "21.00"}, format="json")
    assert same.status_code == 200, same.json()
    assert (same.json()["stock_quantity"], same.json()["price"]) == (67, "21.00")
    shirt.refresh_from_db()
    assert shirt.stock_quantity == 0


def test_the_admin_shows_a_variant_products_stock_read_only_as_the_sum(admin_web, shirt):
    plain = ProductFactory(slug="mug", stock_quantity=12)

    page = admin_web.get(f"/admin/catalog/product/{shirt.pk}/change/").content.decode()
    plain_page = admin_web.get(f"/admin/catalog/product/{plain.pk}/change/").content.decode()

    assert 'name="stock_quantity"' not in page
    assert '<div class="readonly">67</div>' in page
    assert "<div>The sum of its variants' stock: edit the variants.</div>" in page
    assert 'name="stock_quantity"' in plain_page and "edit the variants" not in plain_page
