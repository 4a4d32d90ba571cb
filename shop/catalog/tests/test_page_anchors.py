"""The plain public list's pages read from anchors (``selectors.public_page_ids``) are the pages ``OFFSET`` reads.

Runs on SQLite and on PostgreSQL (CI runs both): the anchor's time goes back to the database through the field's
own adaptation, which differs between them.
"""

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from shop.catalog import selectors
from shop.catalog.models import Category, Product
from shop.core.compiled import CompiledSliceQuery

pytestmark = pytest.mark.django_db

# A catalog version per call: anchors are kept per version, and each call below reads a catalog it never read.
_versions = count(1_000_000)


def _catalog(size: int, *, tie_every: int = 3) -> list[int]:
    """``size`` products, some inactive or deleted (not listed), every ``tie_every`` of them sharing one time, so
    the id tie-break decides their order; returns the public ids newest first, as the list orders them."""
    category = Category.objects.create(name="Anchors", slug="anchors")
    Product.objects.bulk_create(
        Product(category=category, name=f"P{n}", slug=f"p-{n}", price="1.00", is_active=n % 7 != 3,
                is_deleted=n % 11 == 5)
        for n in range(size)
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    products = list(Product.objects.order_by("id").only("id"))
    for index, product in enumerate(products):
        product.created_at = start + timedelta(seconds=index // tie_every)
    Product.objects.bulk_update(products, ["created_at"], batch_size=500)
    return list(Product.objects.public().order_by("-created_at", "-id").values_list("id", flat=True))


@pytest.fixture
def ordered():
    return _catalog(60)


@hypothesis_settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(offset=st.integers(0, 70), limit=st.integers(1, 12), every=st.integers(1, 9), version=st.booleans())
def test_a_page_from_anchors_is_the_offset_page(ordered, offset, limit, every, version):
    ids = selectors.public_page_ids(offset, limit, version=next(_versions) if version else None, every=every)

    assert ids == ordered[offset:offset + limit]


def test_anchors_found_once_serve_every_page_of_the_version_in_any_order(ordered):
    version = next(_versions)
    for offset in [41, 7, 50, 13, 0, 44, 29, 8, 55]:  # far anchors first, then nearer ones from them
        assert selectors.public_page_ids(offset, 5, version=version, every=4) == ordered[offset:offset + 5]


def test_a_new_version_reads_new_anchors(ordered):
    version = next(_versions)
    assert selectors.public_page_ids(30, 5, version=version, every=4) == ordered[30:35]
    # A catalog write (which moves the version): a product older than every other one, shown last.
    oldest = Product.objects.public().order_by("created_at", "id").first()
    Product.objects.filter(pk=ordered[0]).update(created_at=oldest.created_at - timedelta(days=1))
    now = list(Product.objects.public().order_by("-created_at", "-id").values_list("id", flat=True))

    assert selectors.public_page_ids(30, 5, version=next(_versions), every=4) == now[30:35]


def test_a_page_past_the_end_is_empty(ordered):
    version = next(_versions)

    assert selectors.public_page_ids(len(ordered) + 40, 5, version=version, every=4) == []
    assert selectors.public_page_ids(len(ordered), 5, version=version, every=4) == []


def test_the_api_reads_deep_pages_from_anchors(api_client):
    ordered = _catalog(2_800, tie_every=7)
    assert len(ordered) > 2 * selectors.ANCHOR_EVERY
    last_page = -(-len(ordered) // 10)

    for page in [150, 101, 100, 201, 2, last_page]:
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get("/products/", {"page": page})
        assert response.status_code == 200, response.content
        assert [row["id"] for row in response.json()["results"]] == ordered[(page - 1) * 10:page * 10]
        anchored = [q["sql"] for q in queries.captured_queries if '."created_at", ' in q["sql"] and ") < (" in q["sql"]]
        assert bool(anchored) == (page > 100), (page, [q["sql"] for q in queries.captured_queries])


@pytest.mark.parametrize("build, keyset, message", [
    (lambda: Product.objects.public().values_list("created_at", "pk")[:5], ("-created_at", "-id"), "unsliced"),
    (lambda: Product.objects.public().order_by("price", "id").values_list("price", "pk"), ("-created_at", "-id"),
     "ordered by"),
    (lambda: Product.objects.select_for_update().values_list("created_at", "pk"), ("-created_at", "-id"),
     "locks nothing"),
])
def test_a_slice_query_refuses_what_it_cannot_page(build, keyset, message):
    with pytest.raises(ValueError, match=message):
        CompiledSliceQuery(Product, build, keyset=keyset).rows(0, 1)


def test_a_keyset_must_run_one_way():
    with pytest.raises(ValueError, match="all ascending or all descending"):
        CompiledSliceQuery(Product, lambda: Product.objects.order_by("price", "-id"), keyset=("price", "-id"))


@pytest.mark.parametrize("offset, limit", [(-1, 5), (0, 0)])
def test_a_negative_offset_or_an_empty_limit_is_refused(offset, limit):
    with pytest.raises(ValueError, match="offset must be"):
        selectors.public_page_ids(offset, limit)
