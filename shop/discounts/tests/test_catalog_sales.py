"""Sale prices in product answers, and cached catalog pages that switch at a sale's start and end by themselves."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shop.catalog.tests.factories import CategoryFactory, ProductFactory, ProductVariantFactory
from shop.discounts.models import Promotion
from shop.discounts.tests.factories import PromotionFactory

pytestmark = pytest.mark.django_db


def test_products_show_the_sale_price_beside_the_regular_one(api_client):
    category = CategoryFactory()
    shirt = ProductFactory(price=Decimal("20.00"), category=category)
    ProductVariantFactory(product=shirt, price_override=Decimal("30.00"))
    plain = ProductFactory(price=Decimal("9.99"))
    PromotionFactory(categories=[category], value=Decimal("25"))
    PromotionFactory(products=[shirt], kind="fixed", value=Decimal("3.00"))  # less off than 25 %: not the best

    body = api_client.get(f"/products/{shirt.slug}/").json()
    listed = {item["id"]: item for item in api_client.get("/products/").json()["results"]}

    assert (body["price"], body["sale_price"]) == ("20.00", "15.00")
    assert (body["variants"][0]["price"], body["variants"][0]["sale_price"]) == ("30.00", "22.50")
    assert listed[shirt.pk]["sale_price"] == "15.00"
    assert (listed[plain.pk]["price"], listed[plain.pk]["sale_price"]) == ("9.99", None)
    category_page = api_client.get(f"/products/categories/{category.slug}/").json()
    assert category_page["products"][0]["sale_price"] == "15.00"


def test_a_cached_page_switches_at_the_start_and_end_of_a_sale_without_a_write(api_client):
    product = ProductFactory(price=Decimal("10.00"))
    now = timezone.now()
    starts, ends = now + timedelta(seconds=2), now + timedelta(seconds=4)
    Promotion.objects.create(name="Flash", kind="percentage", value=Decimal("50"), starts_at=starts, ends_at=ends)
    Promotion.objects.get().products.set([product])  # rows written directly: no cache invalidation at all

    url = f"/products/{product.slug}/"
    before = api_client.get(url)
    assert (before["X-Cache"], before.json()["sale_price"]) == ("MISS", None)
    assert api_client.get(url)["X-Cache"] == "HIT"

    time.sleep(max(0.0, (starts - timezone.now()).total_seconds()) + 0.1)
    during = api_client.get(url)
    assert during.json()["sale_price"] == "5.00"
    assert during["X-Cache"] == "MISS"
    # A client holding the old answer asks "modified since?": it was.
    assert api_client.get(url, HTTP_IF_MODIFIED_SINCE=before["Last-Modified"]).status_code == 200
    assert api_client.get(url, HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 200
    assert api_client.get(url, HTTP_IF_NONE_MATCH=during["ETag"]).status_code == 304

    time.sleep(max(0.0, (ends - timezone.now()).total_seconds()) + 0.1)
    after = api_client.get(url)
    assert after.json()["sale_price"] is None


def test_staff_promotion_writes_show_at_once(api_client, staff_client, django_capture_on_commit_callbacks):
    product = ProductFactory(price=Decimal("10.00"))
    url = f"/products/{product.slug}/"
    assert api_client.get(url).json()["sale_price"] is None

    with django_capture_on_commit_callbacks(execute=True):  # the catalog cache moves on after commit
        response = staff_client.post("/discounts/promotions/", {
            "name": "Now", "value": "10", "products": [product.pk],
            "starts_at": (timezone.now() - timedelta(minutes=1)).isoformat()}, format="json")
    assert response.status_code == 201

    assert api_client.get(url).json()["sale_price"] == "9.00"


def test_uncached_pages_read_the_promotions_once_per_catalog_version(
    api_client, staff_client, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """The sale prices an uncached page shows are kept per catalog version until the next sale boundary
    (``shop.catalog.cache``): a second page of the same version reads no promotion, and a promotion saved by staff
    moves the version, so the next page shows it."""
    category = CategoryFactory()
    ProductFactory.create_batch(3, category=category, price=Decimal("10.00"))
    PromotionFactory(categories=[category], value=Decimal("10"), ends_at=timezone.now() + timedelta(hours=1))
    assert api_client.get("/products/", {"page_size": 1}).json()["results"][0]["sale_price"] == "9.00"

    with django_assert_num_queries(4):  # ids, rows, images, variants: the COUNT and the sale prices are kept
        second = api_client.get("/products/", {"page_size": 1, "page": 2}).json()
    assert second["results"][0]["sale_price"] == "9.00"

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post("/discounts/promotions/", {
            "name": "Deeper", "value": "50", "categories": [category.pk],
            "starts_at": (timezone.now() - timedelta(minutes=1)).isoformat()}, format="json")
    assert response.status_code == 201
    assert api_client.get("/products/", {"page_size": 1, "page": 3}).json()["results"][0]["sale_price"] == "5.00"
