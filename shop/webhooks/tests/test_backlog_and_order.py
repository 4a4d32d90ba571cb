"""Events recorded while an endpoint is off wait for it and go out in order when it is turned on; an endpoint
created later never receives the past; a resource's events reach an endpoint in sequence order even when several
relays run at once (PostgreSQL). Real local receivers verify every delivery with the `standardwebhooks` package."""

from decimal import Decimal
from functools import partial

import pytest
from django.db import transaction

from shop.catalog.services import product_create, product_update
from shop.catalog.tests.factories import CategoryFactory
from shop.events.models import Event
from shop.webhooks import services
from shop.webhooks.models import WebhookDelivery, WebhookEndpoint
from shop.webhooks.services import webhooks_sweep
from tests.concurrency import raised, run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)


def _endpoint(receiver, **fields) -> WebhookEndpoint:
    endpoint = services.endpoint_create(url=receiver.url, events=["*"], **fields)
    receiver.secret = endpoint.secret
    return endpoint


def _product(slug="lamp"):
    return product_create(name="Lamp", slug=slug, price=Decimal("9.50"), category=CategoryFactory(),
                          stock_quantity=10)


def _sweep_until_settled(rounds: int = 30) -> None:
    for _ in range(rounds):
        webhooks_sweep()
        if not WebhookDelivery.objects.filter(status__in=("pending", "sending"), endpoint__is_active=True).exists():
            return
    raise AssertionError("deliveries still pending after the sweeps")


def _sequences(receiver, product_id: int) -> list[int]:
    return [item.body["sequence"] for item in receiver.accepted() if item.body["resource_id"] == product_id]


def test_events_recorded_while_created_inactive_go_out_in_order_once_switched_on(receiver, staff_client):
    endpoint = _endpoint(receiver, is_active=False)
    product = _product()
    for n in range(3):
        product_update(product=product, data={"description": f"version {n}"})
    webhooks_sweep()
    assert receiver.received == []  # off: nothing sent, but every event has its delivery waiting
    assert WebhookDelivery.objects.filter(endpoint=endpoint, status="pending").count() == 4

    response = staff_client.patch(f"/webhooks/{endpoint.pk}/", {"is_active": True}, format="json")
    assert response.status_code == 200, response.content
    _sweep_until_settled()

    assert _sequences(receiver, product.pk) == [1, 2, 3, 4]
    assert all(item.verified for item in receiver.received)


def test_events_recorded_while_auto_disabled_go_out_in_order_when_turned_back_on(receiver, fast_retries, settings):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    endpoint = _endpoint(receiver)
    receiver.answer_next(2, 500)
    product = _product()
    webhooks_sweep()  # the second failure turns the endpoint off
    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    product_update(product=product, data={"description": "while off"})
    product_update(product=product, data={"price": Decimal("11.00")})
    assert len(receiver.received) == 2  # the two failed attempts only

    services.endpoint_update(endpoint_id=endpoint.pk, data={"is_active": True})
    _sweep_until_settled()

    assert _sequences(receiver, product.pk) == [1, 2, 3]
    assert WebhookDelivery.objects.filter(status="succeeded").count() == 3


def test_an_endpoint_created_later_never_receives_the_past(receiver):
    product = _product()  # relayed at once: no endpoint yet
    with transaction.atomic():  # recorded first, relayed after the endpoint exists
        product_update(product=product, data={"description": "before the endpoint"})
        endpoint = _endpoint(receiver)
    _sweep_until_settled()
    assert receiver.received == [] and not WebhookDelivery.objects.filter(endpoint=endpoint).exists()

    product_update(product=product, data={"description": "after"})
    assert _sequences(receiver, product.pk) == [3]


def test_a_delivery_waits_for_an_earlier_event_not_yet_relayed(receiver):
    _endpoint(receiver)
    product = _product()
    Event.objects.filter(pk=Event.objects.get().pk).update(relayed_at=None)  # as if its relay were still running
    WebhookDelivery.objects.all().delete()
    receiver.received.clear()

    product_update(product=product, data={"description": "second"})  # relayed and queued: must wait
    assert receiver.received == []
    assert WebhookDelivery.objects.get().status == "pending"

    webhooks_sweep()  # relays the first; the second follows it
    assert _sequences(receiver, product.pk) == [1, 2]


@pytest.mark.postgres
def test_concurrent_changes_to_one_product_arrive_in_sequence_order(receiver, broker_down):
    _endpoint(receiver)
    product = _product()  # the broker is down: every event waits for a relay
    changes = [partial(product_update, product=product, data={"description": f"change {n}"}) for n in range(20)]
    assert raised(run_concurrently(*changes)) == []
    events = list(Event.objects.filter(relayed_at__isnull=True).order_by("-sequence").values_list("pk", flat=True))
    assert len(events) == 21
    broker_down()  # back: now many relays run at once, the later events' first, racing the sweeps

    relays = [partial(services.event_relay, event_id=event_id) for event_id in events]
    results = run_concurrently(*relays, *[webhooks_sweep] * 3)

    assert raised(results) == []
    _sweep_until_settled()
    arrived = _sequences(receiver, product.pk)
    assert arrived == list(range(1, 22)), arrived  # created + 20 updates, in order, none lost, none twice
    assert all(item.verified for item in receiver.received)
