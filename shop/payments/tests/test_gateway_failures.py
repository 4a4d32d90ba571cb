"""A gateway that fails while a payment opens, on every route that opens one, with every gateway (the real clients
against a closed port or the local fakes answering errors):

- a checkout it undoes sends nothing: no confirmation e-mail, no order event, no e-mail claim (only the order
  its payment opened is announced, once);
- its Idempotency-Key keeps naming its request: the same request retries, another is the 422;
- the customer reads general words naming the gateway, on the answer and on the order's payment, never the HTTP
  client's or the gateway's own (hosts, ports, URLs, the SDK's support address); those go to the log.
"""

import logging
import socket
from decimal import Decimal

import pytest
from django.core import mail

from shop.catalog.tests.factories import ProductFactory
from shop.events.models import Event
from shop.orders.models import Order, OrderNotification
from shop.orders.tests.factories import place_order
from shop.orders.tests.guests import guest_cart, guest_checkout, guest_order_url
from shop.payments.models import Payment

pytestmark = pytest.mark.django_db

GATEWAYS = {"stripe": ("Stripe", "STRIPE_API_BASE"), "paymob": ("Paymob", "PAYMOB_API_BASE"),
            "intasend": ("IntaSend", "INTASEND_API_BASE")}
# What the HTTP clients and the gateways say, which a customer must never read.
INTERNAL = ("127.0.0.1", "HTTPConnectionPool", "Connection refused", "support@stripe.com", "Injected failure",
            "Max retries", "/v1/", "/api/")


def _closed_port() -> int:
    """A local port nothing listens on (connection refused, at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gateway(request, settings):
    """``(code, display name, fake)``: the gateway named by the test's ``method``, configured against its fake."""
    code = request.getfixturevalue("method")
    fake = request.getfixturevalue(f"{code}_on")
    return code, GATEWAYS[code][0], fake


def _down(settings, code: str) -> None:
    setattr(settings, GATEWAYS[code][1], f"http://127.0.0.1:{_closed_port()}")


def _back(settings, code: str, fake) -> None:
    setattr(settings, GATEWAYS[code][1], fake.base_url)


def _unavailable(name: str) -> str:
    return f"{name} is not responding right now. Nothing was charged; please try again in a few minutes."


def _internal_words(text: str) -> list[str]:
    return [word for word in INTERNAL if word in text]


@pytest.fixture
def product(db):
    return ProductFactory(price=Decimal("49.99"), stock_quantity=50)


ROUTES = ["cart", "cart_alias", "direct", "guest"]
METHOD_IDS = {"stripe": 1, "paymob": 2, "intasend": 3, "sandbox": 4}


def _buyer(route: str, *, user_client, api_client, product):
    """``place(method, key)``: one checkout by ``route`` (the customer's cart, the checkout alias answering 200 with
    method ids, a direct order, a guest's cart) of 2 x ``product``, with Idempotency-Key ``key``."""
    if route == "guest":
        token = guest_cart(api_client, (product, 2))
        return lambda method, key: guest_checkout(api_client, token, key=key, payment_method=method)
    if route == "direct":
        return lambda method, key: user_client.post(
            "/orders/", {"items": [{"product_id": product.pk, "quantity": 2}], "payment_method": method},
            format="json", HTTP_IDEMPOTENCY_KEY=key)
    added = user_client.post("/cart/items/", {"product_id": product.pk, "quantity": 2}, format="json")
    assert added.status_code in (200, 201), added.content
    if route == "cart_alias":
        return lambda method, key: user_client.post("/api/shop/checkout/cart", {"payment_method": METHOD_IDS[method]},
                                                    format="json", HTTP_IDEMPOTENCY_KEY=key)
    return lambda method, key: user_client.post("/orders/checkout/", {"payment_method": method}, format="json",
                                                HTTP_IDEMPOTENCY_KEY=key)


def _announced(order: Order) -> list[str]:
    return list(Event.objects.filter(resource_type="order", resource_id=order.pk).values_list("type", flat=True))


