"""The cached read's fast path (shop/catalog/api/cached_reads.py) answers exactly what the full view answers, and
only for anonymous JSON reads; the session layers are skipped on the catalog's paths only."""

import pytest
from rest_framework.test import APIClient
from rest_framework.views import APIView

from shop.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = "/products/"


@pytest.fixture
def drf_requests(monkeypatch):
    """How many requests went through DRF's request cycle (APIView.initialize_request)."""
    built = []
    original = APIView.initialize_request

    def counting(self, request, *args, **kwargs):
        built.append(request.path)
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(APIView, "initialize_request", counting)
    return built


def test_an_anonymous_hit_skips_drfs_request_cycle_and_answers_the_same(api_client, product, drf_requests):
    miss = api_client.get(LIST)
    assert drf_requests == [LIST]

    hit = api_client.get(LIST)

    assert drf_requests == [LIST]  # answered before DRF wrapped the request
    assert (miss["X-Cache"], hit["X-Cache"]) == ("MISS", "HIT")
    assert hit.content == miss.content
    same = ["Content-Type", "ETag", "Last-Modified", "Cache-Control", "Vary", "Allow", "X-Frame-Options",
            "X-Content-Type-Options", "Referrer-Policy"]
    assert {name: hit[name] for name in same} == {name: miss[name] for name in same}
    assert hit["X-Request-ID"] and hit["X-Request-ID"] != miss["X-Request-ID"]


@pytest.mark.parametrize("path", ["/products/{slug}/", "/products/{slug}/variants/", "/products/categories/",
                                  "/products/categories/electronics/", "/api/v1/products/"])
def test_every_cached_public_read_has_the_fast_path(api_client, product, drf_requests, path):
    url = path.format(slug=product.slug)
    first, second = api_client.get(url), api_client.get(url)

    assert first.status_code == second.status_code == 200
    assert second["X-Cache"] == "HIT"
    assert drf_requests == [url]


def test_a_hit_answers_304_to_its_etag_on_the_fast_path(api_client, product, drf_requests):
    etag = api_client.get(LIST)["ETag"]

    conditional = api_client.get(LIST, HTTP_IF_NONE_MATCH=etag)

    assert conditional.status_code == 304
    assert conditional.content == b""
    assert drf_requests == [LIST]


def test_a_credential_always_takes_the_full_view(api_client, product, drf_requests):
    api_client.get(LIST)

    bad_token = APIClient().get(LIST, HTTP_AUTHORIZATION="Bearer not-a-token")
    bad_cookie = APIClient()
    bad_cookie.cookies["access_token"] = "not-a-token"
    from_cookie = bad_cookie.get(LIST)

    assert bad_token.status_code == 401
    assert from_cookie.status_code == 401
    assert len(drf_requests) == 3


def test_unacceptable_formats_are_refused_as_before(api_client, product):
    api_client.get(LIST)

    assert api_client.get(LIST, HTTP_ACCEPT="text/html").status_code == 406
    unknown_format = api_client.get(LIST, {"format": "xml"})  # 406 as every route answers it (shop/core/negotiation.py)
    assert (unknown_format.status_code, unknown_format.json()["code"]) == (406, "not_acceptable")
    assert api_client.get(LIST, HTTP_ACCEPT="text/html, */*;q=0.8")["X-Cache"] == "HIT"


def test_a_customer_and_staff_still_read_through_the_full_view(user_client, manager_client, product, drf_requests):
    assert user_client.get(LIST).status_code == 200
    assert user_client.get(LIST)["X-Cache"] == "HIT"
    assert manager_client.get(LIST)["Cache-Control"] == "private, no-store"
    assert len(drf_requests) == 3


@pytest.mark.usefixtures("fresh_rate_window")
def test_an_anonymous_client_over_its_rate_gets_429_and_is_counted_once(api_client, product, monkeypatch):
    from shop.catalog.api.throttling import CatalogAnonThrottle

    monkeypatch.setattr(CatalogAnonThrottle, "THROTTLE_RATES", {"anon": "2/min"})

    statuses = [api_client.get(LIST).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert api_client.get(LIST).json()["code"] == "throttled"


def test_catalog_paths_skip_sessions_while_the_admin_keeps_them(client, product):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)

    catalog = client.get(LIST)
    page = client.get("/admin/catalog/product/")

    assert catalog.status_code == 200
    assert not catalog.wsgi_request.__dict__.get("session")
    assert not hasattr(catalog.wsgi_request, "user") or catalog.wsgi_request.user.is_anonymous
    assert page.status_code == 200
    assert page.wsgi_request.user == admin
