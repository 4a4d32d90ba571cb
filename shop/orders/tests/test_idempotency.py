"""An Idempotency-Key replays the request it was first used with, and refuses any other (422)."""

from decimal import Decimal

import pytest

from shop.cart.models import CartItem
from shop.cart.tests.factories import CartItemFactory
from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order, OrderItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def a():
    return ProductFactory(name="A", price=Decimal("10.00"), stock_quantity=10)


@pytest.fixture
def b():
    return ProductFactory(name="B", price=Decimal("4.00"), stock_quantity=10)


def _stock(product) -> int:
    product.refresh_from_db()
    return product.stock_quantity


def test_the_same_key_with_other_items_is_422_and_places_nothing(user_client, a, b):
    first = user_client.post("/orders/checkout/", {"items": [{"product_id": a.id, "quantity": 1}]},
                             HTTP_IDEMPOTENCY_KEY="k1")
    second = user_client.post("/orders/checkout/", {"items": [{"product_id": b.id, "quantity": 3}]},
                              HTTP_IDEMPOTENCY_KEY="k1")

    assert first.status_code == 201, first.json()
    assert second.status_code == 422
    assert second.json() == {
        "detail": "This Idempotency-Key was already used with a different request; nothing was done. "
                  "Use a new key for a new request, or resend the original request unchanged to get its result.",
        "code": "idempotency_key_reused",
    }
    assert Order.objects.count() == 1
    assert list(OrderItem.objects.values_list("product_id", "quantity")) == [(a.id, 1)]
    assert (_stock(a), _stock(b)) == (9, 10)


def test_the_same_key_with_the_same_request_replays_the_first_order(user_client, a):
    body = {"items": [{"product_id": a.id, "quantity": 2}], "notes": "ring twice"}
    first = user_client.post("/orders/checkout/", body, HTTP_IDEMPOTENCY_KEY="k1")
    second = user_client.post("/orders/checkout/", body, HTTP_IDEMPOTENCY_KEY="k1")

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()
    assert _stock(a) == 8


@pytest.mark.parametrize("second_body", [
    {"items": [{"product": "{a}", "quantity": 2}], "notes": "ring twice"},       # seed 004's spelling
    {"cart_items": [{"product_id": "{a}", "quantity": 2}], "notes": "ring twice"},  # seed 001's spelling
    {"items": [{"product_id": "{a}", "quantity": 2}], "notes": "ring twice", "shipping_method": None},
    {"items": [{"product_id": "{a}", "quantity": 2}], "notes": "ring twice", "payment_method": ""},
], ids=["product", "cart_items", "explicit-null", "blank-method"])
def test_spellings_the_api_treats_as_equal_are_the_same_request(user_client, a, second_body):
    first = user_client.post("/orders/checkout/", {"items": [{"product_id": a.id, "quantity": 2}],
                                                   "notes": "ring twice"}, HTTP_IDEMPOTENCY_KEY="k1")
    second_body = _fill(second_body, a)
    # the other path and the versioned mount are the same operation
    second = user_client.post("/api/v1/orders/", second_body, HTTP_IDEMPOTENCY_KEY="k1")

    assert (first.status_code, second.status_code) == (201, 200), second.json()
    assert second.json()["id"] == first.json()["id"]
    assert Order.objects.count() == 1


