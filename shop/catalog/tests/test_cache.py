"""The public catalog cache: hits, invalidation on every kind of write, conditional requests, failure tolerance."""

import time
from decimal import Decimal

import pytest
from django.core.cache.backends.base import BaseCache
from django.db import transaction
from django.test import RequestFactory, override_settings
from django.utils.http import parse_http_date

from shop.catalog import services
from shop.catalog.cache import cached_public_response, catalog_invalidate, catalog_stock_moved
from shop.catalog.models import Product
from shop.catalog.stock import StockLine, stock_deduct, stock_restore

from .factories import ProductFactory, ProductImageFactory, ProductVariantFactory

pytestmark = pytest.mark.django_db

LIST = "/products/"


def test_second_public_read_is_a_cache_hit_with_no_query(api_client, product, django_assert_num_queries):
    first = api_client.get(LIST)
    with django_assert_num_queries(0):
        second = api_client.get(LIST)

    assert first["X-Cache"] == "MISS"
    assert second["X-Cache"] == "HIT"
    assert second.json() == first.json()
    assert second["ETag"] == first["ETag"]


def test_anonymous_and_customers_share_entries_and_query_order_does_not_matter(api_client, user_client, product):
    api_client.get(LIST, {"ordering": "price", "page_size": 5})

    response = user_client.get(f"{LIST}?page_size=5&ordering=price")

    assert response["X-Cache"] == "HIT"
    assert response.json()["results"][0]["id"] == product.id


def test_different_query_strings_are_different_entries(api_client, category):
    ProductFactory(category=category, slug="a", price=Decimal("1.00"))
    ProductFactory(category=category, slug="b", price=Decimal("2.00"))

    cheap_first = api_client.get(LIST, {"ordering": "price"})
    dear_first = api_client.get(LIST, {"ordering": "-price"})

    assert [p["slug"] for p in cheap_first.json()["results"]] == ["a", "b"]
    assert [p["slug"] for p in dear_first.json()["results"]] == ["b", "a"]
    assert dear_first["X-Cache"] == "MISS"


def _warm(client, *urls):
    for url in urls:
        assert client.get(url).status_code == 200


def test_product_update_is_visible_at_once_in_list_detail_and_category(api_client, staff_client, product, commit):
    urls = (LIST, f"/products/{product.slug}/", f"/products/categories/{product.category.slug}/")
    _warm(api_client, *urls)

    with commit():
        staff_client.patch(f"/products/{product.slug}/", {"name": "Renamed", "price": "7.00"}, format="json")

    listed = api_client.get(LIST)
    assert listed["X-Cache"] == "MISS"
    assert listed.json()["results"][0]["name"] == "Renamed"
    assert api_client.get(urls[1]).json()["price"] == "7.00"
    assert api_client.get(urls[2]).json()["products"][0]["name"] == "Renamed"


def test_create_deactivate_and_delete_are_visible_at_once(api_client, staff_client, category, commit):
    _warm(api_client, LIST)
    with commit():
        staff_client.post(LIST, {"name": "New", "slug": "new", "description": "", "price": "3.00",
                                 "stock_quantity": 1, "category_id": category.id}, format="json")
    assert [p["slug"] for p in api_client.get(LIST).json()["results"]] == ["new"]

    with commit():
        staff_client.patch("/products/new/", {"is_active": False}, format="json")
    assert api_client.get(LIST).json()["count"] == 0
    assert api_client.get("/products/new/").status_code == 404

    with commit():
        staff_client.patch("/products/new/", {"is_active": True}, format="json")
    assert api_client.get("/products/new/").status_code == 200
    with commit():
        staff_client.delete("/products/new/")
    assert api_client.get(LIST).json()["count"] == 0
    assert api_client.get("/products/new/").status_code == 404


