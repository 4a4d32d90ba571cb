"""Ranked full-text search (PostgreSQL): trigger-maintained weighted vector, GIN index, SearchRank ordering."""

from decimal import Decimal

import pytest
from django.db import connection

from shop.catalog.models import Product

from .factories import ProductFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

LIST = "/products/"


def slugs(response):
    assert response.status_code == 200, response.content
    return [p["slug"] for p in response.json()["results"]]


def test_name_matches_rank_above_description_matches_whatever_their_age(api_client, category):
    # Created first (so "newest first" would put them last) but matching in the name.
    ProductFactory(category=category, slug="name-hit", name="Wireless Headphones", description="Comfortable.")
    ProductFactory(category=category, slug="both-hit", name="Studio Headphones",
                   description="Closed-back headphones for headphones lovers.")
    ProductFactory(category=category, slug="desc-hit", name="Audio Cable", description="Works with headphones.")
    ProductFactory(category=category, slug="miss", name="Kettle", description="Boils water.")

    ranked = slugs(api_client.get(LIST, {"search": "headphones"}))

    assert ranked == ["both-hit", "name-hit", "desc-hit"]


def test_ranking_across_words_and_stemming(api_client, category):
    ProductFactory(category=category, slug="two-words", name="Running Shoes", description="Light trail runner.")
    ProductFactory(category=category, slug="one-word", name="Shoe Polish", description="Black.")

    assert slugs(api_client.get(LIST, {"search": "running shoe"})) == ["two-words"]  # every word must match
    assert set(slugs(api_client.get(LIST, {"search": "shoes"}))) == {"two-words", "one-word"}  # stemmed


def test_word_prefixes_match(api_client, category):
    ProductFactory(category=category, slug="headphones", name="Wireless Headphones")

    assert slugs(api_client.get(LIST, {"search": "headph"})) == ["headphones"]
    assert slugs(api_client.get(LIST, {"search": "WIRE"})) == ["headphones"]


def test_explicit_ordering_overrides_rank(api_client, category):
    ProductFactory(category=category, slug="dear", name="Lamp Lamp", description="lamp", price=Decimal("50.00"))
    ProductFactory(category=category, slug="cheap", name="Desk", description="A lamp.", price=Decimal("5.00"))

    assert slugs(api_client.get(LIST, {"search": "lamp"})) == ["dear", "cheap"]
    assert slugs(api_client.get(LIST, {"search": "lamp", "ordering": "price"})) == ["cheap", "dear"]


@pytest.mark.parametrize("text", ["&|!:*", "'", "a & | b", "(((", "\\", "%_", "ünïcödé", "x" * 200])
def test_hostile_search_text_never_errors(api_client, product, text):
    response = api_client.get(LIST, {"search": text})

    assert response.status_code == 200
    assert "results" in response.json()


def test_the_vector_follows_renames_and_bulk_inserts(api_client, category, product):
    Product.objects.filter(pk=product.pk).update(name="Bluetooth Speaker")
    Product.objects.bulk_create([Product(category=category, name="Vinyl Record", slug="vinyl", price=Decimal("9"))])

    assert slugs(api_client.get(LIST, {"search": "speaker"})) == [product.slug]
    assert slugs(api_client.get(LIST, {"search": "headphones"})) == []
    assert slugs(api_client.get(LIST, {"search": "vinyl"})) == ["vinyl"]


def test_search_uses_the_gin_index():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'catalog_product_search_gin'")
        row = cursor.fetchone()

    assert row is not None
    assert "gin (search_vector)" in row[0]