@pytest.mark.parametrize("method", list(GATEWAYS))
@pytest.mark.parametrize("route", ROUTES)
def test_a_checkout_undone_by_the_gateway_sends_nothing_and_says_so_in_safe_words(
        route, method, gateway, settings, user, user_client, api_client, product, caplog,
        django_capture_on_commit_callbacks):
    code, name, fake = gateway
    _down(settings, code)
    place = _buyer(route, user_client=user_client, api_client=api_client, product=product)

    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        response = place(method, "st-1")

    assert response.status_code == 503, response.content
    undone = Order.objects.get()
    from_cart = route != "direct"
    assert response.json() == {
        "detail": f"{_unavailable(name)} Order {undone.order_key} was cancelled and its stock released"
                  f"{'; your cart is as it was' if from_cart else ''}.",
        "code": "gateway_unavailable", "order_id": undone.pk, "order_status": "cancelled"}
    assert (undone.status, undone.cancel_reason) == ("cancelled", "payment_unavailable")
    # Nothing told anyone the order exists: no e-mail (nor a claim to send one), no outbox event.
    assert mail.outbox == []
    assert not OrderNotification.objects.exists()
    assert _announced(undone) == []
    # The customer reads the same general words on the order's payment; the log keeps what the client said.
    assert Payment.objects.get(order=undone).failure_message == _unavailable(name)
    assert "Connection refused" in caplog.text
    product.refresh_from_db()
    assert product.stock_quantity == 50

    # The gateway is back: the same request, with the same key, places the order; it alone is announced, once.
    _back(settings, code, fake)
    with django_capture_on_commit_callbacks(execute=True):
        retry = place(method, "st-1")

    assert retry.status_code == (200 if route == "cart_alias" else 201), retry.content
    placed = Order.objects.get(pk=retry.json()["id"])
    assert placed.pk != undone.pk and placed.status == "processing"
    assert [message.subject for message in mail.outbox] == [f"Your order {placed.order_key} is confirmed"]
    assert _announced(placed) == ["order.created"]
    assert _announced(undone) == []


@pytest.mark.parametrize("method", list(GATEWAYS))
@pytest.mark.parametrize("route", ROUTES)
def test_after_a_503_the_key_still_names_its_request(route, method, gateway, settings, user_client, api_client,
                                                     product):
    code, name, fake = gateway
    settings.PAYMENTS_SANDBOX_ENABLED = True
    _down(settings, code)
    place = _buyer(route, user_client=user_client, api_client=api_client, product=product)
    assert place(method, "st-1").status_code == 503
    undone = Order.objects.get()

    # The same key with another request (another method) places nothing, as create-intent's key after a 503.
    other = place("sandbox", "st-1")

    assert other.status_code == 422, other.content
    assert other.json()["code"] == "idempotency_key_reused"
    assert list(Order.objects.values_list("pk", flat=True)) == [undone.pk]
    product.refresh_from_db()
    assert product.stock_quantity == 50

    # The same request again, the gateway still down: another 503, and the key still refuses another request.
    assert place(method, "st-1").status_code == 503
    assert place("sandbox", "st-1").status_code == 422
    # Once the gateway is back the same request places one order, which the key then replays.
    _back(settings, code, fake)
    placed = place(method, "st-1")
    replayed = place(method, "st-1")
    assert placed.status_code == (200 if route == "cart_alias" else 201), placed.content
    assert (replayed.status_code, replayed.json()["id"]) == (200, placed.json()["id"])
    assert Order.objects.exclude(status="cancelled").count() == 1
    assert place("sandbox", "st-1").status_code == 422


FAULTS = {
    # fault: (how the fake fails, status of our answer, code, the customer's words after the gateway's name)
    "unreachable": (None, 503, "gateway_unavailable",
                    "is not responding right now. Nothing was charged; please try again in a few minutes."),
    "5xx": (500, 503, "gateway_unavailable",
            "is not responding right now. Nothing was charged; please try again in a few minutes."),
    "credentials": (401, 503, "gateway_unavailable",
                    "cannot be used right now because of a problem on our side. Nothing was charged; please try "
                    "again later."),
    "refused": (400, 400, "gateway_rejected",
                "did not accept this payment. Nothing was charged; please try again later or contact us."),
}


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("method", list(GATEWAYS))
def test_create_intent_and_the_guest_pay_route_answer_safe_words_and_send_nothing(
        fault, method, gateway, settings, user, user_client, api_client, product, caplog,
        django_capture_on_commit_callbacks):
    code, name, fake = gateway
    status, answered, error_code, words = FAULTS[fault]
    order = place_order(user=user, product=product)  # placed without a method: announced at checkout
    mail.outbox.clear()
    events = Event.objects.count()
    if status is None:
        _down(settings, code)
    else:
        fake.fail_next(1, status=status)

    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        response = user_client.post("/payments/create-intent/", {"order_id": order.pk, "payment_method": method},
                                    format="json")

    assert response.status_code == answered, response.content
    assert response.json() == {"detail": f"{name} {words}", "code": error_code}
    shown = user_client.get(f"/orders/{order.pk}/").json()["payments"][0]
    assert (shown["status"], shown["failure_message"]) == ("failed", f"{name} {words}")
    assert _internal_words(caplog.text), "the gateway's own words are logged"
    assert (mail.outbox, Event.objects.count()) == ([], events)


