"""A checkout replayed with its Idempotency-Key answers the order as it now stands, and says what to do next to pay
only while the checkout's attempt is still open: once it succeeded, failed, was cancelled or refunded,
``next_step`` / ``payment_url`` / ``client_secret`` are null, as ``GET /orders/{id}/`` answers, and ``payment_id``
still names the attempt. The same holds for the guest checkout, and for a payment start answered again by its
idempotency key (``POST /payments/create-intent/``, a guest's ``.../pay/``)."""

import pytest
from rest_framework.test import APIClient

from shop.orders.tests.guests import guest_cart, guest_checkout, guest_order_url
from shop.payments.models import Payment

pytestmark = pytest.mark.django_db

KEY = "tab-1"
SANDBOX_PAGE = "http://shop.test/payments/sandbox/pay/"


def _checkout(client, product, method: str):
    return client.post("/orders/checkout/", {"items": [{"product_id": product.pk, "quantity": 1}],
                                             "payment_method": method},
                       format="json", HTTP_IDEMPOTENCY_KEY=KEY)


def _next(body: dict) -> tuple:
    return body["next_step"], body["payment_url"], body["client_secret"]


def _close(client, payment_id: int, outcome: str) -> None:
    """Ends the attempt as a customer can: pays it or has it declined on the sandbox, cancels it, or pays and then
    refunds it in full."""
    if outcome in ("succeed", "refund"):
        assert client.post(f"/payments/sandbox/{payment_id}/succeed/").status_code == 200
    if outcome == "fail":
        assert client.post(f"/payments/sandbox/{payment_id}/fail/").status_code == 200
    if outcome == "cancel":
        response = client.post("/payments/cancel/", {"payment_id": payment_id}, format="json")
        assert response.status_code == 200, response.content
    if outcome == "refund":
        response = client.post("/payments/refund/", {"payment_id": payment_id}, format="json")
        assert response.status_code == 200, response.content


def _sandbox_button(client, next_step: str, outcome: str) -> None:
    """The customer presses Succeed or Fail on the sandbox's hosted page (a form post to the signed link)."""
    response = client.post(next_step.removeprefix("http://shop.test"), {"outcome": outcome}, format="multipart")
    assert response.status_code in (200, 303), response.content


@pytest.mark.parametrize(("outcome", "status"), [("succeed", "succeeded"), ("fail", "failed"),
                                                 ("cancel", "cancelled"), ("refund", "refunded")])
def test_a_replayed_checkout_has_no_next_step_once_its_attempt_is_closed(user_client, sandbox_on, product, outcome,
                                                                         status):
    first = _checkout(user_client, product, "sandbox")
    assert first.status_code == 201, first.content
    placed = first.json()
    url = placed["next_step"]
    assert url.startswith(SANDBOX_PAGE)
    open_replay = _checkout(user_client, product, "sandbox")
    assert open_replay.status_code == 200, open_replay.content
    assert (open_replay.json()["payment_id"], _next(open_replay.json())) == (placed["payment_id"], (url, url, None))

    _close(user_client, placed["payment_id"], outcome)
    replay = _checkout(user_client, product, "sandbox")

    assert replay.status_code == 200, replay.content
    body = replay.json()
    assert (body["id"], body["payment_id"], body["payments"][0]["status"]) == (placed["id"], placed["payment_id"],
                                                                               status)
    assert _next(body) == (None, None, None)
    read = user_client.get(f"/orders/{placed['id']}/").json()
    assert (read["next_step"], read["payment_url"]) == (None, None)