def test_image_and_variant_writes_invalidate_the_detail(api_client, staff_client, product, commit):
    detail = f"/products/{product.slug}/"
    _warm(api_client, detail)

    with commit():
        staff_client.post(f"{detail}images/", {"image_url": "https://example.com/new.jpg"}, format="json")
    images = api_client.get(detail).json()["images"]
    assert [i["image_url"] for i in images] == ["https://example.com/new.jpg"]

    with commit():
        staff_client.delete(f"/products/images/{images[0]['id']}/")
    assert api_client.get(detail).json()["images"] == []

    with commit():
        staff_client.post(f"{detail}variants/", {"sku": "V1", "name": "Blue"}, format="json")
    variants = api_client.get(detail).json()["variants"]
    assert [v["sku"] for v in variants] == ["V1"]

    with commit():
        staff_client.patch(f"/products/variants/{variants[0]['id']}/", {"is_active": False}, format="json")
    assert api_client.get(detail).json()["variants"] == []


def test_category_writes_invalidate_categories_and_products(api_client, staff_client, product, commit):
    _warm(api_client, "/products/categories/", LIST)

    with commit():
        staff_client.patch(f"/products/categories/{product.category.slug}/", {"name": "Audio"}, format="json")

    assert api_client.get("/products/categories/").json()["results"][0]["name"] == "Audio"
    assert api_client.get(LIST).json()["results"][0]["category"]["name"] == "Audio"

    with commit():
        staff_client.post("/products/categories/", {"name": "Zed", "slug": "zed"}, format="json")
    assert [c["slug"] for c in api_client.get("/products/categories/").json()["results"]] == [
        product.category.slug, "zed"]


def test_stock_moves_invalidate_only_after_commit(api_client, product):
    variant = ProductVariantFactory(product=product, stock_quantity=4)
    detail = f"/products/{product.slug}/"
    _warm(api_client, detail)

    with transaction.atomic():
        stock_deduct(lines=[StockLine(product_id=product.id, quantity=3),
                            StockLine(product_id=product.id, quantity=1, variant_id=variant.id)])
        # Inside the transaction nothing is invalidated yet: the cache cannot learn uncommitted stock.
        assert api_client.get(detail)["X-Cache"] == "HIT"


def test_stock_deduct_and_restore_show_the_new_stock(api_client, product, commit):
    variant = ProductVariantFactory(product=product, stock_quantity=4)
    detail = f"/products/{product.slug}/"
    _warm(api_client, detail)

    with commit(), transaction.atomic():
        stock_deduct(lines=[StockLine(product_id=product.id, quantity=3),
                            StockLine(product_id=product.id, quantity=1, variant_id=variant.id)])
    body = api_client.get(detail).json()
    assert body["stock_quantity"] == 3  # a product with variants shows (and sells) its variants' stock
    assert body["variants"][0]["stock_quantity"] == 3
    product.refresh_from_db()
    assert product.stock_quantity == 7

    with commit(), transaction.atomic():
        stock_restore(lines=[StockLine(product_id=product.id, quantity=1, variant_id=variant.id)])
    assert api_client.get(detail).json()["stock_quantity"] == 4


@override_settings(CATALOG_STOCK_MAX_LAG=1)
def test_stock_moves_show_within_the_lag_while_content_changes_show_at_once(api_client, staff_client, product, commit):
    detail = f"/products/{product.slug}/"
    _warm(api_client, detail, LIST)

    with commit(), transaction.atomic():
        stock_deduct(lines=[StockLine(product_id=product.id, quantity=2)])
    # The first move after a quiet period shows at once...
    assert api_client.get(detail).json()["stock_quantity"] == 8
    with commit(), transaction.atomic():
        stock_deduct(lines=[StockLine(product_id=product.id, quantity=1)])
    # ...later ones within the lag are served from the cache with the old stock: orders no longer empty it.
    within_lag = api_client.get(detail)
    assert within_lag["X-Cache"] == "HIT"
    assert within_lag.json()["stock_quantity"] == 8
    time.sleep(1.1)
    after_lag = api_client.get(detail)
    assert after_lag["X-Cache"] == "MISS"
    assert after_lag.json()["stock_quantity"] == 7
    assert api_client.get(detail)["X-Cache"] == "HIT"

    with commit(), transaction.atomic():
        stock_deduct(lines=[StockLine(product_id=product.id, quantity=2)])
    with commit():
        staff_client.patch(detail, {"name": "Renamed"}, format="json")
    # A content change is visible at once, and the rebuilt page carries the newer stock too.
    renamed = api_client.get(detail)
    assert renamed["X-Cache"] == "MISS"
    assert renamed.json()["name"] == "Renamed"
    assert renamed.json()["stock_quantity"] == 5
    assert api_client.get(LIST).json()["results"][0]["stock_quantity"] == 5


