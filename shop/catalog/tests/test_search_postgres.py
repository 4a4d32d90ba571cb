"""Ranked full-text search (PostgreSQL): trigger-maintained weighted vector, GIN index, SearchRank ordering."""

from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from shop.catalog import cache as catalog_cache
from shop.catalog.models import Product
from shop.catalog.selectors import product_search

from .factories import ProductFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

LIST = "/products/"


def slugs(response):
    assert response.status_code == 200, response.content
    return [p["slug"] for p in response.json()["results"]]


@pytest.mark.parametrize("text", ["headphones", "headph", "HEADPHÔNES"])  # whole, partly typed, accented
def test_name_matches_rank_above_description_matches_whatever_their_age(api_client, category, text):
    # Created first (so "newest first" would put them last) but matching in the name.
    ProductFactory(category=category, slug="name-hit", name="Wireless Headphones", description="Comfortable.")
    ProductFactory(category=category, slug="both-hit", name="Studio Headphones",
                   description="Closed-back headphones for headphones lovers.")
    ProductFactory(category=category, slug="desc-hit", name="Audio Cable", description="Works with headphones.")
    ProductFactory(category=category, slug="miss", name="Kettle", description="Boils water.")

    ranked = slugs(api_client.get(LIST, {"search": text}))

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


@pytest.mark.parametrize("mode", ["last", "all", "none"])
def test_accents_and_case_are_ignored_both_ways(api_client, category, settings, mode):
    settings.CATALOG_SEARCH_PREFIX = mode
    ProductFactory(category=category, slug="accented", name="Café Crème", description="Crème brûlée cups.")
    ProductFactory(category=category, slug="plain", name="Cafe Table", description="Oak.")
    ProductFactory(category=category, slug="other", name="Tea Table", description="Oak.")

    assert set(slugs(api_client.get(LIST, {"search": "cafe"}))) == {"accented", "plain"}
    assert set(slugs(api_client.get(LIST, {"search": "CAFÉ"}))) == {"accented", "plain"}
    assert slugs(api_client.get(LIST, {"search": "creme brulee"})) == ["accented"]
    assert slugs(api_client.get(LIST, {"search": "crème"})) == ["accented"]


def test_a_partly_typed_word_ignores_accents_too(api_client, category):
    ProductFactory(category=category, slug="accented", name="Crème Brûlée Torch", description="Kitchen.")
    ProductFactory(category=category, slug="plain", name="Cafeteria Tray", description="Kitchen.")

    assert slugs(api_client.get(LIST, {"search": "torch brul"})) == ["accented"]  # "brûlée" stems to "brule"
    assert slugs(api_client.get(LIST, {"search": "cafét"})) == ["plain"]


def test_a_partly_typed_word_matches_the_words_as_written_not_their_stems(api_client, category):
    # "running" and "runner" stem to "run" and "runner": "runn" starts neither stem, but both words.
    ProductFactory(category=category, slug="shoes", name="Running Shoes", description="Light.")
    ProductFactory(category=category, slug="jacket", name="Jacket", description="For a runner in the rain.")
    ProductFactory(category=category, slug="rug", name="Rug", description="Woven.")

    assert set(slugs(api_client.get(LIST, {"search": "runn"}))) == {"shoes", "jacket"}
    assert slugs(api_client.get(LIST, {"search": "running sh"})) == ["shoes"]
    assert slugs(api_client.get(LIST, {"search": "rai"})) == ["jacket"]  # stem "rain" has no stop word or suffix


@pytest.mark.parametrize("mode", ["last", "all", "none"])
def test_whole_words_are_still_stemmed(api_client, category, settings, mode):
    settings.CATALOG_SEARCH_PREFIX = mode
    ProductFactory(category=category, slug="lamp", name="Desk Lamp", description="Bright.")
    ProductFactory(category=category, slug="shoes", name="Running Shoes", description="Light.")

    assert slugs(api_client.get(LIST, {"search": "lamps"})) == ["lamp"]
    assert slugs(api_client.get(LIST, {"search": "run shoe"})) == ["shoes"]