def test_a_replayed_stripe_checkout_answers_its_client_secret_only_while_the_intent_is_open(
        user_client, api_client, stripe_on, product):
    first = _checkout(user_client, product, "stripe")
    assert first.status_code == 201, first.content
    placed = first.json()
    payment = Payment.objects.get(pk=placed["payment_id"])
    secret = stripe_on.intent(payment.provider_payment_id)["client_secret"]
    assert _next(placed) == (None, None, secret)
    assert _next(_checkout(user_client, product, "stripe").json()) == (None, None, secret)

    stripe_on.succeed(payment.provider_payment_id)
    payload, signature = stripe_on.make_event("payment_intent.succeeded", stripe_on.intent(payment.provider_payment_id))
    delivered = api_client.post("/payments/webhook/", data=payload, content_type="application/json",
                                HTTP_STRIPE_SIGNATURE=signature)
    assert delivered.status_code == 200, delivered.content
    replay = _checkout(user_client, product, "stripe")

    assert replay.status_code == 200, replay.content
    body = replay.json()
    assert (body["payment_status"], body["payment_id"]) == ("paid", payment.pk)
    assert _next(body) == (None, None, None)


@pytest.mark.parametrize("outcome", ["succeed", "fail"])
def test_a_replayed_guest_checkout_has_no_next_step_once_its_attempt_is_closed(sandbox_on, product, outcome):
    guest = APIClient()
    cart_token = guest_cart(guest, (product, 1))
    first = guest_checkout(guest, cart_token, key=KEY, payment_method="sandbox")
    assert first.status_code == 201, first.content
    placed = first.json()
    url = placed["next_step"]
    assert url.startswith(SANDBOX_PAGE)
    open_replay = guest_checkout(guest, cart_token, key=KEY, payment_method="sandbox")
    assert open_replay.status_code == 200, open_replay.content
    assert (open_replay.json()["payment_id"], _next(open_replay.json())) == (placed["payment_id"], (url, url, None))

    _sandbox_button(guest, url, outcome)
    replay = guest_checkout(guest, cart_token, key=KEY, payment_method="sandbox")

    assert replay.status_code == 200, replay.content
    body = replay.json()
    assert (body["id"], body["payment_id"]) == (placed["id"], placed["payment_id"])
    assert _next(body) == (None, None, None)
    read = guest.get(guest_order_url(placed)).json()
    assert (read["next_step"], read["payment_url"]) == (None, None)


@pytest.mark.parametrize(("outcome", "status"), [("fail", "failed"), ("succeed", "succeeded"),
                                                 ("cancel", "cancelled")])
def test_create_intent_answered_again_by_its_key_has_no_next_step_once_the_attempt_closed(user_client, sandbox_on,
                                                                                         order, outcome, status):
    # Paid or cancelled since, the order could take no new payment: the same request sent again is still answered
    # with the attempt it opened, not refused (order_paid / order_not_payable), as an idempotent retry must be.
    request = {"order_id": order.pk, "payment_method": "sandbox", "idempotency_key": "retry-1"}
    first = user_client.post("/payments/create-intent/", request, format="json")
    assert first.status_code == 201, first.content
    started = first.json()
    url = started["next_step"]
    assert url.startswith(SANDBOX_PAGE) and started["checkout_url"] == url
    open_again = user_client.post("/payments/create-intent/", request, format="json").json()
    assert (open_again["payment"]["id"], open_again["next_step"], open_again["checkout_url"]) == (
        started["payment"]["id"], url, url)

    _close(user_client, started["payment"]["id"], outcome)
    again = user_client.post("/payments/create-intent/", request, format="json")

    assert again.status_code == 201, again.content
    body = again.json()
    assert (body["payment"]["id"], body["payment"]["status"]) == (started["payment"]["id"], status)
    assert (body["next_step"], body["checkout_url"], body["client_secret"]) == (None, None, None)