@pytest.mark.parametrize("method", list(GATEWAYS))
def test_a_guest_pay_route_failing_at_the_gateway_answers_safe_words(method, gateway, settings, api_client, product):
    code, name, fake = gateway
    settings.DEFAULT_PAYMENT_METHOD = "none"
    token = guest_cart(api_client, (product, 1))
    placed = guest_checkout(api_client, token)
    assert placed.status_code == 201, placed.content
    _down(settings, code)

    response = api_client.post(guest_order_url(placed.json(), "pay/"), {"payment_method": method}, format="json")

    assert response.status_code == 503, response.content
    assert response.json() == {"detail": _unavailable(name), "code": "gateway_unavailable"}
    assert Payment.objects.get().failure_message == _unavailable(name)


def test_a_card_declined_by_stripe_keeps_stripes_words_for_the_payer(stripe_on, user, user_client, product):
    """The one gateway text written for payers: a Stripe card error's message."""
    from shop.payments.gateways import configured_provider_get
    from shop.payments.providers.base import GatewayRejected
    from shop.payments.services._shared import gateway_failure_message

    exc = GatewayRejected("Request req_1: Your card was declined.", code="card_declined",
                          customer_message="Your card was declined.")
    assert gateway_failure_message(configured_provider_get("stripe"), exc) == "Stripe refused: Your card was declined."


def test_a_refund_the_gateway_fails_tells_the_customer_safe_words_and_staff_the_gateways(
        stripe_on, user, user_client, product):
    order = place_order(user=user, product=product)
    opened = user_client.post("/payments/create-intent/", {"order_id": order.pk, "payment_method": "stripe"},
                              format="json")
    assert opened.status_code == 201, opened.content
    payment = opened.json()["payment"]
    stripe_on.succeed(payment["provider_payment_id"])  # the customer pays; the shop reads it back
    assert user_client.post("/payments/sync-status/", {"payment_id": payment["id"]}, format="json").status_code == 200
    stripe_on.fail_next(1, status=500)

    response = user_client.post("/payments/refund/", {"payment_id": payment["id"]}, format="json")

    assert response.status_code == 503, response.content
    assert response.json() == {
        "detail": "Stripe is not responding right now. No refund was made; please try again in a few minutes.",
        "code": "gateway_unavailable"}
    refund = Payment.objects.get(pk=payment["id"]).refunds.get()
    assert refund.status == "failed"
    assert "Injected failure (500)" in refund.failure_message  # staff's field (the admin, staff's webhooks)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", ["cart", "direct"])
def test_retries_racing_after_a_503_place_one_order_and_refuse_other_requests(route, settings, stripe_on):
    """After a 503, the same key sent at once with the same request (twice) and with another (twice), the gateway
    back: one order, answered to both twins; the others 422. The key moves to it under the cart lock."""
    from rest_framework.test import APIClient

    from shop.accounts.tests.factories import UserFactory
    from shop.cart.tests.factories import CartItemFactory
    from tests.concurrency import resent_when_in_progress, run_concurrently

    settings.PAYMENTS_SANDBOX_ENABLED = True
    product = ProductFactory(price=Decimal("49.99"), stock_quantity=50)
    user = UserFactory()
    lines = {"items": [{"product_id": product.pk, "quantity": 2}]} if route == "direct" else {}
    if route == "cart":
        CartItemFactory(cart__user=user, product=product, quantity=2)
    path = "/orders/" if route == "direct" else "/orders/checkout/"

    def post(method: str):
        def call():
            client = APIClient()
            client.force_authenticate(user)
            response = client.post(path, {**lines, "payment_method": method}, format="json",
                                   HTTP_IDEMPOTENCY_KEY="st-1")
            return response.status_code, response.json()
        return call

    _down(settings, "stripe")
    assert post("stripe")()[0] == 503
    _back(settings, "stripe", stripe_on)

    calls = (post("stripe"), post("sandbox"), post("stripe"), post("sandbox"))
    # A twin arriving while the other opens the order's payment is told to send it again: it then gets the order.
    results = resent_when_in_progress(run_concurrently(*calls), calls)

    live = Order.objects.exclude(status="cancelled").get()  # exactly one
    assert sorted(results[index][0] for index in (0, 2)) == [200, 201], results
    assert {results[index][1]["id"] for index in (0, 2)} == {live.pk}
    assert [results[index][1]["code"] for index in (1, 3)] == ["idempotency_key_reused"] * 2, results
    assert (live.payment_method, Order.objects.count()) == ("stripe", 2)
    product.refresh_from_db()
    assert product.stock_quantity == 48


