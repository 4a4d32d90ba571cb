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

    with django_assert_num_queries(4):  # COUNT, page, images, variants: the sum is a column of the page query
        response = api_client.get("/products/", {"page_size": 30})

    assert [p["stock_quantity"] for p in response.json()["results"]] == [6] * 30