@override_settings(CATALOG_STOCK_MAX_LAG=1)
def test_a_stream_of_orders_folds_at_most_once_per_lag_and_last_modified_keeps_up_with_the_clock(
    api_client, product, commit
):
    Product.objects.filter(pk=product.pk).update(stock_quantity=1000)
    detail = f"/products/{product.slug}/"
    _warm(api_client, detail)
    states = []
    started = time.time()
    while time.time() - started < 2.5:
        with commit(), transaction.atomic():
            stock_deduct(lines=[StockLine(product_id=product.id, quantity=1)])
        response = api_client.get(detail)
        states.append((response["X-Cache"], response["Last-Modified"]))
        time.sleep(0.02)

    misses = [state for state in states if state[0] == "MISS"]
    assert 1 <= len(misses) <= 3, states  # one rebuild per elapsed lag, not one per order
    assert len(states) - len(misses) >= 20
    last_modified = parse_http_date(states[-1][1])
    assert last_modified <= time.time() + 1  # a steady order stream never pushes Last-Modified into the future
    time.sleep(1.1)
    assert api_client.get(detail).json()["stock_quantity"] == 1000 - len(states)


def test_admin_bulk_activation_invalidates(api_client, category, commit):
    hidden = ProductFactory(category=category, is_active=False)
    _warm(api_client, LIST)

    with commit():
        services.product_set_active(product_ids=[hidden.id], is_active=True)

    assert [p["id"] for p in api_client.get(LIST).json()["results"]] == [hidden.id]


# --- Conditional requests -------------------------------------------------------------------------------------

