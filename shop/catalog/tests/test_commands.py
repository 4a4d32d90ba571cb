import pytest
from django.core.management import call_command

from shop.catalog.models import Category, Product, ProductImage, ProductVariant

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_realistic(api_client):
    call_command("seed_demo", stdout=None)
    counts = (Category.objects.count(), Product.objects.count(), ProductImage.objects.count(),
              ProductVariant.objects.count())
    call_command("seed_demo", stdout=None)

    assert (Category.objects.count(), Product.objects.count(), ProductImage.objects.count(),
            ProductVariant.objects.count()) == counts
    assert counts[0] >= 4 and counts[1] >= 50
    assert ProductImage.objects.filter(is_primary=True).count() == counts[1]
    shirt = api_client.get("/products/organic-cotton-t-shirt/").json()
    assert len(shirt["variants"]) == 8
    assert {"size", "colour"} == set(shirt["variants"][0]["options"])
    # Products without options are sold as themselves: no nameless stand-in variant to pick.
    assert api_client.get("/products/sleeping-bag/").json()["variants"] == []
    assert set(ProductVariant.objects.values_list("product__slug", flat=True)) == {
        "organic-cotton-t-shirt", "merino-wool-sweater", "rain-jacket", "running-shoes", "denim-jeans",
        "canvas-sneakers", "linen-shirt", "puffer-vest", "yoga-mat"}
    assert api_client.get("/products/", {"search": "espresso"}).json()["count"] >= 1


def test_seed_catalog_bulk_creates_n_products_each_run():
    call_command("seed_catalog", products=250, batch_size=100, stdout=None)
    call_command("seed_catalog", products=30, stdout=None)

    assert Product.objects.count() == 280
    assert ProductImage.objects.count() == 280
    assert ProductVariant.objects.count() == 3 * Product.objects.filter(pk__in=[
        pk for pk in Product.objects.values_list("pk", flat=True) if pk % 10 == 0]).count()
    assert not Product.objects.filter(category__isnull=True).exists()