# A common word ("a", "the") is dropped by the English stemmer. As the last word, the one being typed, it matches
# the start of a word like any other prefix, so results narrow as the user types ("lamp t", "lamp th", "lamp the")
# instead of jumping back to every lamp at "lamp the"; and "a" alone finds the words that start with "a". Before the
# last word it is ignored, as a whole word.
@pytest.mark.parametrize(("mode", "text", "found"), [
    ("last", "lamp a", {"adjustable", "described"}),  # "A lamp..." holds the word "a"
    ("last", "lamp the", {"for-the-desk"}),
    ("last", "lamp th", {"for-the-desk"}),
    ("last", "a", {"adjustable", "described", "kettle"}),
    ("last", "the lamp", {"adjustable", "plain", "described", "for-the-desk"}),
    ("all", "lamp a", {"adjustable", "described"}),
    ("all", "the lamp", {"adjustable", "plain", "described", "for-the-desk"}),  # not required as a prefix
    ("none", "lamp a", {"adjustable", "plain", "described", "for-the-desk"}),  # no word is being typed
])
def test_a_common_word_at_the_end_matches_as_the_start_of_a_word(api_client, category, settings, mode, text, found):
    settings.CATALOG_SEARCH_PREFIX = mode
    ProductFactory(category=category, slug="adjustable", name="Adjustable Lamp", description="Bright.")
    ProductFactory(category=category, slug="plain", name="Desk Lamp", description="Bright.")
    ProductFactory(category=category, slug="described", name="Reading Lamp", description="A lamp to read by.")
    ProductFactory(category=category, slug="for-the-desk", name="Lamp", description="Made for the desk.")
    ProductFactory(category=category, slug="kettle", name="Kettle", description="A kettle for the kitchen.")

    assert set(slugs(api_client.get(LIST, {"search": text}))) == found


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


@pytest.mark.parametrize(("mode", "found"), [
    ("last", {"shoes runn": True, "runn shoes": False, "running shoes": True}),
    ("all", {"shoes runn": True, "runn shoes": True, "running shoes": True}),
    ("none", {"shoes runn": False, "runn shoes": False, "running shoes": True}),
])
def test_a_prefix_matches_the_words_as_written_in_every_mode_that_has_one(api_client, category, settings, mode,
                                                                          found):
    settings.CATALOG_SEARCH_PREFIX = mode
    ProductFactory(category=category, slug="shoes", name="Running Shoes", description="Light.")

    answers = {text: slugs(api_client.get(LIST, {"search": text})) == ["shoes"] for text in found}

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


def test_new_matching_rules_never_answer_from_a_page_or_count_cached_under_the_old_ones(api_client, category,
                                                                                      monkeypatch):
    """A deploy that changes what a search matches moves no catalog version: ``SEARCH_RULES`` is in the keys of
    cached pages and memoized counts, or the old rules' answer would be served until the cache TTL."""
    product = ProductFactory(category=category, slug="cafe", name="Café")
    query = {"search": "cafe"}
    monkeypatch.setattr(catalog_cache, "SEARCH_RULES", "1")  # the rules before the deploy
    before = api_client.get(LIST, query)
    # What the new rules find differs from what was cached (here: a rename no catalog version follows).
    Product.objects.filter(pk=product.pk).update(name="Tea")
    monkeypatch.undo()  # the deploy
    after = api_client.get(LIST, query)

    assert (slugs(before), before.json()["count"]) == (["cafe"], 1)
    assert (slugs(after), after.json()["count"], after["X-Cache"]) == ([], 0, "MISS")


def test_the_default_is_a_prefix_on_the_last_word_only():
    from django.conf import settings

    assert settings.CATALOG_SEARCH_PREFIX == "last"


