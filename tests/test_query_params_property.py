"""Issue 11.4: no query parameter of any list endpoint can cause a 500.

The list endpoints and their parameters come from the OpenAPI schema (drf-spectacular's generator, in process),
so a new list or a new parameter is covered without touching this test, and a parameter a list reads but the
schema does not declare shows up as an endpoint answering outside {200, 400}. Hypothesis drives every declared
query parameter with arbitrary text (empty, commas, unicode, NUL...) as a customer and as staff.
"""

from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from shop.accounts.tests.factories import AddressFactory, UserFactory
from shop.catalog.tests.factories import CategoryFactory, ProductFactory, ProductVariantFactory
from shop.discounts.tests.factories import VoucherFactory
from shop.orders.tests.factories import place_order

pytestmark = pytest.mark.django_db


def _list_operations() -> dict[str, list[dict]]:
    """``{path: [query parameter objects]}`` of every list: a GET that declares query parameters, ``page`` among
    them (the /api/v1/ twins serve the same views and are left out; a guest order's ``?token=`` is no list)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = {}
    for path, item in schema["paths"].items():
        operation = item.get("get")
        if path.startswith("/api/v1/") or operation is None:
            continue
        query = [param for param in operation.get("parameters", []) if param["in"] == "query"]
        if any(param["name"] == "page" for param in query):
            found[path] = query
    return found


OPERATIONS = _list_operations()
LISTS = sorted(OPERATIONS)


def _choices(param: dict) -> list[str]:
    schema = param["schema"]
    return [str(value) for value in schema.get("enum") or schema.get("items", {}).get("enum") or []]


def test_the_schema_declares_every_list_and_its_parameters():
    declared = {path: {param["name"] for param in params} for path, params in OPERATIONS.items()}
    page = {"page", "page_size"}

    assert declared == {
        "/auth/addresses/": page,
        "/auth/users/": page,
        "/discounts/promotions/": page,
        "/discounts/vouchers/": page,
        "/discounts/vouchers/{id}/codes/": page,
        "/events/": page | {"after", "type", "resource", "resource_id"},
        "/orders/": page | {"status"},
        "/orders/admin/": page | {"status", "user", "created_from", "created_to"},
        "/payments/": page | {"status"},
        "/pricing/tax-rates/": page | {"country", "tax_class"},
        "/products/": page | {"category", "category__slug", "is_active", "search", "ordering", "min_price",
                              "max_price", "in_stock", "deleted"},
        "/products/categories/": page,
        "/products/{slug}/variants/": page | {"deleted"},
        "/webhook-deliveries/": page | {"endpoint", "status", "event_type", "webhook_id"},
        "/webhooks/": page,
    }
    ordering = next(param for param in OPERATIONS["/products/"] if param["name"] == "ordering")
    assert set(_choices(ordering)) == {"price", "-price", "created_at", "-created_at", "name", "-name"}


@pytest.fixture
def world(db):
    """A customer with an order, an address and a payment-less history; staff; a product with variants."""
    customer = UserFactory()
    staff = UserFactory(is_staff=True, is_superuser=True)
    category = CategoryFactory(slug="hats")
    product = ProductFactory(category=category, slug="hat", stock_quantity=5)
    ProductVariantFactory(product=ProductFactory(category=category, slug="shirt"), stock_quantity=2)
    place_order(user=customer, product=product)
    AddressFactory(user=customer)
    voucher = VoucherFactory()
    clients = {}
    for role, user in (("customer", customer), ("staff", staff)):
        clients[role] = APIClient()
        clients[role].force_authenticate(user)
    return {"clients": clients, "path_args": {"slug": product.slug, "id": str(voucher.pk)}}


def _url(path: str, path_args: dict) -> str:
    for name, value in path_args.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"no value for a path parameter of {path}"
    return path


def _check(response, path: str, query: dict, baseline: int) -> None:
    status = response.status_code
    if baseline in (401, 403):  # not this role's list: refused before any parameter is read
        assert status == baseline, (path, query, status, response.content[:300])
        return
    assert status in (200, 400), (path, query, status, response.content[:300])
    body = response.json()
    if status == 200:
        assert set(body) == {"count", "next", "previous", "results"}, body
        return
    assert set(body) == {"detail", "code", "errors"} and body["code"] == "invalid", body
    assert body["errors"] and set(body["errors"]) <= set(query), (query, body)
    assert any(body["detail"].startswith(f"{name}: ") for name in body["errors"]), body
    for param in OPERATIONS[path]:
        if param["name"] in body["errors"] and _choices(param):
            message = " ".join(body["errors"][param["name"]])
            missing = [choice for choice in _choices(param) if choice not in message]
            assert not missing, (param["name"], message)


ODD = ["", ",", "price,,name", "price,", "-", "\x00", "a\x00b", "ü", "1e400", "NaN", "-1", "99999999999999999999",
       "true,false", " ", "%", "%(value)s"]


@pytest.mark.parametrize("role", ["customer", "staff"])
@pytest.mark.parametrize("path", LISTS)
def test_every_list_parameter_answers_200_or_a_400_naming_it(world, path, role):
    client = world["clients"][role]
    url = _url(path, world["path_args"])
    names = [param["name"] for param in OPERATIONS[path]]
    baseline = client.get(url).status_code
    assert baseline in (200, 403), (path, role, baseline)

    @settings(max_examples=40, derandomize=True, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(query=st.fixed_dictionaries({}, optional={name: st.text(max_size=30) for name in names}))
    def drive(query):
        cache.clear()  # throttle counters: a few hundred requests in a row are not what is tested here
        _check(client.get(f"{url}?{urlencode(query)}"), path, query, baseline)

    for name in names:  # every parameter alone with the inputs that broke lists before
        for value in ODD:
            example(query={name: value})(drive)
    drive()


def _page_size(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


@pytest.mark.parametrize("path", LISTS)
def test_page_size_is_a_whole_number_from_1_or_a_400_naming_it(world, path):
    """On every paginated list: a whole number from 1 gives a page of that many rows (at most 100); anything else
    (text, 0, negative, a fraction, empty) is a 400 naming ``page_size``, never the default size in silence."""
    client = world["clients"]["staff"]
    url = _url(path, world["path_args"])

    @settings(max_examples=60, derandomize=True, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(size=st.one_of(st.text(max_size=12), st.integers(-3, 150).map(str)))
    @example(size="abc")
    @example(size="0")
    @example(size="-5")
    @example(size="1")
    @example(size="1000")
    def drive(size):
        cache.clear()
        response = client.get(url, {"page_size": size})
        wanted = _page_size(size)
        body = response.json()
        if wanted is not None and wanted >= 1:
            assert response.status_code == 200, (size, body)
            assert len(body["results"]) == min(body["count"], wanted, 100), (size, body)
            return
        assert response.status_code == 400, (size, body)
        assert set(body["errors"]) == {"page_size"} and body["detail"].startswith("page_size: "), body
        assert body["code"] == "invalid"

    drive()
