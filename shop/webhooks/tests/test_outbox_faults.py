"""The outbox's promises at checkout: a broker outage loses nothing (the sweep relays), a rolled-back or undone
checkout emits nothing; with a real receiver verifying every delivery."""

from decimal import Decimal

import pytest
from django.db import transaction

from shop.cart.models import Cart, CartItem
from shop.catalog.tests.factories import ProductFactory
from shop.events.models import Event
from shop.payments.tests.conftest import stripe_on  # noqa: F401 (fixture)
from shop.webhooks import services
from shop.webhooks.models import WebhookDelivery
from shop.webhooks.services import webhooks_sweep

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def endpoint(receiver):
    endpoint = services.endpoint_create(url=receiver.url, events=["*"])
    receiver.secret = endpoint.secret
    return endpoint


def _fill_cart(user, product, quantity=1):
    cart, _ = Cart.objects.get_or_create(user=user)
    CartItem.objects.create(cart=cart, product=product, quantity=quantity, price_snapshot=product.price)


def test_broker_down_during_checkout_the_sweep_relays_every_event(user, user_client, receiver, endpoint,
                                                                  broker_down):
    product = ProductFactory(price=Decimal("20.00"), stock_quantity=10)
    _fill_cart(user, product)

    response = user_client.post("/orders/checkout/", {"payment_method": "sandbox"}, format="json")
    assert response.status_code == 201, response.content
    paid = user_client.post(f"/payments/sandbox/{response.json()['payment_id']}/succeed/")
    assert paid.status_code == 200, paid.content

    events = list(Event.objects.order_by("id"))
    assert [event.type for event in events] == ["order.created", "payment.succeeded", "order.paid"]
    assert all(event.relayed_at is None for event in events)  # committed, but the relay could not be queued
    assert receiver.received == []

    broker_down()  # the broker is back (the tests' settings run tasks inline)
    counts = webhooks_sweep()

    assert counts["relayed"] == 3
    accepted = receiver.accepted()
    assert [item.body["type"] for item in accepted] == ["order.created", "payment.succeeded", "order.paid"]
    assert all(item.verified for item in receiver.received)
    order_events = [item.body for item in accepted if item.body["resource"] == "order"]
    assert [body["sequence"] for body in order_events] == [1, 2]
    assert order_events[0]["object"]["id"] == response.json()["id"]
    assert WebhookDelivery.objects.filter(status="succeeded").count() == 3


def test_stock_refused_checkout_emits_nothing(user, user_client, receiver, endpoint):
    product = ProductFactory(stock_quantity=1)
    _fill_cart(user, product, quantity=2)

    response = user_client.post("/orders/checkout/", {"payment_method": "sandbox"}, format="json")

    assert response.status_code == 409 or response.status_code == 400, response.content
    assert response.json()["code"] == "insufficient_stock"
    assert Event.objects.count() == 0 and receiver.received == []


def test_checkout_undone_by_a_gateway_503_emits_nothing(user, user_client, receiver, endpoint, stripe_on):  # noqa: F811
    product = ProductFactory(price=Decimal("25.00"), stock_quantity=50)  # far above the low-stock threshold
    _fill_cart(user, product)
    stripe_on.fail_next(1, status=503)

    response = user_client.post("/orders/checkout/", {"payment_method": "stripe"}, format="json")

    assert response.status_code == 503, response.content
    assert response.json()["order_status"] == "cancelled"  # committed, then undone
    assert Event.objects.count() == 0 and receiver.received == []


def test_a_rolled_back_transaction_leaves_no_event_and_tells_no_listener(receiver, endpoint):
    from shop.catalog.services import product_create
    from shop.catalog.tests.factories import CategoryFactory

    category = CategoryFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        product_create(name="Gone", slug="gone", price=Decimal("1.00"), category=category)
        raise RuntimeError("rolled back")

    assert Event.objects.count() == 0 and receiver.received == []
