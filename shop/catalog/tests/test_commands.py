import pytest
from django.core.management import call_command

from shop.catalog.models import Product, ProductImage, ProductVariant

pytestmark = pytest.mark.django_db


def test_seed_catalog_bulk_creates_n_products_each_run():
    call_command("seed_catalog", products=250, batch_size=100, stdout=None)
    call_command("seed_catalog", products=30, stdout=None)

    assert Product.objects.count() == 280
    assert ProductImage.objects.count() == 280
    assert ProductVariant.objects.count() == 3 * Product.objects.filter(pk__in=[
        pk for pk in Product.objects.values_list("pk", flat=True) if pk % 10 == 0]).count()
    assert not Product.objects.filter(category__isnull=True).exists()
