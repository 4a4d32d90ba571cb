"""Statements bound and prepared on the server by default, and the ones too large to bind there still run
(shop/core/pg_binding.py): the protocol carries at most 65,535 parameters in one statement."""

import pytest
from django.db import connection

from shop.catalog.models import Product
from shop.catalog.tests.factories import ProductFactory
from shop.core.pg_binding import MAX_BOUND_PARAMETERS
from shop.discounts.models import VoucherCode
from shop.discounts.tests.factories import VoucherFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

OVER_THE_LIMIT = MAX_BOUND_PARAMETERS + 5_000


def test_a_statement_run_again_on_a_connection_is_prepared_on_the_server():
    product = ProductFactory()
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    for _ in range(3):
        assert Product.objects.filter(pk=product.pk).count() == 1

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                       ['%FROM "catalog_product"%'])
        assert cursor.fetchone()[0] >= 1


def test_a_voucher_with_more_codes_than_one_statement_can_bind_is_created_and_deleted(staff_client):
    voucher = VoucherFactory(code="FIRST")
    VoucherCode.objects.bulk_create(
        VoucherCode(voucher=voucher, code=f"BULK{number:06d}") for number in range(OVER_THE_LIMIT))

    deleted = staff_client.delete(f"/api/v1/discounts/vouchers/{voucher.pk}/")

    assert deleted.status_code == 204, deleted.content
    assert not VoucherCode.objects.filter(voucher_id=voucher.pk).exists()


def test_values_sent_in_the_text_are_quoted_exactly():
    wanted = ProductFactory(name="O'Brien's 50% off; DROP TABLE x --")
    ProductFactory(name="another")
    names = [f"name {number}" for number in range(OVER_THE_LIMIT)] + [wanted.name]

    found = list(Product.objects.filter(name__in=names).values_list("pk", flat=True))

    assert found == [wanted.pk]