# --- What a 503 leaves, as the schema says it -------------------------------------------------------------------
# The shared 503 says "nothing changed" (shop.core.schema). A tester found the checkout's saying so while the
# cancelled order it names stays: each operation whose 503 can come after something was written declares its own,
# naming what stays (and the checks below make each one happen).

CHECKOUT_PATHS = {"cart": "/orders/checkout/", "cart_alias": "/api/shop/checkout/cart", "direct": "/orders/",
                  "guest": "/orders/guest/checkout/"}
LEAVES = {
    **{(path, "post"): ("`cancelled`", "`cancel_reason: payment_unavailable`", "`order_id`", "failed payment attempt")
       for path in CHECKOUT_PATHS.values()},
    ("/payments/create-intent/", "post"): ("`failed`", "`failure_message`"),
    ("/orders/guest/{order_key}/pay/", "post"): ("`failed`", "`failure_message`"),
    ("/payments/refund/", "post"): ("`failed` refund", "`refund.failed` event", "`pending`"),
    **{(path, "post"): ("kept unprocessed",) for path in (
        "/payments/webhook/", "/payments/webhooks/stripe/", "/payments/webhooks/paymob/",
        "/payments/webhooks/intasend/", "/webhook/")},
    **{(path, "post"): ("the account was created already",) for path in ("/auth/register/", "/api/v1/register/")},
}
SHARED_503 = "A dependency failed or the resource is busy; nothing changed, retry later."


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from tests.openapi_schema import published_schema

    return published_schema(django_db_blocker)


def _said_on_503(schema, path, method) -> str:
    return schema["paths"][path][method]["responses"]["503"]["description"]


@pytest.mark.parametrize(("path", "method"), sorted(LEAVES))
def test_a_503_that_can_follow_a_write_says_what_stays(schema, path, method):
    said = _said_on_503(schema, path, method)

    assert "nothing changed, retry later" not in said
    assert [words for words in LEAVES[(path, method)] if words not in said] == []


def test_every_other_503_is_the_shared_one(schema):
    """A write that declares a 503 of its own is one of the table's (so its words are checked), and no other."""
    from tests.openapi_schema import operations

    declared = {(path, method) for path, method, operation in operations(schema)
                if operation["responses"].get("503", {}).get("description", SHARED_503) != SHARED_503}
    assert declared == set(LEAVES) | {("/health/", "get")}  # health's 503 is a read's: it says what is down


@pytest.mark.parametrize("route", ROUTES)
def test_the_checkout_503_names_the_cancelled_order_that_stays(route, schema, settings, user_client, api_client,
                                                               product, stripe_on):
    """The example: the order the 503 names stays, cancelled, as the schema now says (it said "nothing changed")."""
    _down(settings, "stripe")
    place = _buyer(route, user_client=user_client, api_client=api_client, product=product)

    response = place("stripe", "st-503")

    assert response.status_code == 503, response.content
    order = Order.objects.get()
    assert (response.json()["order_id"], response.json()["order_status"]) == (order.pk, "cancelled")
    assert (order.status, order.cancel_reason) == ("cancelled", "payment_unavailable")
    assert Payment.objects.get(order=order).status == "failed"
    said = _said_on_503(schema, CHECKOUT_PATHS[route], "post")
    assert "`cancelled` (`cancel_reason: payment_unavailable`)" in said and "nothing changed" not in said
