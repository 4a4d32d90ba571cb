"""stock_deduct / stock_restore: the one place stock moves, for products and variants."""

from functools import partial

import pytest
from django.db import transaction

from shop.catalog.models import Product, ProductVariant
from shop.catalog.stock import InsufficientStock, StockLine, stock_deduct, stock_restore
from shop.core.exceptions import ApplicationError
from tests.concurrency import run_concurrently

from .factories import ProductFactory, ProductVariantFactory

pytestmark = pytest.mark.django_db


def stock_of(obj) -> int:
    obj.refresh_from_db(fields=["stock_quantity"])
    return obj.stock_quantity


def test_deduct_takes_product_and_variant_stock_and_merges_lines():
    product = ProductFactory(stock_quantity=10)
    variant = ProductVariantFactory(product=product, stock_quantity=5)

    with transaction.atomic():
        stock_deduct(lines=[StockLine(product.id, 2), StockLine(product.id, 3),
                            StockLine(product.id, 4, variant_id=variant.id)])

    assert stock_of(product) == 5  # variant lines leave the product's own stock alone
    assert stock_of(variant) == 1


def test_every_shortage_is_reported_together_and_nothing_is_taken():
    short = ProductFactory(name="Lamp", stock_quantity=1)
    inactive = ProductFactory(name="Old Lamp", is_active=False, stock_quantity=50)
    fine = ProductFactory(name="Bulb", stock_quantity=9)
    variant = ProductVariantFactory(product=fine, name="Warm", stock_quantity=0)

    with pytest.raises(InsufficientStock) as excinfo, transaction.atomic():
        stock_deduct(lines=[StockLine(fine.id, 2), StockLine(short.id, 3), StockLine(inactive.id, 1),
                            StockLine(fine.id, 1, variant_id=variant.id)])

    error = excinfo.value
    assert [(s.product_id, s.variant_id, s.reason, s.requested, s.available) for s in error.shortages] == [
        (short.id, None, "insufficient_stock", 3, 1),
        (inactive.id, None, "unavailable", 1, 0),
        (fine.id, variant.id, "insufficient_stock", 1, 0),
    ]
    assert error.code == "insufficient_stock"
    assert "Lamp" in error.message and "Old Lamp" in error.message and "Bulb (Warm)" in error.message
    assert len(error.extra["shortages"]) == 3
    assert stock_of(fine) == 9  # the successful line was rolled back with the transaction


def test_deleted_products_and_variants_are_unavailable():
    deleted = ProductFactory(is_deleted=True, stock_quantity=5)
    variant = ProductVariantFactory(is_deleted=True, is_active=False, stock_quantity=5)
    on_deleted_product = ProductVariantFactory(product=ProductFactory(is_deleted=True), stock_quantity=5)

    with pytest.raises(InsufficientStock) as excinfo, transaction.atomic():
        stock_deduct(lines=[StockLine(deleted.id, 1), StockLine(variant.product_id, 1, variant_id=variant.id),
                            StockLine(on_deleted_product.product_id, 1, variant_id=on_deleted_product.id)])

    assert [s.reason for s in excinfo.value.shortages] == ["unavailable"] * 3


def test_unknown_ids_are_unavailable_not_errors():
    with pytest.raises(InsufficientStock) as excinfo, transaction.atomic():
        stock_deduct(lines=[StockLine(999_999, 1), StockLine(1, 1, variant_id=999_999)])

    assert [(s.reason, s.available) for s in excinfo.value.shortages] == [("unavailable", 0), ("unavailable", 0)]


@pytest.mark.parametrize("quantity", [0, -1])
def test_non_positive_quantities_are_refused(quantity):
    product = ProductFactory(stock_quantity=3)

    with pytest.raises(ApplicationError) as excinfo:
        stock_deduct(lines=[StockLine(product.id, quantity)])

    assert excinfo.value.code == "invalid_quantity"
    assert stock_of(product) == 3


def test_restore_gives_stock_back_even_to_inactive_or_deleted_products():
    product = ProductFactory(stock_quantity=0, is_deleted=True, is_active=False)
    variant = ProductVariantFactory(stock_quantity=0, is_active=False)

    with transaction.atomic():
        stock_restore(lines=[StockLine(product.id, 2), StockLine(variant.product_id, 3, variant_id=variant.id)])

    assert stock_of(product) == 2
    assert stock_of(variant) == 3


def test_exact_stock_can_be_taken_to_zero():
    product = ProductFactory(stock_quantity=2)

    with transaction.atomic():
        stock_deduct(lines=[StockLine(product.id, 2)])

    assert stock_of(product) == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_checkouts_never_oversell():
    product = ProductFactory(stock_quantity=3)
    variant = ProductVariantFactory(product=product, stock_quantity=3)

    def buy(line: StockLine) -> str:
        with transaction.atomic():
            stock_deduct(lines=[line])
        return "ok"

    lines = [StockLine(product.id, 1)] * 6 + [StockLine(product.id, 1, variant_id=variant.id)] * 6
    results = run_concurrently(*[partial(buy, line) for line in lines])
    outcomes = ["short" if isinstance(result, InsufficientStock) else result for result in results]

    assert outcomes.count("ok") == 6
    assert outcomes.count("short") == 6
    assert Product.objects.get(pk=product.pk).stock_quantity == 0
    assert ProductVariant.objects.get(pk=variant.pk).stock_quantity == 0


@pytest.mark.parametrize("count", [1, 5])
def test_deduct_and_restore_cost_one_statement_per_kind_whatever_the_number_of_lines(
    count, django_assert_num_queries
):
    products = [ProductFactory(stock_quantity=10, low_stock_threshold=0) for _ in range(count)]
    variants = [ProductVariantFactory(stock_quantity=10, product__low_stock_threshold=0) for _ in range(count)]
    lines = [StockLine(p.id, 2) for p in products] + [StockLine(v.product_id, 3, variant_id=v.id) for v in variants]

    with transaction.atomic():
        with django_assert_num_queries(2):  # the product lines, the variant lines
            stock_deduct(lines=lines)
        with django_assert_num_queries(2):
            stock_restore(lines=lines[:1] + lines[-1:])

    assert [stock_of(p) for p in products] == [10] + [8] * (count - 1)
    assert [stock_of(v) for v in variants] == [7] * (count - 1) + [10]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_multi_line_checkouts_over_overlapping_products_neither_deadlock_nor_oversell():
    products = [ProductFactory(stock_quantity=3) for _ in range(4)]
    ids = [p.id for p in products]
    baskets = [ids[:3], ids[1:], list(reversed(ids)), ids[::2]] * 3  # overlapping sets, given in any order

    def buy(basket: list[int]) -> str:
        with transaction.atomic():
            stock_deduct(lines=[StockLine(pk, 1) for pk in basket])
        return "ok"

    results = run_concurrently(*[partial(buy, basket) for basket in baskets])
    errors = [r for r in results if not isinstance(r, InsufficientStock) and r != "ok"]
    assert errors == []  # no deadlock, no lock timeout, no check-constraint error
    sold = dict.fromkeys(ids, 0)
    for basket, result in zip(baskets, results, strict=True):
        if result == "ok":
            for pk in basket:
                sold[pk] += 1
    assert all(count <= 3 for count in sold.values())
    assert {pk: Product.objects.get(pk=pk).stock_quantity for pk in ids} == {pk: 3 - sold[pk] for pk in ids}