@pytest.mark.parametrize("change", [
    {"items": [{"product_id": "{a}", "quantity": 3}]},
    {"items": [{"product_id": "{a}", "quantity": 2}, {"product_id": "{b}", "quantity": 1}]},
    {"notes": "leave at the door"},
    {"shipping_address": "1 Main St, Nairobi"},
    {"payment_method": "cod"},
    {"expected_total": "20.00"},
    {"items": None},  # the cart instead of direct lines
], ids=["quantity", "extra-line", "notes", "address", "payment-method", "expected-total", "cart"])
def test_every_difference_in_what_would_be_done_is_422(user, user_client, a, b, change):
    CartItemFactory(cart__user=user, product=b, quantity=1)
    body = {"items": [{"product_id": a.id, "quantity": 2}], "notes": "ring twice"}
    first = user_client.post("/orders/", body, HTTP_IDEMPOTENCY_KEY="k1")
    changed = {key: value for key, value in (body | _fill(change, a, b)).items() if value is not None}
    # A direct order empties the cart once placed; the refused retry must leave the cart as the first left it.
    CartItemFactory(cart__user=user, product=b, quantity=1)

    second = user_client.post("/orders/", changed, HTTP_IDEMPOTENCY_KEY="k1")

    assert first.status_code == 201, first.json()
    assert second.status_code == 422, second.json()
    assert second.json()["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1
    assert (_stock(a), _stock(b)) == (8, 10)
    assert CartItem.objects.get().quantity == 1  # the cart was not checked out


def test_a_cart_checkout_retry_is_the_same_request_whatever_the_cart_holds_now(user, user_client, a):
    CartItemFactory(cart__user=user, product=a, quantity=1)
    first = user_client.post("/orders/checkout/", {"payment_method": "cod"}, HTTP_IDEMPOTENCY_KEY="k1")
    CartItemFactory(cart__user=user, product=a, quantity=3)
    replay = user_client.post("/orders/checkout/", {"payment_method": "cod"}, HTTP_IDEMPOTENCY_KEY="k1")
    other = user_client.post("/orders/checkout/", {"payment_method": "sandbox"}, HTTP_IDEMPOTENCY_KEY="k1")

    assert (first.status_code, replay.status_code, other.status_code) == (201, 200, 422)
    assert replay.json()["id"] == first.json()["id"]
    assert other.json()["code"] == "idempotency_key_reused"
    assert CartItem.objects.get().quantity == 3


def test_keys_stay_per_user_even_with_different_requests(user_client, other_client, a, b):
    mine = user_client.post("/orders/", {"items": [{"product_id": a.id}]}, HTTP_IDEMPOTENCY_KEY="shared")
    theirs = other_client.post("/orders/", {"items": [{"product_id": b.id, "quantity": 3}]},
                               HTTP_IDEMPOTENCY_KEY="shared")

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]


def test_an_order_from_before_fingerprints_still_replays(user_client, a, b):
    first = user_client.post("/orders/", {"items": [{"product_id": a.id}]}, HTTP_IDEMPOTENCY_KEY="old")
    Order.objects.update(idempotency_fingerprint="")  # as a row written before the column existed

    again = user_client.post("/orders/", {"items": [{"product_id": b.id}]}, HTTP_IDEMPOTENCY_KEY="old")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]


def test_a_checkout_undone_for_its_payment_keeps_its_key_for_its_own_request(user_client, a, b, settings):
    """A 503 that undid the checkout leaves the key naming that request: the same request retries it, another is
    the 422 (as create-intent's key after a 503). Every route and gateway: shop/payments/tests/
    test_gateway_failures.py."""
    settings.PAYMENT_METHODS = ["stripe", "cod"]
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens: the payment cannot start
    settings.PAYMENT_GATEWAY_TIMEOUT = 0.5
    request = {"items": [{"product_id": a.id}], "payment_method": "stripe"}

    undone = user_client.post("/orders/", request, HTTP_IDEMPOTENCY_KEY="k1")
    other = user_client.post("/orders/", {"items": [{"product_id": b.id}], "payment_method": "cod"},
                             HTTP_IDEMPOTENCY_KEY="k1")
    same = user_client.post("/orders/", request, HTTP_IDEMPOTENCY_KEY="k1")

    assert undone.status_code == 503, undone.json()
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert same.status_code == 503, same.json()  # retried: the gateway is still down
    assert Order.objects.filter(status="cancelled").count() == 2 and Order.objects.count() == 2
    assert _stock(a) == 10 and _stock(b) == 10


def _fill(body: dict, a, b=None) -> dict:
    """Put the fixtures' ids where a parametrized body says ``"{a}"`` / ``"{b}"``."""
    ids = {"{a}": a.id, "{b}": b.id if b else None}

    def fill(value):
        if isinstance(value, dict):
            return {key: fill(inner) for key, inner in value.items()}
        if isinstance(value, list):
            return [fill(inner) for inner in value]
        return ids.get(value, value) if isinstance(value, str) else value

    return fill(body)
