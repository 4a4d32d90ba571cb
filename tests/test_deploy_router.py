"""Read-replica routing decisions (config/db_router.py), checked against a `replica` alias that mirrors `default`.

The alias is added for the test only, like `DATABASE_REPLICA_URL` with `TEST: {"MIRROR": "default"}` would; the
assertions look at which alias Django picks (`QuerySet.db`), so no query ever needs a second database.
"""

import pytest
from django.db import connections, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from config.celery import app as celery_app
from config.db_router import PrimaryPinningMiddleware, PrimaryReplicaRouter, primary_pinning_scope
from shop.accounts.models import User
from shop.catalog.models import Category, Product, ProductVariant
from shop.core.compiled import CompiledIdsQuery


@pytest.fixture
def replica():
    """A `replica` alias for this test only (restoring whatever DATABASE_REPLICA_URL configured before)."""
    previous = connections.settings.get("replica")
    connections.settings["replica"] = {**connections.settings["default"], "TEST": {"MIRROR": "default"}}
    yield "replica"
    if previous is None:
        del connections.settings["replica"]
    else:
        connections.settings["replica"] = previous


@pytest.fixture
def no_replica():
    previous = connections.settings.pop("replica", None)
    yield
    if previous is not None:
        connections.settings["replica"] = previous


@pytest.mark.django_db(transaction=True)
def test_without_a_replica_every_read_goes_to_the_primary(no_replica):
    assert Product.objects.all().db == "default"
    assert PrimaryReplicaRouter().db_for_read(Category) == "default"


@pytest.mark.django_db(transaction=True)
def test_catalog_read_outside_a_transaction_goes_to_the_replica(replica):
    assert Product.objects.all().db == "replica"
    assert ProductVariant.objects.all().db == "replica"
    assert PrimaryReplicaRouter().db_for_read(Category) == "replica"


@pytest.mark.django_db(transaction=True)
def test_catalog_read_inside_a_transaction_goes_to_the_primary(replica):
    with transaction.atomic():
        assert Product.objects.all().db == "default"
    assert Product.objects.all().db == "replica"


@pytest.mark.django_db(transaction=True)
def test_other_apps_always_read_from_the_primary(replica):
    assert User.objects.all().db == "default"


@pytest.mark.django_db(transaction=True)
def test_writes_always_go_to_the_primary_and_are_never_migrated_on_the_replica(replica):
    router = PrimaryReplicaRouter()
    assert router.db_for_write(Product) == "default"
    assert router.allow_migrate("replica", "catalog") is False
    assert router.allow_migrate("default", "catalog") is True


@pytest.mark.django_db(transaction=True)
def test_after_a_write_the_same_unit_of_work_reads_from_the_primary(replica):
    with primary_pinning_scope():
        assert Product.objects.all().db == "replica"
        Category.objects.create(name="Shoes", slug="shoes")
        assert Product.objects.all().db == "default"
    # The next unit of work starts clean.
    with primary_pinning_scope():
        assert Product.objects.all().db == "replica"


@pytest.mark.django_db(transaction=True)
def test_a_request_that_wrote_reads_its_own_writes_and_the_next_request_does_not_inherit_that(replica):
    def view(request):
        before = Product.objects.all().db
        if request.method == "POST":
            Category.objects.create(name="Hats", slug="hats")
        return HttpResponse(f"{before},{Product.objects.all().db}")

    middleware = PrimaryPinningMiddleware(view)
    factory = RequestFactory()
    assert middleware(factory.post("/")).content == b"replica,default"
    assert middleware(factory.get("/")).content == b"replica,replica"


@pytest.mark.django_db(transaction=True)
def test_a_celery_task_that_wrote_reads_its_own_writes(replica):
    @celery_app.task(name="tests.deploy.write_then_route")
    def write_then_route():
        before = Product.objects.all().db
        Category.objects.create(name="Bags", slug="bags")
        return before, Product.objects.all().db

    assert write_then_route.delay().get() == ("replica", "default")
    assert Product.objects.all().db == "replica"


@pytest.mark.django_db(transaction=True)
def test_queries_compiled_once_go_where_the_orm_sends_them(replica):
    """shop.core.compiled picks the alias as ``QuerySet.db`` does: a catalog read to the replica, a row lock (a
    ``select_for_update``, e.g. the order and payment locks of every checkout) to the primary."""
    reads = CompiledIdsQuery(Product, lambda ids: Product.objects.filter(pk__in=ids))
    locks = CompiledIdsQuery(Product, lambda ids: Product.objects.select_for_update().filter(pk__in=ids))
    assert reads._alias() == Product.objects.all().db == "replica"
    assert locks._alias() == Product.objects.select_for_update().db == "default"