def test_etag_answers_304_until_a_write(api_client, staff_client, product, commit):
    detail = f"/products/{product.slug}/"
    first = api_client.get(detail)
    etag = first["ETag"]

    not_modified = api_client.get(detail, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == etag

    with commit():
        staff_client.patch(detail, {"description": "New words."}, format="json")

    changed = api_client.get(detail, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed.json()["description"] == "New words."
    assert changed["ETag"] != etag


def test_last_modified_answers_304_until_a_write(api_client, staff_client, product, commit):
    first = api_client.get(LIST)
    last_modified = first["Last-Modified"]

    assert api_client.get(LIST, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304

    with commit():
        staff_client.patch(f"/products/{product.slug}/", {"stock_quantity": 1}, format="json")

    # Even when the write lands within the same second, the version's timestamp moves a whole second on.
    after = api_client.get(LIST, HTTP_IF_MODIFIED_SINCE=last_modified)
    assert after.status_code == 200
    assert after.json()["results"][0]["stock_quantity"] == 1
    assert after["Last-Modified"] != last_modified


def test_categories_carry_validators_too(api_client, category):
    first = api_client.get(f"/products/categories/{category.slug}/")

    assert first.status_code == 200
    assert api_client.get(f"/products/categories/{category.slug}/",
                          HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


# --- Staff bypass, errors -------------------------------------------------------------------------------------

def test_staff_reads_bypass_the_cache_and_never_leak_inactive_products(api_client, manager_client, category):
    ProductFactory(category=category, slug="off", is_active=False)

    staff = manager_client.get(LIST)
    public = api_client.get(LIST)

    assert staff.json()["count"] == 1
    assert "X-Cache" not in staff and staff["Cache-Control"] == "private, no-store"
    assert public.json()["count"] == 0
    assert public["X-Cache"] == "MISS"


def test_errors_are_not_cached(api_client, category):
    assert api_client.get("/products/soon/").status_code == 404

    ProductFactory(category=category, slug="soon")  # created outside the services: no invalidation

    assert api_client.get("/products/soon/").status_code == 200


# --- Cache failures -------------------------------------------------------------------------------------------

class BrokenCache(BaseCache):
    """A cache backend whose server is down: every call raises."""

    def __init__(self, location, params):
        super().__init__(params)

    def _boom(self, *args, **kwargs):
        raise ConnectionError("cache server down")

    add = get = set = delete = incr = get_many = set_many = clear = touch = has_key = _boom


BROKEN = {"default": {"BACKEND": "shop.catalog.tests.test_cache.BrokenCache"}}
DOWN_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


def test_a_raising_cache_never_fails_a_read_or_an_invalidation(product):
    request = RequestFactory().get(LIST)
    with override_settings(CACHES=BROKEN, CATALOG_STOCK_MAX_LAG=5):
        catalog_invalidate(product_ids=(product.id,))
        catalog_stock_moved(product_ids=(product.id,))
        response = cached_public_response(request, scope="products", build=lambda: {"ok": True})

    assert response.status_code == 200
    assert response.content == b'{"ok":true}'
    assert response["X-Cache"] == "BYPASS"
    assert response["ETag"]


def test_the_api_keeps_answering_with_redis_down(api_client, staff_client, product):
    with override_settings(CACHES=DOWN_REDIS):
        listed = api_client.get(LIST)
        patched = staff_client.patch(f"/products/{product.slug}/", {"name": "Still works"}, format="json")
        detail = api_client.get(f"/products/{product.slug}/")

    assert listed.status_code == 200 and listed.json()["count"] == 1
    assert listed["X-Cache"] == "BYPASS"
    assert patched.status_code == 200
    assert detail.status_code == 200 and detail.json()["name"] == "Still works"


def test_invalidation_on_a_cold_cache_starts_a_version(api_client, product):
    from django.core.cache import cache

    cache.clear()
    catalog_invalidate()
    first = cache.get("catalog:version")
    catalog_invalidate(product_ids=(product.id,))

    assert first is not None
    assert cache.get("catalog:version") == first + 1



# --- Read throttling ------------------------------------------------------------------------------------------

@pytest.mark.usefixtures("fresh_rate_window")
def test_public_reads_are_rate_limited_per_client_with_a_fixed_window(api_client, user_client, product, monkeypatch):
    from shop.catalog.api.throttling import CatalogAnonThrottle, CatalogUserThrottle

    monkeypatch.setattr(CatalogAnonThrottle, "THROTTLE_RATES", {"anon": "3/min"})
    monkeypatch.setattr(CatalogUserThrottle, "THROTTLE_RATES", {"user": "5/min"})

    anonymous = [api_client.get(LIST).status_code for _ in range(4)]
    customer = [user_client.get(LIST).status_code for _ in range(6)]

    assert anonymous == [200, 200, 200, 429]
    assert customer == [200] * 5 + [429]
    limited = api_client.get(LIST)
    assert limited.json()["code"] == "throttled"
    assert 0 < int(limited["Retry-After"]) <= 60


@pytest.mark.usefixtures("fresh_rate_window")
def test_staff_reads_and_uncached_reads_are_rate_limited_too(api_client, manager_client, product, monkeypatch):
    from shop.catalog.api.throttling import CatalogAnonThrottle, CatalogUserThrottle

    monkeypatch.setattr(CatalogAnonThrottle, "THROTTLE_RATES", {"anon": "2/min"})
    monkeypatch.setattr(CatalogUserThrottle, "THROTTLE_RATES", {"user": "2/min"})
    image = ProductImageFactory(product=product, is_primary=True)

    staff = [manager_client.get(LIST).status_code for _ in range(3)]
    image_reads = [api_client.get(f"/products/images/{image.id}/").status_code for _ in range(3)]

    assert staff == [200, 200, 429]
    assert image_reads == [200, 200, 429]


def test_an_encoded_ampersand_cannot_poison_another_querys_entry(api_client, category):
    ProductFactory(category=category, slug="match", name="Lamp")

    poisoned = api_client.get("/products/?category__slug=electronics%26search%3Dlamp")
    real = api_client.get("/products/?category__slug=electronics&search=lamp")

    assert poisoned.json()["count"] == 0
    assert real["X-Cache"] == "MISS"
    assert [p["slug"] for p in real.json()["results"]] == ["match"]
