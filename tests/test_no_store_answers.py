"""Answers that carry a customer's order or payment (or an order access token), an account's tokens or details, or
a cart say ``Cache-Control: no-store``: a shared cache or the browser's back/forward cache must never keep what a
session or an access-token URL was shown (for token answers RFC 6749, section 5.1, requires it). So does every other
answer to a signed-in caller or to staff (a tester found staff's payment methods, vouchers, tax rates and shipping
methods answered with no Cache-Control). The public catalog, cached on purpose, does not."""

from decimal import Decimal
from urllib.parse import urlencode, urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from shop.accounts.tests.factories import UserFactory
from shop.catalog.tests.factories import ProductFactory
from shop.core.views import NoStoreMixin
from shop.orders.tests.guests import guest_cart, guest_checkout, guest_order_url
from shop.payments.models import Payment
from tests.security_routes import V1, methods_of
from tests.test_security_bola import TABLE as BOLA_TABLE
from tests.test_security_bola import World
from tests.test_security_function_authz import OPERATIONS, STAFF_OPERATIONS, call

pytestmark = pytest.mark.django_db

# Views answering everyone the same public, non-personal thing: the payment and shipping methods offered, the
# gateways' webhooks (answered to a gateway, with nothing of the order), health, the index and the docs. Nothing
# else is exempt: every authenticated or staff answer (staff's settings, vouchers, tax rates...) is no-store, and
# the catalog's views (public reads cached on purpose) answer staff, and every write, "private, no-store" through
# their base class (``PublicReadsMixin``: ``test_every_get_route_answers_a_signed_in_caller_no_store``).
PUBLIC = {
    "ShippingMethodListApi", "PaymentMethodListApi", "WebhookApi", "HealthApi", "IndexApi", "RedocApi",
}
CATALOG = "shop.catalog."
# Plain Django pages anyone may open, holding nothing personal: the demo storefront's HTML shell (its API calls are
# checked as the API's).
PUBLIC_PAGES = {"StorefrontView"}


def _directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def _no_store(response) -> bool:
    return "no-store" in _directives(response)


@pytest.fixture
def shop(payments_on):
    return ProductFactory(price=Decimal("25.00"), stock_quantity=20)


def _checkout(client, product, path="/orders/checkout/"):
    return client.post(path, {"items": [{"product_id": product.pk, "quantity": 1}], "payment_method": "sandbox"},
                       format="json")


def test_a_customers_checkout_order_reads_and_payment_reads_are_no_store(user_client, other_client, shop):
    placed = _checkout(user_client, shop)
    assert placed.status_code == 201, placed.content
    order_id, payment_id = placed.json()["id"], placed.json()["payment_id"]

    answers = {
        "checkout": placed,
        "read": user_client.get(f"/orders/{order_id}/"),
        "read under /api/v1/": user_client.get(f"/api/v1/orders/{order_id}/"),
        "list": user_client.get("/orders/"),
        "someone else's order (404)": other_client.get(f"/orders/{order_id}/"),
        "payment": user_client.get(f"/payments/{payment_id}/"),
        "order's payment": user_client.get(f"/payments/order/{order_id}/"),
        "create-intent": user_client.post("/payments/create-intent/", {"order_id": order_id,
                                                                      "payment_method": "sandbox"}, format="json"),
        "checkout alias": _checkout(user_client, shop, "/api/shop/checkout/cart"),
    }

    assert {name: response.status_code for name, response in answers.items()} == {
        "checkout": 201, "read": 200, "read under /api/v1/": 200, "list": 200, "someone else's order (404)": 404,
        "payment": 200, "order's payment": 200, "create-intent": 201, "checkout alias": 200}
    assert answers["read"].json()["id"] == order_id
    assert [name for name, response in answers.items() if not _no_store(response)] == []


def test_a_guests_checkout_and_token_reads_are_no_store(shop):
    guest = APIClient()
    placed = guest_checkout(guest, guest_cart(guest, (shop, 1)), payment_method="sandbox")
    assert placed.status_code == 201, placed.content
    order = placed.json()

    by_query = guest.get(guest_order_url(order))
    by_header = guest.get(f"/orders/guest/{order['order_key']}/", HTTP_X_ORDER_TOKEN=order["order_token"])
    payment = guest.get(guest_order_url(order, "payment/"))
    wrong_token = guest.get(f"/orders/guest/{order['order_key']}/?token=not-a-token")

    assert (by_query.status_code, by_header.status_code, payment.status_code, wrong_token.status_code) == (
        200, 200, 200, 404)
    assert by_query.json()["order_key"] == by_header.json()["order_key"] == order["order_key"]
    assert [_no_store(r) for r in (placed, by_query, by_header, payment, wrong_token)] == [True] * 5


