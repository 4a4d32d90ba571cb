"""shop.core.compiled: a values() query over ids, compiled once per number of ids, answers what the ORM does."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shop.catalog.models import Product, ProductVariant
from shop.catalog.tests.factories import ProductFactory, ProductVariantFactory
from shop.core.compiled import CompiledIdsQuery

pytestmark = pytest.mark.django_db

FIELDS = ("id", "product_id", "sku", "options", "price_override", "stock_quantity", "is_active",
          "product__created_at", "tax_class__code")


def _variants(ids):
    return ProductVariant.objects.filter(product_id__in=ids, is_deleted=False).order_by("-id").values(*FIELDS)


def test_it_answers_what_the_orm_answers_with_its_conversions():
    """JSON, decimals, datetimes and a join converted as values() converts them (SQLite stores them as text)."""
    products = ProductFactory.create_batch(3)
    for product in products:
        ProductVariantFactory(product=product, options={"size": "M", "colour": "ünïcode"},
                              price_override=Decimal("12.345"))
        ProductVariantFactory(product=product, is_deleted=True)
    compiled = CompiledIdsQuery(ProductVariant, _variants)

    for ids in ([products[0].pk], [p.pk for p in products], [products[2].pk, products[0].pk, products[2].pk],
                [products[1].pk, 999_999]):
        rows = compiled.rows(ids)
        assert rows == list(_variants(ids)), ids
    assert rows[0]["options"] == {"size": "M", "colour": "ünïcode"}
    assert rows[0]["price_override"] == Decimal("12.345") and rows[0]["product__created_at"].tzinfo is not None


def test_it_builds_and_compiles_once_per_number_of_ids_and_runs_one_query_each_time():
    products = ProductFactory.create_batch(4)
    built = []

    def build(ids):
        built.append(len(ids))
        return Product.objects.filter(pk__in=ids).order_by("id").values("id", "name")

    compiled = CompiledIdsQuery(Product, build)
    with CaptureQueriesContext(connection) as queries:
        first = compiled.rows([products[0].pk, products[1].pk])
        second = compiled.rows([products[2].pk, products[3].pk])
        third = compiled.rows([products[3].pk])

    assert built == [2, 1]  # the second call of length 2 reused the first's SQL
    assert [row["name"] for row in first + second + third] == [
        products[0].name, products[1].name, products[2].name, products[3].name, products[3].name]
    assert len(queries.captured_queries) == 3  # Django's cursor: logged and counted like any ORM query
    assert compiled.rows([]) == []


def test_ids_put_into_the_sql_other_than_as_parameters_are_refused():
    product = ProductFactory()
    compiled = CompiledIdsQuery(Product, lambda ids: Product.objects.filter(pk__in=[product.pk]).values("id"))

    with pytest.raises(ValueError, match="each id once"):
        compiled.rows([product.pk])
