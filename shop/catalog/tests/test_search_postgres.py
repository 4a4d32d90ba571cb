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


# CATALOG_SEARCH_PREFIX: which words match as the start of a longer one.
@pytest.mark.parametrize(("mode", "found"), [
    ("last", {"wireless headph": True, "wire headphones": False, "headphone wireless": True, "headph": True}),
    ("all", {"wireless headph": True, "wire headphones": True, "headphone wireless": True, "headph": True}),
    ("none", {"wireless headph": False, "wire headphones": False, "headphone wireless": True, "headph": False}),
])
def test_which_words_match_as_a_prefix_follows_the_setting(api_client, category, settings, mode, found):
    settings.CATALOG_SEARCH_PREFIX = mode
    ProductFactory(category=category, slug="headphones", name="Wireless Headphones")
    ProductFactory(category=category, slug="wire", name="Copper Wire")  # a whole word that "wire" is

    answers = {text: slugs(api_client.get(LIST, {"search": text})) == ["headphones"] for text in found}

    assert answers == found


def test_a_changed_search_mode_never_answers_from_the_other_modes_cached_page(api_client, category, settings):
    ProductFactory(category=category, slug="headphones", name="Wireless Headphones")
    query = {"search": "wire headphones"}

    settings.CATALOG_SEARCH_PREFIX = "all"
    found = api_client.get(LIST, query)
    settings.CATALOG_SEARCH_PREFIX = "last"  # as after a restart with the other setting
    after = api_client.get(LIST, query)

    assert (slugs(found), found.json()["count"]) == (["headphones"], 1)
    assert (slugs(after), after.json()["count"]) == ([], 0)
    settings.CATALOG_SEARCH_PREFIX = "all"
    assert api_client.get(LIST, query)["X-Cache"] == "HIT"  # each mode keeps its own entry


def test_the_default_is_a_prefix_on_the_last_word_only():
    from django.conf import settings

    assert settings.CATALOG_SEARCH_PREFIX == "last"


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


def test_a_ranked_page_reads_its_total_with_its_ids_and_pages_stay_exact(api_client, category,
                                                                         django_assert_num_queries):
    """The first page of a search counts its matches in the query that picks the page's ids (no separate COUNT
    scan of the full-text index); later pages reuse that memoized total; a page past the end is still a 400."""
    for index in range(23):
        ProductFactory(category=category, slug=f"lamp-{index}", name=f"Desk Lamp {index}", description="Light.")
    ProductFactory(category=category, slug="kettle", name="Kettle", description="Boils water.")

    with django_assert_num_queries(6) as first:  # window, ids+total, rows, images, variants, live promotions
        page_one = api_client.get(LIST, {"search": "lamp", "page_size": 10})
    assert not any('"__count"' in q["sql"] for q in first.captured_queries)
    assert any("OVER ()" in q["sql"] for q in first.captured_queries)
    with django_assert_num_queries(3):  # the memoized total and sale prices: rows (ids as a subquery), images, variants
        page_three = api_client.get(LIST, {"search": "lamp", "page_size": 10, "page": 3})

    assert page_one.json()["count"] == page_three.json()["count"] == 23
    assert len(slugs(page_one)) == 10 and len(slugs(page_three)) == 3
    assert page_one.json()["next"] is not None and page_three.json()["next"] is None
    seen = slugs(page_one) + slugs(api_client.get(LIST, {"search": "lamp", "page_size": 10, "page": 2})) + \
        slugs(page_three)
    assert sorted(seen) == sorted(f"lamp-{index}" for index in range(23))
    past = api_client.get(LIST, {"search": "desk lamp", "page_size": 10, "page": 4})
    assert past.status_code == 400 and "page" in past.json()["errors"]
    nothing = api_client.get(LIST, {"search": "zebra"})
    assert nothing.status_code == 200 and nothing.json()["count"] == 0 and nothing.json()["results"] == []
