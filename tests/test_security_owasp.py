"""OWASP API Security Top 10 (2023) checks that no app's own suite already makes. docs/SECURITY.md maps all ten."""

import json
import socket
import threading
from decimal import Decimal

import jwt
import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from shop.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from shop.cart.models import CartItem
from shop.catalog.models import ProductImage
from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order
from shop.orders.tests.factories import place_order
from shop.orders.tests.guests import ADDRESS
from shop.payments.models import Payment
from tests.security_hashers import CountingHasher

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-9"


# --- API2 broken authentication ------------------------------------------------------------------------------------

def test_unknown_email_and_wrong_password_look_and_cost_the_same(api_client, settings):
    """Same status, same body, and exactly one password hash each: neither the answer nor its timing tells an
    attacker which emails have accounts."""
    settings.PASSWORD_HASHERS = ["tests.security_hashers.CountingHasher"]
    user = UserFactory(password=PASSWORD)
    assert user.password.startswith("counting_md5$")
    answers = {}
    for label, email in (("wrong password", user.email), ("unknown email", "nobody-here@example.com")):
        CountingHasher.calls = 0
        response = api_client.post("/auth/login/", {"email": email, "password": "Not-It-123"}, format="json")
        answers[label] = (response.status_code, response.json(), CountingHasher.calls)

    assert answers["wrong password"] == answers["unknown email"] == (
        401, {"detail": "Invalid email or password.", "code": "invalid_credentials"}, 1)


def _access_token_for(user, **changes):
    from rest_framework_simplejwt.tokens import AccessToken

    payload = dict(AccessToken.for_user(user).payload)
    payload.update(changes)
    return payload


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the test settings key is short
@pytest.mark.parametrize("algorithm", ["HS512", "HS384"])
def test_a_token_signed_with_another_algorithm_and_the_right_key_is_refused(user, algorithm):
    """Algorithm confusion: only the configured algorithm is accepted, even with the real key."""
    token = jwt.encode(_access_token_for(user), django_settings.SIMPLE_JWT.get("SIGNING_KEY")
                       or django_settings.SECRET_KEY, algorithm=algorithm)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = client.get("/auth/me/")

    assert response.status_code == 401
    assert response.json()["code"] in ("token_not_valid", "authentication_failed", "not_authenticated")


