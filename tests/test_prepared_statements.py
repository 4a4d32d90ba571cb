"""On PostgreSQL a statement the API runs a third time on a connection is prepared on the server
(``DB_PREPARED_STATEMENTS``, on by default): PostgreSQL then neither parses nor plans it again (bench/README.md
section 18)."""

import pytest
from django.db import connection

from shop.catalog.models import Product

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_query_run_three_times_is_prepared_and_its_parameters_are_bound_on_the_server():
    query = Product.objects.filter(pk__in=[7, 8, 9]).values_list("pk")
    for _ in range(2):
        list(query.all())
    assert not [sql for sql in _prepared() if '"catalog_product"' in sql]  # psycopg: prepared after 2 runs
    list(query.all())

    prepared = [sql for sql in _prepared() if '"catalog_product"' in sql]

    assert len(prepared) == 1, prepared
    assert "IN ($1, $2, $3)" in prepared[0]  # bound by the server: the values are not in the statement's text