def test_explicit_ordering_overrides_rank(api_client, category):
    ProductFactory(category=category, slug="dear", name="Lamp Lamp", description="lamp", price=Decimal("50.00"))
    ProductFactory(category=category, slug="cheap", name="Desk", description="A lamp.", price=Decimal("5.00"))

    assert slugs(api_client.get(LIST, {"search": "lamp"})) == ["dear", "cheap"]
    assert slugs(api_client.get(LIST, {"search": "lamp", "ordering": "price"})) == ["cheap", "dear"]


HOSTILE = ["&|!:*", "'", "a & | b", "(((", "\\", "%_", "ünïcödé", "x" * 200, '"quoted" words', "lamp:*", "x:* & !y",
           "a:A | b:*B", "<-> <2>", "\\' or 1=1 --", "_", "__init__ _x_", "wi_fi lamp", "é" * 200, "ß ẞ ﬁ", "١٢٣ 中文",
           " ".join("the" for _ in range(50)), " ".join(f"w{index}" for index in range(40)), "x" * 199 + "é"]


@pytest.mark.parametrize("mode", ["last", "all", "none"])
@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_search_text_never_errors(api_client, product, settings, mode, text):
    settings.CATALOG_SEARCH_PREFIX = mode
    response = api_client.get(LIST, {"search": text})

    assert response.status_code == 200, response.content
    assert "results" in response.json()


def test_a_search_above_the_limit_is_the_400_naming_the_parameter(api_client, product):
    response = api_client.get(LIST, {"search": "é" * 201})

    assert (response.status_code, response.json()["code"], list(response.json()["errors"])) == (400, "invalid",
                                                                                              ["search"])


@pytest.mark.parametrize("mode", ["last", "all", "none"])
def test_any_text_searches_without_an_error(category, settings, mode):
    """Whatever the text, only \\w+ tokens reach to_tsquery: no tsquery syntax error, in any mode."""
    settings.CATALOG_SEARCH_PREFIX = mode
    ProductFactory(category=category, name="Café Lamp", description="Bright.")
    products = Product.objects.public()

    @hypothesis_settings(max_examples=150, derandomize=True, deadline=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(text=st.text(alphabet=st.sampled_from("aé_ 1:*&|!()<>'\"\\-ßﬁ中\u0301"), max_size=40))
    def search(text):
        list(product_search(products, text)[:5])

    search()


def test_the_vector_follows_renames_and_bulk_inserts(api_client, category, product):
    Product.objects.filter(pk=product.pk).update(name="Bluetooth Speaker")
    Product.objects.bulk_create([Product(category=category, name="Vinyl Record", slug="vinyl", price=Decimal("9"))])

    assert slugs(api_client.get(LIST, {"search": "speaker"})) == [product.slug]
    assert slugs(api_client.get(LIST, {"search": "headphones"})) == []
    assert slugs(api_client.get(LIST, {"search": "vinyl"})) == ["vinyl"]


def test_queryset_and_bulk_updates_refresh_both_sets_of_lexemes(api_client, category):
    """The trigger is the vector's one writer, for every UPDATE: a queryset update and bulk_update (one UPDATE
    with CASE) refresh the stemmed words and the words as written, accents folded."""
    first = ProductFactory(category=category, slug="first", name="Kettle", description="Boils water.")
    second = ProductFactory(category=category, slug="second", name="Mug", description="Holds tea.")

    Product.objects.filter(pk=first.pk).update(description="Crème brûlée torches.")
    second.name = "Running Shoes"
    Product.objects.bulk_update([second], ["name"])

    assert slugs(api_client.get(LIST, {"search": "creme brul"})) == ["first"]
    assert slugs(api_client.get(LIST, {"search": "torch"})) == ["first"]
    assert slugs(api_client.get(LIST, {"search": "boils"})) == []
    assert slugs(api_client.get(LIST, {"search": "runn"})) == ["second"]
    assert slugs(api_client.get(LIST, {"search": "mug"})) == []


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