def test_tokens_account_and_cart_answers_are_no_store(user, user_client, shop):
    user.set_password("a-long-passphrase-1")
    user.save()
    anonymous = APIClient()
    answers = {
        "token": anonymous.post("/auth/login/", {"email": user.email, "password": "a-long-passphrase-1"},
                                format="json"),
        "register": anonymous.post("/auth/register/", {
            "email": "new@example.com", "first_name": "Ada", "last_name": "L",
            "password": "another-passphrase-2", "password2": "another-passphrase-2"}, format="json"),
        "me": user_client.get("/auth/me/"),
        "addresses": user_client.get("/auth/addresses/"),
        "cart": user_client.get("/cart/"),
        "cart item": user_client.post("/cart/items/", {"product_id": shop.pk, "quantity": 1}, format="json"),
    }

    assert answers["token"].status_code == 200, answers["token"].content
    assert "access" in answers["token"].json()["tokens"]
    assert {name: response.status_code < 300 for name, response in answers.items()} == dict.fromkeys(answers, True)
    assert [name for name, response in answers.items() if not _no_store(response)] == []


def test_webhook_endpoint_answers_carrying_the_signing_secret_are_no_store(staff_client, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    created = staff_client.post("/webhooks/", {"url": "http://127.0.0.1:9/h", "events": ["*"]}, format="json")
    assert created.status_code == 201, created.content
    endpoint = created.json()
    rotated = staff_client.post(f"/webhooks/{endpoint['id']}/rotate-secret/")

    assert created.json()["secret"].startswith("whsec_") and rotated.json()["secret"].startswith("whsec_")
    answers = [created, rotated, staff_client.get("/webhooks/"), staff_client.get(f"/webhooks/{endpoint['id']}/")]
    assert [response.status_code for response in answers] == [201, 200, 200, 200]
    assert all(_no_store(response) for response in answers)


def _press(client, page: str, outcome: str, query: str = ""):
    """A button on the sandbox's hosted page, as a browser submits it (a urlencoded form)."""
    return client.post(page + query, urlencode({"outcome": outcome}),
                       content_type="application/x-www-form-urlencoded")


def test_the_sandbox_page_and_every_answer_of_its_buttons_are_no_store(user_client, shop):
    """The hosted payment page's URL is a bearer token and its POST moves money: the review found the 303 after a
    button without ``no-store`` (a cached redirect replays an outcome), where every API payment answer has it."""
    plain = _checkout(user_client, shop).json()
    returning = user_client.post("/orders/checkout/", {
        "items": [{"product_id": shop.pk, "quantity": 1}], "payment_method": "sandbox",
        "return_url": "http://shop.test/thanks"}, format="json").json()
    page, page_back = (urlsplit(order["next_step"]).path for order in (plain, returning))
    browser = APIClient()  # no Bearer header, no cookie: the token in the URL is the authorisation

    answers = {
        "page": browser.get(page),
        "bad outcome (400)": _press(browser, page, "maybe"),
        "unknown link (404)": browser.get("/payments/sandbox/pay/not-a-token/"),
        "unknown link's button (404)": _press(browser, "/payments/sandbox/pay/not-a-token/", "succeed"),
        "succeed, back to the page (303)": _press(browser, page, "succeed"),
        "succeed, to the return_url (303)": _press(browser, page_back, "succeed"),
        "page once paid": browser.get(page),
        "unknown format (406)": browser.get(page + "?format=xml"),
        "method not allowed (405)": browser.put(page),
    }

    assert {name: response.status_code for name, response in answers.items()} == {
        "page": 200, "bad outcome (400)": 400, "unknown link (404)": 404, "unknown link's button (404)": 404,
        "succeed, back to the page (303)": 303, "succeed, to the return_url (303)": 303, "page once paid": 200,
        "unknown format (406)": 406, "method not allowed (405)": 405}
    assert answers["succeed, to the return_url (303)"]["Location"].startswith("http://shop.test/thanks?")
    assert set(Payment.objects.values_list("status", flat=True)) == {"succeeded"}
    assert [name for name, response in answers.items() if not _no_store(response)] == []


def test_public_catalog_reads_stay_cacheable(user_client, shop):
    anonymous = APIClient().get("/products/")
    customer = user_client.get("/products/")
    one = APIClient().get(f"/products/{shop.pk}/")

    assert (anonymous.status_code, customer.status_code, one.status_code) == (200, 200, 200)
    assert anonymous.json()["count"] == 1
    for response in (anonymous, customer, one):
        assert not _no_store(response), response.get("Cache-Control")
        assert "public" in _directives(response)


def _routes(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            # DRF's views name their class ``cls``, plain Django views (the sandbox page) ``view_class``.
            view = getattr(entry.callback, "cls", None) or getattr(entry.callback, "view_class", None)
            yield prefix + str(entry.pattern), view


def test_every_authenticated_or_staff_route_is_no_store():
    """Every view of the project's apps is no-store but the public ones (and the catalog, checked by answer below);
    a public one lets anyone in."""
    views = {(path, view) for path, view in _routes(get_resolver().url_patterns)
             if view is not None and view.__module__.startswith("shop.")}
    assert {view.__module__.split(".")[1] for _, view in views} >= {
        "accounts", "cart", "catalog", "core", "discounts", "events", "orders", "payments", "pricing", "webhooks"}
    assert "payments/sandbox/pay/<str:token>/" in {path for path, _ in views}  # plain Django views too

    missing = sorted(path for path, view in views if view.__name__ not in PUBLIC | PUBLIC_PAGES
                     and not view.__module__.startswith(CATALOG) and not issubclass(view, NoStoreMixin))
    assert missing == []
    assert {view.__name__ for _, view in views} >= PUBLIC_PAGES  # no stale exemption
    exempt = {view for _, view in views if view.__name__ in PUBLIC}
    assert {view.__name__ for view in exempt} == PUBLIC  # no stale exemption
    assert {view.__name__: [p.__name__ for p in view.permission_classes] for view in exempt} == dict.fromkeys(
        PUBLIC, ["AllowAny"])


@pytest.fixture
def world(user, other_user, staff_user, payments_on):
    return World(user, other_user, staff_user)


@pytest.mark.parametrize(("route", "method"), OPERATIONS, ids=[f"{m.upper()} {r}" for r, m in OPERATIONS])
def test_every_staff_operation_answers_no_store(world, route, method):
    """Staff's answers, reads and writes, in every app (the tester found staff's payment methods, vouchers, tax
    rates and shipping methods answered with no Cache-Control at all)."""
    response = call(world.client("staff"), method, STAFF_OPERATIONS[(route, method)].format(**world.ids))

    assert response.status_code < 500, response.content
    assert _no_store(response), (response.status_code, response.get("Cache-Control"))


# Answered the same to everyone, whoever asks (no login read, or none that changes the answer): the payment and
# shipping methods offered, health, the index, the docs and schema, the storefront's HTML shell.
SAME_FOR_EVERYONE = PUBLIC - {"WebhookApi"} | PUBLIC_PAGES | {"SpectacularAPIView", "SpectacularSwaggerView"}


def _get_urls(world) -> dict[str, tuple[str, type]]:
    """Every GET route of the URLconf, under both mounts (``/api/v1/`` holds aliases of its own: ``profile/``), its
    path filled from the world's ids (tests/test_security_bola.py's table). Django's admin is Django's."""
    urls = {}
    for route, view in _routes(get_resolver().url_patterns):
        if view is None or route.startswith(("admin/", "^")) or "get" not in methods_of(view):
            continue
        name = route.removeprefix(V1)
        path = BOLA_TABLE[name].url if "<" in name else "/" + name
        urls[route] = ("/" + route.removesuffix(name) + path.lstrip("/")).format(**world.ids), view
    return urls


@pytest.mark.parametrize("role", ["staff", "staff without catalog permissions", "customer"])
def test_every_get_route_answers_a_signed_in_caller_no_store(world, role):
    """The kind of test the review asked for: a tester found staff's category and image reads answered with no
    Cache-Control where README says staff's catalog reads are ``private, no-store``. Walks every GET route, as
    staff (who see inactive products, variants and images: ``private, no-store``, never the public cache's
    ``public``), as staff without catalog permissions (the catalog's public answer, still no-store to staff) and as
    a customer (whose catalog reads are the public, cacheable ones)."""
    users = {"staff": world.staff, "customer": world.a,
             "staff without catalog permissions": UserFactory(is_staff=True)}
    client = APIClient()
    client.force_authenticate(users[role])
    urls = _get_urls(world)
    assert len(urls) > 80 and {"products/images/<int:pk>/", "api/v1/products/categories/", "api/v1/profile/"} <= set(
        urls)

    answers = {route: (client.get(url), view) for route, (url, view) in urls.items()}

    assert [route for route, (response, _) in answers.items() if response.status_code >= 500] == []
    cacheable = {route for route, (response, view) in answers.items() if not _no_store(response)}
    same_for_everyone = {route for route, (_, view) in answers.items() if view.__name__ in SAME_FOR_EVERYONE}
    catalog = {route for route, (_, view) in answers.items() if view.__module__.startswith(CATALOG)}
    assert cacheable == same_for_everyone | (catalog if role == "customer" else set())
    if role != "customer":
        assert [route for route in catalog if "private" not in _directives(answers[route][0])
                or "public" in _directives(answers[route][0])] == []


def test_staffs_category_image_and_variant_reads_are_private_no_store(world):
    """The example the tester found: README says staff's catalog reads are ``private, no-store``; staff's category
    reads were the public cache's ``public, max-age=0, must-revalidate`` and image and variant reads had none."""
    staff = world.client("staff")
    ids = world.ids
    paths = ["/products/categories/", f"/products/categories/{ids['category_slug']}/",
             f"/products/images/{ids['image']}/", f"/products/variants/{ids['variant']}/"]

    answers = [staff.get(path) for path in paths]

    assert [(response.status_code, response["Cache-Control"]) for response in answers] == [
        (200, "private, no-store")] * len(paths)
