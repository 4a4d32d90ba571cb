"""One limit for an idempotency key, whichever carrier brings it: the ``Idempotency-Key`` header (checkouts) and a
body's ``idempotency_key`` (``POST /payments/create-intent/``, a guest's ``.../pay/``) take up to 255 characters
and answer one more with the same 400 ``invalid_idempotency_key`` (its ``max_length``, ``errors`` naming the
carrier), having done nothing. The review found the header allowed 255 and the body 200, refused with a generic
``invalid``. At the limit the key works and replays on PostgreSQL too, where a payment stores it behind its scoping
prefix (``client-<user id>-``) in a column that must hold both."""

from decimal import Decimal

import pytest

from shop.cart.models import CartItem
from shop.cart.tests.factories import CartItemFactory
from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order
from shop.orders.tests.guests import guest_cart, guest_checkout, guest_order_url
from shop.payments.models import Payment, PaymentKey

pytestmark = pytest.mark.django_db
AT_LIMIT, OVER = "k" * 255, "k" * 256


def _refused(response, carrier: str) -> None:
    """The one answer to a key one character over the limit."""
    assert response.status_code == 400, response.content
    message = "An idempotency key may be at most 255 characters; this one has 256. Nothing was done."
    assert response.json() == {"detail": message, "code": "invalid_idempotency_key", "max_length": 255,
                                "errors": {carrier: [message]}}


def test_the_header_takes_255_characters_and_refuses_256_placing_nothing(user, user_client, payments_on):
    CartItemFactory(cart__user=user, product=ProductFactory(price=Decimal("12.00"), stock_quantity=5), quantity=2)

    over = user_client.post("/orders/checkout/", {"payment_method": "cod"}, format="json",
                            HTTP_IDEMPOTENCY_KEY=OVER)

    _refused(over, "Idempotency-Key")
    assert (Order.objects.count(), Payment.objects.count(), CartItem.objects.get().quantity) == (0, 0, 2)
    first = user_client.post("/orders/checkout/", {"payment_method": "cod"}, format="json",
                             HTTP_IDEMPOTENCY_KEY=AT_LIMIT)
    again = user_client.post("/orders/checkout/", {"payment_method": "cod"}, format="json",
                             HTTP_IDEMPOTENCY_KEY=AT_LIMIT)
    assert (first.status_code, again.status_code) == (201, 200), again.content
    assert again.json()["id"] == first.json()["id"] and Order.objects.get().idempotency_key == AT_LIMIT


def test_a_body_key_takes_255_characters_and_refuses_256_opening_nothing(user_client, payments_on, order):
    over = user_client.post("/payments/create-intent/", {"order_id": order.pk, "payment_method": "sandbox",
                                                          "idempotency_key": OVER}, format="json")

    _refused(over, "idempotency_key")
    assert Payment.objects.count() == 0 and PaymentKey.objects.count() == 0
    first = user_client.post("/payments/create-intent/", {"order_id": order.pk, "payment_method": "sandbox",
                                                           "idempotency_key": AT_LIMIT}, format="json")
    again = user_client.post("/payments/create-intent/", {"order_id": order.pk, "payment_method": "sandbox",
                                                           "idempotency_key": AT_LIMIT}, format="json")
    assert (first.status_code, again.status_code) == (201, 201), first.content
    assert again.json()["payment"]["id"] == first.json()["payment"]["id"] and Payment.objects.count() == 1
    assert Payment.objects.get().idempotency_key.endswith(f"-{AT_LIMIT}")


def test_a_guests_body_key_has_the_same_limit_and_answer(api_client, payments_on):
    token = guest_cart(api_client, (ProductFactory(price=Decimal("20.00"), stock_quantity=5), 1))
    placed = guest_checkout(api_client, token, payment_method="sandbox")
    assert placed.status_code == 201, placed.content
    order = placed.json()
    keys_before = PaymentKey.objects.count()

    over = api_client.post(guest_order_url(order, "pay/"), {"payment_method": "sandbox", "idempotency_key": OVER},
                           format="json")

    _refused(over, "idempotency_key")
    assert (Payment.objects.count(), PaymentKey.objects.count()) == (1, keys_before)
    at_limit = api_client.post(guest_order_url(order, "pay/"), {"payment_method": "sandbox",
                                                                 "idempotency_key": AT_LIMIT}, format="json")
    assert at_limit.status_code == 201, at_limit.content
    assert at_limit.json()["payment"]["id"] == order["payment_id"]
    assert PaymentKey.objects.filter(key=f"guest-{order['id']}-{AT_LIMIT}").count() == 1


def test_the_guest_checkout_header_has_the_same_limit_and_answer(api_client, payments_on):
    token = guest_cart(api_client, (ProductFactory(price=Decimal("20.00"), stock_quantity=5), 1))

    over = guest_checkout(api_client, token, key=OVER, payment_method="cod")

    _refused(over, "Idempotency-Key")
    assert Order.objects.count() == 0
    assert guest_checkout(api_client, token, key=AT_LIMIT, payment_method="cod").status_code == 201