def test_a_used_refresh_token_cannot_be_replayed_and_the_new_one_still_works(api_client, user):
    login = api_client.post("/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    refresh = login.json()["tokens"]["refresh"]

    first = api_client.post("/auth/token/refresh/", {"refresh": refresh}, format="json")
    replay = api_client.post("/auth/token/refresh/", {"refresh": refresh}, format="json")
    rotated = api_client.post("/auth/token/refresh/", {"refresh": first.json()["refresh"]}, format="json")

    assert first.status_code == 200
    assert replay.status_code == 401 and replay.json()["code"] == "token_not_valid"
    assert rotated.status_code == 200


# --- API3 broken object property level authorization (mass assignment) --------------------------------------------

FORGED = {"price": "0.01", "price_snapshot": "0.01", "unit_price": "0.01", "total": "0.01", "subtotal": "0.01",
          "status": "delivered", "stock_quantity": 99999, "user": 1, "user_id": 1, "is_fully_paid": True,
          "payment_status": "paid", "paid_at": "2020-01-01T00:00:00Z", "amount": "0.01"}


def test_cart_add_ignores_price_and_owner_fields(user, other_user, user_client):
    product = ProductFactory(price=Decimal("40.00"), stock_quantity=5)

    response = user_client.post("/cart/items/", {**FORGED, "product_id": product.pk, "quantity": 2,
                                                 "user": other_user.pk, "user_id": other_user.pk}, format="json")

    assert response.status_code in (200, 201), response.json()
    item = CartItem.objects.get(product=product)
    assert (item.cart.user_id, item.price_snapshot, item.quantity) == (user.pk, Decimal("40.00"), 2)
    product.refresh_from_db()
    assert product.stock_quantity == 5


def test_checkout_ignores_totals_status_payment_and_owner_fields(user, other_user, user_client):
    product = ProductFactory(price=Decimal("40.00"), stock_quantity=5)

    response = user_client.post("/orders/checkout/", {
        **FORGED, "user": other_user.pk, "user_id": other_user.pk, "shipping_address": ADDRESS,
        "items": [{"product_id": product.pk, "quantity": 1, "price": "0.01", "unit_price": "0.01"}]}, format="json")

    assert response.status_code == 201, response.json()
    order = Order.objects.get(pk=response.json()["id"])
    assert (order.user_id, order.status, order.total, order.is_fully_paid, order.payment_status) == (
        user.pk, "processing", Decimal("40.00"), False, "unpaid")
    assert [line.unit_price for line in order.items.all()] == [Decimal("40.00")]


def test_staff_status_change_cannot_mark_an_order_paid(user, staff_client):
    """Staff endpoints refuse (400, each field named) what they would otherwise silently ignore."""
    order = place_order(user=user, product=ProductFactory(price=Decimal("40.00")), quantity=1)

    response = staff_client.patch(f"/orders/admin/{order.pk}/status/", {**FORGED, "status": "shipped"},
                                  format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert set(response.json()["errors"]) == set(FORGED) - {"status"}
    order.refresh_from_db()
    assert (order.status, order.total, order.is_fully_paid, order.payment_status, order.user_id) == (
        "processing", Decimal("40.00"), False, "unpaid", user.pk)


def test_create_intent_charges_the_orders_total_whatever_the_body_says(user, user_client, settings):
    settings.PAYMENT_METHODS = ["stripe", "sandbox", "cod", "paymob", "intasend"]
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.SHOP_CURRENCY = "USD"
    order = place_order(user=user, product=ProductFactory(price=Decimal("40.00")), quantity=1)

    response = user_client.post("/payments/create-intent/", {
        **FORGED, "order_id": order.pk, "payment_method": "sandbox"}, format="json")

    assert response.status_code == 201, response.json()
    payment = Payment.objects.get(pk=response.json()["payment"]["id"])
    assert (payment.amount, payment.status, payment.user_id) == (Decimal("40.00"), "pending", user.pk)
    order.refresh_from_db()
    assert (order.is_fully_paid, order.payment_status) == (False, "unpaid")


# --- API4 unrestricted resource consumption -----------------------------------------------------------------------

@pytest.mark.parametrize("page_size", ["101", "1000", "100000"])
def test_page_size_over_100_is_clamped_to_100(api_client, page_size):
    ProductFactory.create_batch(105)

    response = api_client.get("/products/", {"page_size": page_size})

    assert response.status_code == 200
    assert (response.json()["count"], len(response.json()["results"])) == (105, 100)


@pytest.mark.parametrize("quantity", [0, -1, 1001, 10**12, "1e3", "many", None])
def test_cart_quantity_is_bounded(user_client, quantity):
    product = ProductFactory(stock_quantity=10**6)

    response = user_client.post("/cart/items/", {"product_id": product.pk, "quantity": quantity}, format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert "quantity" in response.json()["errors"]
    assert not CartItem.objects.exists()


@pytest.mark.parametrize("quantity", [0, -5, 10**12])
def test_direct_order_quantity_is_bounded(user_client, quantity):
    product = ProductFactory(stock_quantity=10**6)

    response = user_client.post("/orders/checkout/", {
        "shipping_address": ADDRESS, "items": [{"product_id": product.pk, "quantity": quantity}]}, format="json")

    assert response.status_code == 400, response.json()
    assert not Order.objects.exists()


def test_an_order_cannot_carry_more_than_100_lines(user_client):
    product = ProductFactory(stock_quantity=10**6)

    response = user_client.post("/orders/checkout/", {
        "shipping_address": ADDRESS, "items": [{"product_id": product.pk, "quantity": 1}] * 101}, format="json")

    assert response.status_code == 400, response.json()
    # The cart's own answer for the same limit (a tester found the list field's generic "invalid" here).
    message = ("An order holds at most 100 lines and `items` has 101: remove 1 line (one product's units are one "
               "line with their quantity), or place several orders.")
    assert response.json() == {"detail": message, "code": "too_many_lines", "max_lines": 100, "lines_to_remove": 1,
                               "errors": {"items": [message]}}
    assert not Order.objects.exists()


def test_an_oversized_json_body_on_an_authenticated_write_is_413(user_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024

    response = user_client.post("/cart/items/", json.dumps({"product_id": 1, "pad": "x" * 2048}),
                                content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {"detail": "Request body too large.", "code": "request_too_large"}


@pytest.fixture
def low_rates(monkeypatch):
    """DRF copies the rates into ``SimpleRateThrottle.THROTTLE_RATES`` at import (see test_throttling.py)."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES",
                        {**SimpleRateThrottle.THROTTLE_RATES, "anon": "3/min", "user": "3/min"})


@pytest.mark.parametrize("path", ["/products/", "/orders/shipping-methods/", "/payments/methods/"])
def test_anonymous_reads_are_throttled_per_client(api_client, low_rates, path):
    statuses = [api_client.get(path, REMOTE_ADDR="203.0.113.7").status_code for _ in range(4)]
    other_ip = api_client.get(path, REMOTE_ADDR="203.0.113.8")

    assert statuses == [200, 200, 200, 429]
    assert other_ip.status_code == 200


def test_authenticated_requests_are_throttled_per_user(user_client, other_client, low_rates):
    statuses = [user_client.get("/orders/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    assert int(user_client.get("/orders/")["Retry-After"]) > 0
    assert other_client.get("/orders/").status_code == 200


# --- API7 server-side request forgery -------------------------------------------------------------------------------

@pytest.fixture
def listener():
    """A local TCP socket that records whether anything connected to it."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    connections = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            connections.append(conn)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], connections
    stop.set()
    thread.join(timeout=2)
    server.close()


def test_product_image_urls_are_stored_and_never_fetched(staff_client, api_client, listener):
    port, connections = listener
    product = ProductFactory()
    url = f"http://127.0.0.1:{port}/internal/admin.jpg"

    created = staff_client.post(f"/products/{product.slug}/images/", {"image_url": url, "is_primary": True},
                                format="json")
    image = ProductImage.objects.get(product=product)  # the create answers the whole product
    changed = staff_client.patch(f"/products/images/{image.pk}/",
                                 {"image_url": url.replace(".jpg", ".png")}, format="json")
    shown = api_client.get(f"/products/{product.slug}/")

    assert created.status_code == 201, created.json()
    assert changed.status_code == 200, changed.json()
    assert shown.status_code == 200
    assert url.replace(".jpg", ".png") in json.dumps(shown.json())
    assert ProductImage.objects.get(product=product).image_url == url.replace(".jpg", ".png")
    threading.Event().wait(0.5)  # give a (wrong) background fetch time to arrive
    assert connections == [], "the server connected to a URL a client supplied"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "data:text/html,<script>x</script>",
                                 "gopher://127.0.0.1:6379/_FLUSHALL", "//evil.example/x.jpg"])
def test_image_urls_must_be_web_urls(staff_client, url):
    product = ProductFactory()

    response = staff_client.post(f"/products/{product.slug}/images/", {"image_url": url}, format="json")

    assert response.status_code == 400, response.json()
    assert "image_url" in response.json()["errors"]
    assert not ProductImage.objects.exists()


# --- API8 security misconfiguration ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/products/", "/auth/me/", "/api/docs/", "/admin/login/", "/no-such-page/"])
def test_security_headers_on_every_kind_of_response(api_client, path):
    response = api_client.get(path)

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    # Swagger UI opts out on purpose (drf-spectacular: its OAuth2 pop-up needs window.opener); it serves no data.
    assert response["Cross-Origin-Opener-Policy"] == ("unsafe-none" if path == "/api/docs/" else "same-origin")


PRODUCTION_RESPONSES = """
import json, django
django.setup()
from django.test import Client
c = Client(HTTP_HOST="shop.example.com", HTTP_X_FORWARDED_PROTO="https", raise_request_exception=False)
seen = {}
for path in ("/health/", "/auth/me/", "/no-such-page/", "/admin/login/"):
    r = c.get(path)
    seen[path] = {"status": r.status_code, "type": r["Content-Type"], "debug_page": b"DEBUG = True" in r.content,
                  **{h: r.get(h) for h in ("X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
                                           "Cross-Origin-Opener-Policy", "Strict-Transport-Security")}}
print(json.dumps(seen))
"""


def test_production_responses_carry_the_security_headers_and_never_a_debug_page():
    from tests.test_foundation_production import GOOD_KEY, run

    result = run(PRODUCTION_RESPONSES, SECRET_KEY=GOOD_KEY)

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    for path, response in seen.items():
        assert response["X-Content-Type-Options"] == "nosniff", path
        assert response["X-Frame-Options"] == "DENY", path
        assert response["Referrer-Policy"] == "same-origin", path
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", path
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload", path
        assert response["debug_page"] is False, path
    assert (seen["/no-such-page/"]["status"], seen["/no-such-page/"]["type"]) == (404, "application/json")
    assert seen["/auth/me/"]["status"] == 401
