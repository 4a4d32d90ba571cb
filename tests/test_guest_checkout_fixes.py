"""Guest checkout as a fresh-eyes tester drove it: settings refused at start-up, the nested product's stock, the
merge report's requested quantity, odd cart tokens, every login route merging, and the per-order throttle."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from shop.accounts.api.examples import TOKEN_OBTAIN_EXAMPLES
from shop.accounts.tests.factories import DEFAULT_PASSWORD
from shop.cart.models import CartItem
from shop.cart.tests.factories import CartItemFactory
from shop.catalog.tests.factories import ProductFactory, ProductVariantFactory
from shop.orders.tests.guests import guest_cart, guest_checkout, guest_order_url

pytestmark = pytest.mark.django_db


# --- Settings refused at start-up ---------------------------------------------------------------------------------

def _start(**env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environ.update(DJANGO_SETTINGS_MODULE="config.settings.test", **env)
    return subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=environ, capture_output=True,
                          text=True, cwd=django_settings.BASE_DIR, timeout=60, check=False)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("GUEST_CART_DAYS", "0", "GUEST_CART_DAYS=0: use 1 or more."),
    ("GUEST_CART_DAYS", "-3", "GUEST_CART_DAYS=-3: use 1 or more."),
    ("GUEST_ORDER_LINK_DAYS", "0", "GUEST_ORDER_LINK_DAYS=0: use 1 or more."),
    ("WEBHOOK_MAX_ATTEMPTS", "0", "WEBHOOK_MAX_ATTEMPTS=0: use 1 or more."),
    ("WEBHOOK_DELIVERY_RETENTION_DAYS", "0", "WEBHOOK_DELIVERY_RETENTION_DAYS=0: use 1 or more."),
    ("WEBHOOK_TIMEOUT_SECONDS", "0", "WEBHOOK_TIMEOUT_SECONDS=0.0: use a number greater than 0."),
    ("WEBHOOK_SWEEP_SECONDS", "-1", "WEBHOOK_SWEEP_SECONDS=-1.0: use a number greater than 0."),
    ("THROTTLE_RATES", "guest_order=0/min", "THROTTLE_RATES: bad entry 'guest_order=0/min'"),
    ("CATALOG_SEARCH_PREFIX", "first", "CATALOG_SEARCH_PREFIX=first: use last, all or none."),
    ("DB_TCP_TIMEOUT_SECONDS", "-1", "DB_TCP_TIMEOUT_SECONDS=-1: use 0 to 32767."),
    ("DB_TCP_TIMEOUT_SECONDS", "40000", "DB_TCP_TIMEOUT_SECONDS=40000: use 0 to 32767."),
    ("DB_TCP_TIMEOUT_SECONDS", "abc", "DB_TCP_TIMEOUT_SECONDS='abc': use a whole number."),
    ("GUEST_CART_DAYS", "1.5", "GUEST_CART_DAYS='1.5': use a whole number."),
    ("EMAIL_TIMEOUT", "0", "EMAIL_TIMEOUT=0: use 1 to 119 seconds"),
    ("EMAIL_TIMEOUT", "120", "EMAIL_TIMEOUT=120: use 1 to 119 seconds"),
    ("WEBHOOK_TIMEOUT_SECONDS", "soon", "WEBHOOK_TIMEOUT_SECONDS='soon': use a number."),
])
def test_nonsensical_numbers_stop_start_up_naming_the_variable(name, value, message):
    result = _start(**{name: value})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr or "ValueError" in result.stderr
    assert message in result.stderr


def test_the_smallest_sensible_values_start():
    result = _start(GUEST_CART_DAYS="1", GUEST_ORDER_LINK_DAYS="1", WEBHOOK_SECRET_OVERLAP_HOURS="0")

    assert result.returncode == 0, result.stderr


def test_creating_a_guest_cart_answers_the_new_cart_whatever_its_lifetime(settings):
    settings.GUEST_CART_DAYS = 0  # refused at start-up; the route must still never unpack a missing cart

    response = APIClient().post("/cart/")

    assert response.status_code == 201, response.content
    assert response.json()["items"] == [] and len(response.json()["cart_token"]) == 43


# --- Nested product stock -------------------------------------------------------------------------------------------

@pytest.fixture
def shirt():
    """A product whose own unused column says 60 while its variants hold 24 (10 + 14; a retired one is not sold)."""
    product = ProductFactory(stock_quantity=60)
    small = ProductVariantFactory(product=product, stock_quantity=10)
    ProductVariantFactory(product=product, stock_quantity=14)
    ProductVariantFactory(product=product, stock_quantity=50, is_active=False)
    return product, small


def test_a_cart_line_shows_the_catalogs_stock_for_a_product_with_variants(shirt):
    product, small = shirt
    guest = APIClient()
    token = guest_cart(guest, (product, 1, small))

    catalog = guest.get(f"/products/{product.pk}/").json()["stock_quantity"]
    line = guest.get("/cart/", HTTP_X_CART_TOKEN=token).json()["items"][0]

    assert catalog == 24
    assert line["product"]["stock_quantity"] == 24
    assert line["variant"]["stock_quantity"] == 10


def test_a_plain_products_line_still_shows_its_own_stock():
    plain = ProductFactory(stock_quantity=7)
    guest = APIClient()
    token = guest_cart(guest, (plain, 2))

    assert guest.get("/cart/", HTTP_X_CART_TOKEN=token).json()["items"][0]["product"]["stock_quantity"] == 7


def test_an_order_line_shows_the_catalogs_stock_for_a_product_with_variants(shirt, settings):
    settings.PAYMENT_METHODS = ["cod"]
    product, small = shirt
    guest = APIClient()
    placed = guest_checkout(guest, guest_cart(guest, (product, 4, small)), payment_method="cod")
    assert placed.status_code == 201, placed.content

    line = guest.get(guest_order_url(placed.json())).json()["items"][0]

    assert line["product"]["stock_quantity"] == guest.get(f"/products/{product.pk}/").json()["stock_quantity"] == 20
    assert placed.json()["items"][0]["product"]["stock_quantity"] == 20


@pytest.mark.parametrize("lines", [1, 6])
def test_the_catalog_stock_costs_no_query_on_cart_or_order_reads(lines, settings, django_assert_max_num_queries):
    settings.PAYMENT_METHODS = ["cod"]
    guest = APIClient()
    pairs = [(ProductFactory(stock_quantity=0), 1) for _ in range(lines)]
    for product, _ in pairs:
        ProductVariantFactory(product=product, stock_quantity=3)
    variants = [(product, quantity, product.variants.get()) for product, quantity in pairs]
    token = guest_cart(guest, *variants)

    with django_assert_max_num_queries(4):  # the budgets of test_guest_cart.py and test_guest_orders.py
        cart = guest.get("/cart/", HTTP_X_CART_TOKEN=token)
    placed = guest_checkout(guest, token, payment_method="cod").json()
    with django_assert_max_num_queries(6):
        order = guest.get(guest_order_url(placed))

    assert [line["product"]["stock_quantity"] for line in cart.json()["items"]] == [3] * lines
    assert [line["product"]["stock_quantity"] for line in order.json()["items"]] == [2] * lines


# --- Cart tokens of any shape ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("token", ["x", "x" * 128, "x" * 129, "y" * 5000, "not a token!", "ü" * 200])
@pytest.mark.parametrize(("method", "path"), [("get", "/cart/"), ("post", "/cart/items/"), ("post", "/cart/clear/"),
                                              ("delete", "/cart/items/1/")])
def test_any_wrong_cart_token_is_a_404_whatever_its_length(token, method, path):
    product = ProductFactory(stock_quantity=5)

    response = getattr(APIClient(), method)(path, {"product_id": product.pk}, format="json",
                                            HTTP_X_CART_TOKEN=token)

    assert response.status_code == 404, response.content
    assert response.json() == {"detail": "Cart not found.", "code": "not_found"}


def test_no_cart_token_is_still_a_401():
    for headers in ({}, {"HTTP_X_CART_TOKEN": ""}, {"HTTP_X_CART_TOKEN": "   "}):
        response = APIClient().get("/cart/", **headers)
        assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_guest_checkout_with_a_long_wrong_token_is_a_404():
    response = guest_checkout(APIClient(), "z" * 300)

    assert response.status_code == 404 and response.json()["detail"] == "Cart not found."


# --- Every login route merges ---------------------------------------------------------------------------------------

def _v1_token(client, user, **headers):
    return client.post("/api/v1/token/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json",
                       **headers)


def test_the_v1_token_route_merges_the_guest_cart_as_login_does(user):
    hat = ProductFactory(stock_quantity=9)
    CartItemFactory(cart__user=user, product=hat, quantity=2)
    guest = APIClient()
    token = guest_cart(guest, (hat, 3))

    response = _v1_token(guest, user, HTTP_X_CART_TOKEN=token)

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access", "refresh", "cart_merge"} == set(TOKEN_OBTAIN_EXAMPLES[2].value)
    assert body["cart_merge"] == {"strategy": "merge", "cart_found": True, "lines_merged": 1, "adjustments": []}
    assert list(CartItem.objects.filter(cart__user=user).values_list("quantity", flat=True)) == [5]
    assert guest.get("/cart/", HTTP_X_CART_TOKEN=token).status_code == 404  # the guest cart's token died


def test_the_v1_token_route_without_a_cart_token_keeps_its_bare_shape(user):
    response = _v1_token(APIClient(), user)

    assert response.status_code == 200 and set(response.json()) == {"access", "refresh"}


def test_the_v1_token_route_refuses_a_bad_merge_strategy_before_logging_in(user):
    hat = ProductFactory(stock_quantity=9)
    guest = APIClient()
    token = guest_cart(guest, (hat, 1))

    response = _v1_token(guest, user, HTTP_X_CART_TOKEN=token, HTTP_X_CART_MERGE="mix")

    assert response.status_code == 400 and response.json()["code"] == "invalid_cart_merge"
    assert guest.get("/cart/", HTTP_X_CART_TOKEN=token).status_code == 200  # nothing merged


@pytest.mark.parametrize("strategy", ["merge", "replace", "keep"])
def test_login_and_v1_token_answer_the_same_merge(user, strategy):
    hat, scarf = ProductFactory(stock_quantity=9), ProductFactory(stock_quantity=9)
    answers = []
    for route in ("/auth/login/", "/api/v1/token/"):
        CartItem.objects.filter(cart__user=user).delete()
        CartItemFactory(cart__user=user, product=hat, quantity=1)
        guest = APIClient()
        token = guest_cart(guest, (hat, 2), (scarf, 1))
        response = guest.post(route, {"email": user.email, "password": DEFAULT_PASSWORD}, format="json",
                              HTTP_X_CART_TOKEN=token, HTTP_X_CART_MERGE=strategy)
        assert response.status_code == 200, response.content
        lines = sorted(CartItem.objects.filter(cart__user=user).values_list("product_id", "quantity"))
        answers.append((response.json()["cart_merge"], lines))

    assert answers[0] == answers[1]


# --- The per-order throttle -----------------------------------------------------------------------------------------

LIMIT = 3


@pytest.fixture
def rates(monkeypatch):
    patched = {**SimpleRateThrottle.THROTTLE_RATES, "guest_order": f"{LIMIT}/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", patched)


@pytest.fixture
def placed(settings):
    settings.PAYMENT_METHODS = ["cod"]
    client = APIClient()
    response = guest_checkout(client, guest_cart(client, (ProductFactory(stock_quantity=5), 1)),
                              payment_method="cod")
    assert response.status_code == 201, response.content
    return response.json()


def test_guessing_an_order_s_token_cannot_lock_its_owner_out(rates, placed):
    key = placed["order_key"]
    for n in range(LIMIT * 3):  # the attacker knows the key (return_url) and spends the order's budget
        guess = APIClient().get(f"/orders/guest/{key}/?token=guess{n}", REMOTE_ADDR=f"10.9.0.{n}")
        assert guess.status_code in (404, 429)
    assert APIClient().get(f"/orders/guest/{key}/?token=again", REMOTE_ADDR="10.9.1.1").status_code == 429

    owner = APIClient()
    for _ in range(LIMIT):  # the owner's own IP budget is theirs
        by_query = owner.get(guest_order_url(placed), REMOTE_ADDR="10.8.0.1")
        assert by_query.status_code == 200, by_query.content
        assert by_query.json()["order_key"] == key
    by_header = APIClient().get(f"/orders/guest/{key}/payment/", HTTP_X_ORDER_TOKEN=placed["order_token"],
                                REMOTE_ADDR="10.8.0.2")
    assert by_header.status_code == 200, by_header.content


def test_brute_forcing_an_order_token_is_still_throttled(rates, placed):
    key = placed["order_key"]
    for n in range(LIMIT):  # from many IPs: the per-order count stops them
        assert APIClient().get(f"/orders/guest/{key}/?token=guess{n}", REMOTE_ADDR=f"10.7.0.{n}").status_code == 404
    stopped = APIClient().get(f"/orders/guest/{key}/?token=guess-more", REMOTE_ADDR="10.7.1.1")
    assert stopped.status_code == 429 and stopped.json()["code"] == "throttled"

    for n in range(LIMIT):  # from one IP across orders: the per-IP count stops them
        assert APIClient().get(f"/orders/guest/ORD-{n}/?token=x", REMOTE_ADDR="10.7.2.1").status_code == 404
    assert APIClient().get("/orders/guest/ORD-9/?token=x", REMOTE_ADDR="10.7.2.1").status_code == 429
    # A valid token is still counted per IP: the owner's IP gets the same budget as anyone's.
    owner = APIClient()
    for _ in range(LIMIT):
        assert owner.get(guest_order_url(placed), REMOTE_ADDR="10.7.3.1").status_code == 200
    assert owner.get(guest_order_url(placed), REMOTE_ADDR="10.7.3.1").status_code == 429