@pytest.mark.parametrize(("outcome", "status"), [("fail", "failed"), ("succeed", "succeeded")])
def test_a_guest_pay_answered_again_by_its_key_has_no_next_step_once_the_attempt_closed(sandbox_on, product,
                                                                                      outcome, status):
    guest = APIClient()
    placed = guest_checkout(guest, guest_cart(guest, (product, 1)), payment_method="sandbox").json()
    _sandbox_button(guest, placed["next_step"], "fail")
    request = {"payment_method": "sandbox", "idempotency_key": "k1"}
    retry = guest.post(guest_order_url(placed, "pay/"), request, format="json")
    assert retry.status_code == 201, retry.content
    url = retry.json()["next_step"]
    assert url.startswith(SANDBOX_PAGE) and retry.json()["payment"]["id"] != placed["payment_id"]
    assert guest.post(guest_order_url(placed, "pay/"), request, format="json").json()["next_step"] == url

    _sandbox_button(guest, url, outcome)
    again = guest.post(guest_order_url(placed, "pay/"), request, format="json")

    assert again.status_code == 201, again.content
    body = again.json()
    assert (body["payment"]["id"], body["payment"]["status"]) == (retry.json()["payment"]["id"], status)
    assert (body["next_step"], body["checkout_url"], body["client_secret"]) == (None, None, None)


@pytest.mark.parametrize(("outcome", "status"), [("fail", "failed"), ("succeed", "succeeded"),
                                                 ("cancel", "cancelled")])
def test_a_key_answered_with_the_checkouts_open_attempt_names_that_attempt_from_then_on(user_client, sandbox_on,
                                                                                       product, outcome, status):
    # The checkout opened attempt P; a create-intent with a new key found P open and answered it. Sent again after
    # P ended, the same request must answer P again, not open a second attempt (a fresh-eyes tester's retry after
    # a failed payment did) nor refuse (order_paid / order_not_payable).
    placed = _checkout(user_client, product, "sandbox").json()
    request = {"order_id": placed["id"], "payment_method": "sandbox", "idempotency_key": "tab-2"}
    first = user_client.post("/payments/create-intent/", request, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["payment"]["id"] == placed["payment_id"]

    _close(user_client, placed["payment_id"], outcome)
    again = user_client.post("/payments/create-intent/", request, format="json")

    assert again.status_code == 201, again.content
    body = again.json()
    assert (body["payment"]["id"], body["payment"]["status"]) == (placed["payment_id"], status)
    assert (body["next_step"], body["checkout_url"], body["client_secret"]) == (None, None, None)
    assert Payment.objects.filter(order_id=placed["id"]).count() == 1


def test_a_key_bound_to_an_open_attempt_is_refused_for_another_request(user_client, sandbox_on, product, order):
    placed = _checkout(user_client, product, "sandbox").json()
    bound = user_client.post("/payments/create-intent/", {"order_id": placed["id"], "payment_method": "sandbox",
                                                          "idempotency_key": "tab-3"}, format="json")
    assert bound.status_code == 201, bound.content
    payments_before = Payment.objects.count()

    other_order = user_client.post("/payments/create-intent/", {"order_id": order.pk, "payment_method": "sandbox",
                                                                "idempotency_key": "tab-3"}, format="json")
    other_method = user_client.post("/payments/create-intent/", {"order_id": placed["id"], "payment_method": "cod",
                                                                 "idempotency_key": "tab-3"}, format="json")

    assert (other_order.status_code, other_order.json()["code"]) == (422, "idempotency_key_reused")
    assert (other_method.status_code, other_method.json()["code"]) == (422, "idempotency_key_reused")
    assert Payment.objects.count() == payments_before


def test_a_guests_key_answered_with_the_checkouts_open_attempt_names_it_after_payment(sandbox_on, product):
    guest = APIClient()
    placed = guest_checkout(guest, guest_cart(guest, (product, 1)), payment_method="sandbox").json()
    request = {"payment_method": "sandbox", "idempotency_key": "gk-1"}
    first = guest.post(guest_order_url(placed, "pay/"), request, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["payment"]["id"] == placed["payment_id"]

    _sandbox_button(guest, placed["next_step"], "succeed")
    again = guest.post(guest_order_url(placed, "pay/"), request, format="json")

    assert again.status_code == 201, again.content
    body = again.json()
    assert (body["payment"]["id"], body["payment"]["status"]) == (placed["payment_id"], "succeeded")
    assert (body["next_step"], body["checkout_url"], body["client_secret"]) == (None, None, None)
