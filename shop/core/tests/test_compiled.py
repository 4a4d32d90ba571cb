"""shop.core.compiled: a values() query over ids, compiled once per number of ids, answers what the ORM does."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shop.accounts.tests.factories import UserFactory
from shop.catalog.models import Product, ProductVariant
from shop.catalog.selectors import lines_with_product_shown_stock
from shop.catalog.tests.factories import ProductFactory, ProductVariantFactory
from shop.core.compiled import CompiledIdsQuery
from shop.orders.models import Order, OrderItem
from shop.orders.services import LineRequest, order_create

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


def _order(lines):
    return order_create(user=UserFactory(), lines=lines)[0]


def _lines(ids):
    return (lines_with_product_shown_stock(OrderItem.objects.filter(order_id__in=ids)
                                           .select_related("product", "variant__product").order_by("-id")))


def _snapshot(line):
    """What a caller reads of a line: its columns, its select_related rows and the iterable's annotation."""
    variant = line.variant
    return (line.pk, line.order_id, line.quantity, line.unit_price, line.product_name,
            line.product.pk, line.product.name, line.product.price, line.product.shown_stock,
            line.product._state.db, line._state.adding,
            None if variant is None else (variant.pk, variant.options, variant.product.pk, variant.product.name))


def test_instances_are_what_the_orm_builds_with_select_related_and_the_iterables_annotation():
    """Model instances: columns converted, ``select_related`` instances (two levels, a NULL one), and the queryset's
    own iterable class (here the one that hands ``shown_stock`` to each line's product) all as the ORM does."""
    plain = ProductFactory(stock_quantity=11)
    with_variants = ProductFactory(stock_quantity=0)
    variant = ProductVariantFactory(product=with_variants, stock_quantity=4, options={"size": "ß"})
    ProductVariantFactory(product=with_variants, stock_quantity=5)
    both = [LineRequest(quantity=2, product_id=plain.pk),
            LineRequest(quantity=1, product_id=with_variants.pk, variant_id=variant.pk)]
    orders = [_order(both), _order(both), _order([LineRequest(quantity=1, product_id=plain.pk)])]
    compiled = CompiledIdsQuery(OrderItem, _lines)

    for ids in ([orders[0].pk], [orders[1].pk, orders[0].pk], [orders[2].pk], [orders[1].pk, 999_999]):
        got = compiled.instances(ids)
        assert [_snapshot(line) for line in got] == [_snapshot(line) for line in _lines(ids)], ids
    shown = {line.product.pk: line.product.shown_stock for line in compiled.instances([orders[0].pk])}
    assert shown == {plain.pk: 6, with_variants.pk: 7}  # after 5 and 2 sold; a product with variants: their sum
    assert compiled.instances([]) == []


def test_instances_compile_once_per_number_of_ids_and_run_one_query_each():
    product = ProductFactory(stock_quantity=5)
    orders = [_order([LineRequest(quantity=1, product_id=product.pk)]) for _ in range(2)]
    built = []

    def build(ids):
        built.append(len(ids))
        return _lines(ids)

    compiled = CompiledIdsQuery(OrderItem, build)
    with CaptureQueriesContext(connection) as queries:
        first = compiled.instances([orders[0].pk])
        second = compiled.instances([orders[1].pk])

    assert built == [1]
    assert [line.order_id for line in first + second] == [orders[0].pk, orders[1].pk]
    assert len(queries.captured_queries) == 2
    with CaptureQueriesContext(connection) as queries:
        assert second[0].product.name and second[0].variant is None  # select_related: no query to read them
    assert queries.captured_queries == []


def test_instances_refuse_rows_and_prefetches():
    order = _order([LineRequest(quantity=1, product_id=ProductFactory(stock_quantity=1).pk)])
    with pytest.raises(ValueError, match="model instances"):
        CompiledIdsQuery(Order, lambda ids: Order.objects.filter(pk__in=ids).values("id")).instances([order.pk])
    with pytest.raises(ValueError, match="prefetch_related"):
        CompiledIdsQuery(Order, lambda ids: Order.objects.filter(pk__in=ids).prefetch_related("items")).instances(
            [order.pk])


def test_ids_no_key_column_can_hold_are_left_out_not_sent():
    """An id from a URL may be past 64 bits: the ORM's ``filter(pk=...)`` answers "nothing" for it, and so does a
    compiled query (the database would refuse to bind it: a 500)."""
    product = ProductFactory()
    compiled = CompiledIdsQuery(Product, lambda ids: Product.objects.filter(pk__in=ids).order_by("id"))

    assert compiled.rows([2**63]) == [] and compiled.instances([-(2**63) - 1]) == []
    assert [p.pk for p in compiled.instances([2**70, product.pk])] == [product.pk]
    assert list(Product.objects.filter(pk=2**63)) == []  # the ORM's answer to filter(pk=...), for comparison


def test_ids_are_taken_as_the_orm_takes_them():
    product = ProductFactory()
    compiled = CompiledIdsQuery(Product, lambda ids: Product.objects.filter(pk__in=ids))

    assert [p.pk for p in compiled.instances([str(product.pk)])] == [product.pk]  # "7" is 7, as in filter(pk="7")
    with pytest.raises(ValueError):
        compiled.instances(["seven"])
