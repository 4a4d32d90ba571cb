"""The same request sent while its first is still waiting on the payment gateway: 409 ``request_in_progress``, nothing
done, and the same request once the first is done gets the first one's answer (docs/PAYMENTS.md; Stripe answers
409 "a request with this key is being processed").

Was: a checkout's twin got 200 with the order the first request was still opening a payment for (an order the
gateway's failure could cancel a moment later), and a create-intent's twin opened the same attempt a second time
at the gateway.

The races run on PostgreSQL, against a local Stripe that holds its answer until the twin has had its own.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from shop.catalog.models import Product
from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order
from shop.payments.models import Payment, opening_window
from tests.concurrency import run_concurrently

IN_PROGRESS = {
    "detail": "A request with this idempotency key is still being processed: its payment is being opened with the "
              "payment gateway. Nothing was done for this one; send the same request again in a few seconds to get "
              "its answer.",
    "code": "request_in_progress",
}
OPENING_ELSEWHERE = {
    "detail": "Another request is opening this order's payment with the payment gateway right now. Nothing was done "
              "for this one; send the same request again in a few seconds.",
    "code": "request_in_progress",
}


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _checkout(user, product, key="tab-1"):
    def call():
        response = _client(user).post("/orders/", {"items": [{"product_id": product.pk, "quantity": 2}],
                                                   "payment_method": "stripe"}, format="json",
                                      HTTP_IDEMPOTENCY_KEY=key)
        return response.status_code, response.json()
    return call


def _create_intent(user, order, **extra):
    def call():
        response = _client(user).post("/payments/create-intent/",
                                      {"order_id": order.pk, "payment_method": "stripe", **extra}, format="json")
        return response.status_code, response.json()
    return call


def _while_held(hold, call):
    """``call`` made once the held request has reached the gateway, then the gateway answers it."""
    def run():
        try:
            assert hold.arrived.wait(10), "the first request never reached the gateway"
            return call()
        finally:
            hold.release()
    return run


def _intents_created(fake) -> int:
    return len(fake.requests_to("POST", "/v1/payment_intents"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_checkout_sent_again_while_its_payment_opens_is_a_409_then_replays_the_first_answer(
        settings, stripe_on, user):
    settings.PAYMENT_GATEWAY_TIMEOUT = 10.0  # the gateway holds its answer for as long as the twin takes
    product = ProductFactory(price=Decimal("25.00"), stock_quantity=10)
    hold = stripe_on.hold_next()

    first, twin = run_concurrently(_checkout(user, product), _while_held(hold, _checkout(user, product)))

    assert twin == (409, IN_PROGRESS)
    assert first[0] == 201, first
    assert first[1]["client_secret"] and first[1]["payment_status"] == "unpaid"
    # Once the first is done, the same request is its answer again: the same order, its payment open.
    status, again = _checkout(user, product)()
    assert (status, again["id"], again["client_secret"]) == (200, first[1]["id"], first[1]["client_secret"])
    assert Order.objects.count() == 1 and _intents_created(stripe_on) == 1
    assert Product.objects.get(pk=product.pk).stock_quantity == 8  # taken once


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_create_intent_sent_again_while_it_opens_is_a_409_and_the_gateway_is_asked_once(
        settings, stripe_on, user, order):
    settings.PAYMENT_GATEWAY_TIMEOUT = 10.0
    hold = stripe_on.hold_next()
    same = _create_intent(user, order, idempotency_key="ci-1")

    first, twin = run_concurrently(same, _while_held(hold, same))

    assert twin == (409, IN_PROGRESS)
    assert first[0] == 201, first
    status, again = same()
    assert (status, again["payment"]["id"], again["client_secret"]) == (
        201, first[1]["payment"]["id"], first[1]["client_secret"])
    assert Payment.objects.count() == 1 and _intents_created(stripe_on) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_create_intent_finding_the_attempt_another_request_is_opening_is_a_409(settings, stripe_on, user, order):
    """No key: the order's attempt is being opened by another request (the checkout's, or another create-intent's),
    which is never opened a second time at the gateway."""
    settings.PAYMENT_GATEWAY_TIMEOUT = 10.0
    hold = stripe_on.hold_next()

    first, other = run_concurrently(_create_intent(user, order),
                                    _while_held(hold, _create_intent(user, order)))

    assert other == (409, OPENING_ELSEWHERE)
    assert first[0] == 201, first
    status, again = _create_intent(user, order)()  # the open attempt, answered as it is
    assert (status, again["payment"]["id"]) == (201, first[1]["payment"]["id"])
    assert Payment.objects.count() == 1 and _intents_created(stripe_on) == 1


# --- The same states, one request at a time (SQLite too) -------------------------------------------------------------

def _as_if_still_opening(payment: Payment, *, status: str = "pending", ago: timedelta = timedelta(0)) -> None:
    """The checkout's attempt as the request opening it leaves it in the meantime: no gateway id yet (or failed,
    the undo not yet done), reserved ``ago``."""
    Payment.objects.filter(pk=payment.pk).update(provider_payment_id="", client_secret="", status=status,
                                                 updated_at=timezone.now() - ago)


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["pending", "failed"])
def test_a_checkout_whose_payment_is_still_settling_is_a_409_that_changes_nothing(stripe_on, user, status):
    product = ProductFactory(price=Decimal("25.00"), stock_quantity=10)
    placed = _checkout(user, product)()
    assert placed[0] == 201, placed
    payment = Payment.objects.get()
    _as_if_still_opening(payment, status=status)

    assert _checkout(user, product)() == (409, IN_PROGRESS)
    assert Order.objects.get().status == "processing" and Payment.objects.count() == 1
    assert Product.objects.get(pk=product.pk).stock_quantity == 8


@pytest.mark.django_db
def test_an_attempt_left_unanswered_past_the_window_is_no_longer_in_progress(stripe_on, user):
    """A request that died at the gateway (its worker killed) does not hold its key for good: past the window the
    checkout is answered as it stands, and create-intent opens the abandoned attempt (once)."""
    product = ProductFactory(price=Decimal("25.00"), stock_quantity=10)
    placed = _checkout(user, product)()
    payment = Payment.objects.get()
    _as_if_still_opening(payment, ago=opening_window() + timedelta(seconds=1))

    status, replayed = _checkout(user, product)()
    assert (status, replayed["id"]) == (200, placed[1]["id"])

    status, opened = _create_intent(user, Order.objects.get(pk=placed[1]["id"]))()
    assert (status, opened["payment"]["id"]) == (201, payment.pk)
    assert opened["client_secret"].startswith(opened["payment"]["stripe_payment_intent_id"])
