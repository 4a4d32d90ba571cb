"""Migration 0010 (accent folding, prefixes as written) forwards and backwards on PostgreSQL, with rows in place."""

from decimal import Decimal
from importlib import import_module

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from shop.catalog.models import Category, Product

BATCH = import_module("shop.catalog.migrations.0010_search_unaccent_prefixes").BATCH

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

BEFORE = ("catalog", "0009_money_three_decimals")
AFTER = ("catalog", "0010_search_unaccent_prefixes")


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([target])


def _matches(tsquery_sql: str, params: list[str]) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT slug FROM catalog_product WHERE search_vector @@ {tsquery_sql} ORDER BY slug", params)
        return [row[0] for row in cursor.fetchall()]


def _configurations() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT cfgname FROM pg_ts_config WHERE cfgname LIKE 'catalog_%%'")
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def at_0009():
    """The database migrated back to 0009 for the test, and forwards again whatever the test does."""
    _migrate(BEFORE)
    yield
    _migrate(AFTER)


def test_forwards_rebuilds_existing_rows_and_backwards_restores_the_english_vectors(at_0009, api_client):
    category = Category.objects.create(name="Kitchen", slug="kitchen")
    shoes = Product.objects.create(category=category, name="Café Running Shoes", slug="shoes", price=Decimal("9"),
                                   description="Light.")
    # Ids more than one batch apart: the rebuild reaches every batch, not only the first.
    Product.objects.create(id=shoes.id + 2 * BATCH + 1, category=category, name="Crème Brûlée Torch", slug="torch",
                           price=Decimal("9"), description="")
    # 0002's vector: English stems only, accents kept; no configurations of ours.
    assert _configurations() == set()
    assert _matches("to_tsquery('english', %s)", ["run"]) == ["shoes"]
    assert _matches("to_tsquery('simple', %s)", ["cafe | creme"]) == []

    _migrate(AFTER)

    assert _configurations() == {"catalog_english", "catalog_simple"}
    # The rows written before, rebuilt by the migration.
    for text, found in (("cafe", ["shoes"]), ("runn", ["shoes"]), ("running sho", ["shoes"]), ("creme", ["torch"]),
                        ("brul", ["torch"])):
        response = api_client.get("/products/", {"search": text})
        assert (response.status_code, [p["slug"] for p in response.json()["results"]]) == (200, found), text

    _migrate(BEFORE)

    assert _configurations() == set()
    # The previous code's search works again: its English-only vectors, for the old row and a new one.
    Product.objects.create(category=category, name="Desk Lamps", slug="lamps", price=Decimal("9"), description="")
    assert _matches("to_tsquery('english', %s)", ["running:* & shoe:*"]) == ["shoes"]
    assert _matches("to_tsquery('english', %s)", ["brûlée"]) == ["torch"]
    assert _matches("to_tsquery('english', %s)", ["lamp"]) == ["lamps"]
    assert _matches("to_tsquery('simple', %s)", ["runn:*"]) == []  # no words as written any more
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector = setweight(to_tsvector('english', name), 'A')"
                       " || setweight(to_tsvector('english', description), 'B') FROM catalog_product")
        assert {row[0] for row in cursor.fetchall()} == {True}
