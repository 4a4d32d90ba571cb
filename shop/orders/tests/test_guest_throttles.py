"""Rate limits on guest checkout (per IP and per e-mail), guest order routes (per IP and per order) and claiming
(per IP and per user). Rates are patched on ``SimpleRateThrottle`` as shop/accounts/tests/test_throttling.py
explains."""

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from config.settings.base import DEFAULT_THROTTLE_RATES, _parse_throttle_rates
from shop.accounts.tests.factories import UserFactory
from shop.catalog.tests.factories import ProductFactory
from shop.orders.tests.guests import ADDRESS, guest_cart

pytestmark = pytest.mark.django_db
LIMIT = 3


@pytest.fixture
def rates(monkeypatch):
    patched = {**SimpleRateThrottle.THROTTLE_RATES, "guest_checkout": f"{LIMIT}/hour",
               "guest_order": f"{LIMIT}/min", "order_claim": f"{LIMIT}/hour"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", patched)


def _checkout(email: str, ip: str):
    return APIClient().post("/orders/guest/checkout/", {"email": email, "shipping_address": ADDRESS},
                            format="json", HTTP_X_CART_TOKEN="x" * 43, REMOTE_ADDR=ip)


def _assert_throttled(response):
    assert response.status_code == 429, response.content
    assert response.json()["code"] == "throttled" and int(response["Retry-After"]) > 0


def test_the_new_scopes_have_defaults_and_can_be_set():
    assert {"guest_checkout", "guest_order", "order_claim"} <= set(DEFAULT_THROTTLE_RATES)
    assert _parse_throttle_rates("guest_checkout=5/hour,guest_order=10/min,order_claim=2/day") == {
        "guest_checkout": "5/hour", "guest_order": "10/min", "order_claim": "2/day"}


def test_guest_checkout_is_limited_per_ip(rates):
    for n in range(LIMIT):
        assert _checkout(f"buyer{n}@example.com", "10.0.0.1").status_code == 404  # no such cart, but counted
    _assert_throttled(_checkout("another@example.com", "10.0.0.1"))
    assert _checkout("another@example.com", "10.0.0.2").status_code == 404


def test_guest_checkout_is_limited_per_email_across_ips(rates):
    for n in range(LIMIT):
        assert _checkout("Target@Example.com", f"10.0.1.{n}").status_code == 404
    _assert_throttled(_checkout("target@example.com", "10.0.2.1"))
    assert _checkout("someone.else@example.com", "10.0.2.1").status_code == 404


def test_guest_order_routes_are_limited_per_order_across_ips_and_per_ip(rates):
    for n in range(LIMIT):
        assert APIClient().get("/orders/guest/ORD-1/?token=guess", REMOTE_ADDR=f"10.1.0.{n}").status_code == 404
    _assert_throttled(APIClient().get("/orders/guest/ORD-1/payment/?token=guess", REMOTE_ADDR="10.1.1.1"))

    for n in range(LIMIT):
        assert APIClient().get(f"/orders/guest/ORD-{n + 10}/", REMOTE_ADDR="10.2.0.1").status_code == 404
    _assert_throttled(APIClient().get("/orders/guest/ORD-99/", REMOTE_ADDR="10.2.0.1"))


def test_claiming_is_limited_per_user_across_ips(rates):
    client = APIClient()
    client.force_authenticate(UserFactory(is_email_verified=True))
    for n in range(LIMIT):
        assert client.post("/orders/claim/", REMOTE_ADDR=f"10.3.0.{n}").status_code == 200
    _assert_throttled(client.post("/orders/claim/", REMOTE_ADDR="10.3.1.1"))


def test_a_real_guest_is_not_held_up_by_the_default_rates(settings):
    settings.PAYMENT_METHODS = ["cod"]
    client = APIClient()
    token = guest_cart(client, (ProductFactory(stock_quantity=5), 1))
    placed = client.post("/orders/guest/checkout/", {"email": "a@example.com", "shipping_address": ADDRESS,
                                                     "payment_method": "cod"}, format="json",
                         HTTP_X_CART_TOKEN=token).json()

    for _ in range(30):  # polling every two seconds for a minute
        assert client.get(f"/orders/guest/{placed['order_key']}/?token={placed['order_token']}").status_code == 200
