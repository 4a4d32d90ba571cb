"""The list pages' product builder (``shop.catalog.api.product_rows``) answers exactly what ``ProductOutput`` does.

The builder exists only for speed (its module says why); this is the test that keeps it the serializer's twin:
the same rendered bytes for every shape a product answer takes, for the public and for catalog staff, in two
currencies, and through the API.
"""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from shop.catalog import selectors
from shop.catalog.api.product_rows import product_page_output
from shop.catalog.api.serializers import ProductOutput, output_context
from shop.catalog.models import Product, ProductImage
from shop.discounts.tests.factories import PromotionFactory
from shop.pricing.models import TaxClass

from .factories import CategoryFactory, ProductFactory, ProductImageFactory, ProductVariantFactory
from .test_image_urls import jpeg_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(settings, tmp_path):
    """Products of every shape a product answer has."""
    settings.MEDIA_ROOT = tmp_path
    settings.PUBLIC_BASE_URL = ""
    settings.ALLOWED_HOSTS = ["shop.test", "testserver"]
    reduced, _ = TaxClass.objects.get_or_create(code="reduced", defaults={"name": "Reduced"})
    zero, _ = TaxClass.objects.get_or_create(code="zero", defaults={"name": "Zero"})
    on_sale, plain = CategoryFactory(name="Sale & Co", slug="sale"), CategoryFactory(name="Plain", slug="plain")

    ProductFactory(category=plain, name="Bare", description="", price=Decimal("0.50"), stock_quantity=0)
    pictured = ProductFactory(
        category=plain, name="Pictured", tax_class=reduced, low_stock_threshold=3, price=Decimal("12.345")
    )
    ProductImageFactory(product=pictured, image_url="https://cdn.example/a.jpg")
    uploaded = ProductImage(product=pictured, is_primary=True)
    uploaded.image.save("pictured-main.jpg", ContentFile(jpeg_bytes()), save=True)
    ProductImageFactory(product=pictured, image_url="/static/relative.png")

    shirt = ProductFactory(category=on_sale, name="Shirt ünïcode", price=Decimal("20.00"), stock_quantity=99)
    ProductVariantFactory(
        product=shirt,
        price_override=Decimal("30.00"),
        options={"size": "L", "colour": "red"},
        tax_class=zero,
        stock_quantity=2,
    )
    ProductVariantFactory(product=shirt, options={}, barcode="", stock_quantity=0)
    ProductVariantFactory(product=shirt, is_active=False, stock_quantity=7)  # staff see it, the public do not
    ProductVariantFactory(product=shirt, is_deleted=True, deleted_at=timezone.now(), stock_quantity=11)

    only_hidden = ProductFactory(category=on_sale, name="Only hidden variants", stock_quantity=4)
    ProductVariantFactory(product=only_hidden, is_active=False, stock_quantity=3)
    only_deleted = ProductFactory(category=plain, name="Only deleted variants", stock_quantity=6)
    ProductVariantFactory(product=only_deleted, is_deleted=True, deleted_at=timezone.now(), stock_quantity=5)
    fixed = ProductFactory(category=plain, name="Fixed off", price=Decimal("9.99"))

    ProductFactory(category=plain, name="Inactive", is_active=False)
    orphan = ProductFactory(category=None, name="Deleted, no category", is_deleted=True, deleted_at=timezone.now())
    ProductImageFactory(product=orphan)

    PromotionFactory(categories=[on_sale], value=Decimal("25"))
    PromotionFactory(products=[fixed], kind="fixed", value=Decimal("3.00"))
    PromotionFactory(products=[pictured], value=Decimal("50"), starts_at=timezone.now() + timedelta(days=1))
    Product.objects.filter(pk=fixed.pk).update(updated_at=timezone.now() - timedelta(days=400, microseconds=5))


def _both(shape, *, staff: bool) -> tuple[bytes, bytes]:
    """The page ``shape(products)`` built by the list pages' way (rows of ``product_list_queryset``) and by
    ``ProductOutput`` over ``product_queryset``, rendered."""
    request = APIRequestFactory().get("/products/", HTTP_HOST="shop.test")
    listed = shape(selectors.product_list_queryset(staff=staff, include_deleted=True))
    built = product_page_output(selectors.product_page_rows(listed, staff=staff), output_context(request))
    products = shape(selectors.product_queryset(staff=staff, include_deleted=True))
    serialized = ProductOutput(list(products), many=True, context=output_context(request)).data
    renderer = JSONRenderer()
    return renderer.render(built), renderer.render(serialized)


@pytest.mark.parametrize("currency", ["EUR", "JPY"])
@pytest.mark.parametrize("staff", [False, True])
def test_the_builder_answers_the_serializers_bytes(catalog, settings, currency, staff):
    settings.SHOP_CURRENCY = currency
    built, serialized = _both(lambda products: products, staff=staff)

    assert built == serialized
    assert b'"sale_price":"15.00"' in built or currency == "JPY"
    assert (b"/media/products/" in built) and (b"Only hidden variants" in built) and (b"Only deleted" in built)
    assert (b"Deleted, no category" in built) == staff


def test_a_search_page_in_rank_order_and_an_empty_page(catalog):
    def shape(products):
        return products.filter(name__icontains="i").order_by("-price", "id")

    built, serialized = _both(shape, staff=False)
    empty_built, empty_serialized = _both(lambda products: shape(products).none(), staff=False)

    assert built == serialized
    assert empty_built == empty_serialized == b"[]"


def test_the_list_answers_what_the_serializer_does(catalog, api_client, manager_client):
    request = APIRequestFactory().get("/products/")
    for client, staff in ((api_client, False), (manager_client, True)):
        expected = ProductOutput(
            selectors.product_queryset(staff=staff), many=True, context=output_context(request)
        ).data

        body = client.get("/products/?page_size=100").json()

        assert body["count"] == len(expected)
        assert body["results"] == json.loads(JSONRenderer().render(expected))
