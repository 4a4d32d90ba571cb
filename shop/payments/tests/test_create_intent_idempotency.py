"""``POST /payments/create-intent/``'s ``idempotency_key``: per caller, replays one request, refuses another."""

import pytest

from shop.orders.tests.factories import place_order
from shop.payments.models import Payment
from shop.payments.services import payment_start

pytestmark = pytest.mark.django_db


def _create_intent(client, order, method="sandbox", **extra):
    return client.post("/payments/create-intent/", {"order_id": order.pk, "payment_method": method, **extra},
                       format="json")


def test_the_same_key_and_request_returns_the_same_payment(user_client, sandbox_on, order):
    first = _create_intent(user_client, order, idempotency_key="pay-1")
    second = _create_intent(user_client, order, idempotency_key="pay-1")

    assert (first.status_code, second.status_code) == (201, 201), second.json()
    assert second.json()["payment"]["id"] == first.json()["payment"]["id"]
    assert Payment.objects.count() == 1


def test_the_same_key_for_another_order_or_method_is_422_and_opens_nothing(user, user_client, sandbox_on, order,
                                                                            product):
    another = place_order(user=user, product=product, quantity=1)
    first = _create_intent(user_client, order, idempotency_key="pay-1")

    other_order = _create_intent(user_client, another, idempotency_key="pay-1")
    other_method = _create_intent(user_client, order, method="cod", idempotency_key="pay-1")

    assert first.status_code == 201, first.json()
    for response in (other_order, other_method):
        assert response.status_code == 422, response.json()
        assert response.json()["code"] == "idempotency_key_reused"
    assert list(Payment.objects.values_list("order_id", "provider")) == [(order.pk, "sandbox")]


def test_keys_are_per_caller_and_never_meet_the_shops_own(user, user_client, other_user, other_client, sandbox_on,
                                                          order, product):
    theirs = place_order(user=other_user, product=product, quantity=1)
    # the key checkout itself gives an order's payment
    shops = payment_start(order_id=order.pk, user=user, method_id="sandbox",
                          idempotency_key=f"checkout-{order.order_key}")
    # cash on delivery on another order: the first one pays online now, and cannot switch to cash
    mine = _create_intent(user_client, place_order(user=user, product=product, quantity=1), method="cod",
                          idempotency_key="same")
    their_answer = _create_intent(other_client, theirs, idempotency_key="same")
    their_cash_order = place_order(user=other_user, product=product, quantity=1)
    guessed = _create_intent(other_client, their_cash_order, method="cod",
                             idempotency_key=f"checkout-{order.order_key}")

    assert (mine.status_code, their_answer.status_code, guessed.status_code) == (201, 201, 201), guessed.json()
    ids = {shops.pk, mine.json()["payment"]["id"], their_answer.json()["payment"]["id"],
           guessed.json()["payment"]["id"]}
    assert len(ids) == 4
    assert guessed.json()["payment"]["order"]["id"] == their_cash_order.pk
