"""Delivery to real local receivers that verify with the `standardwebhooks` package: signatures, rotation,
retries, order per resource, auto-disable, redelivery, the SSRF guard at send time, the relay sweep."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from shop.catalog.services import product_create, product_update
from shop.catalog.tests.factories import CategoryFactory
from shop.events.models import Event
from shop.webhooks import services
from shop.webhooks.models import WebhookDelivery, WebhookEndpoint
from shop.webhooks.services import retry_delay, webhooks_sweep

pytestmark = pytest.mark.django_db(transaction=True)


def _endpoint(receiver, events=("*",)) -> WebhookEndpoint:
    endpoint = services.endpoint_create(url=receiver.url, events=list(events))
    receiver.secret = endpoint.secret
    return endpoint


def ProductFactory(**fields):  # noqa: N802 - reads like the factory; goes through the service, which emits
    """A product created the way staff create one (``product_create``), so product.created is recorded."""
    number = Event.objects.count() + WebhookDelivery.objects.count() + len(fields) + timezone.now().microsecond
    return product_create(name=f"Lamp {number}", slug=f"lamp-{number}", price=fields.get("price", Decimal("9.50")),
                          category=CategoryFactory(), stock_quantity=fields.get("stock_quantity", 10))


def _sweep_until_settled(rounds: int = 20) -> None:
    for _ in range(rounds):
        webhooks_sweep()
        if not WebhookDelivery.objects.filter(status__in=("pending", "sending")).exists():
            return
    raise AssertionError("deliveries still pending after the sweeps")


def test_a_committed_change_arrives_signed_and_verifiable(receiver):
    _endpoint(receiver, events=["product.created"])

    product = ProductFactory(price=Decimal("10.00"))

    [got] = receiver.accepted()
    event = Event.objects.get(type="product.created")
    assert got.webhook_id == f"evt_{event.pk}" and got.verified
    assert got.body["type"] == "product.created" and got.body["resource"] == "product"
    assert got.body["resource_id"] == product.pk and got.body["sequence"] == 1
    assert got.body["object"]["slug"] == product.slug and got.body["object"]["price"] == "10.00"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_response_status) == ("succeeded", 1, 204)
    [attempt] = delivery.attempt_log.all()
    assert attempt.request_headers["webhook-id"] == got.webhook_id and attempt.response_status == 204


def test_an_unsubscribed_type_is_not_sent(receiver):
    _endpoint(receiver, events=["order.created"])

    ProductFactory()

    assert receiver.received == [] and WebhookDelivery.objects.count() == 0
    assert Event.objects.filter(type="product.created", relayed_at__isnull=False).count() == 1


def test_rotation_sends_both_signatures_during_the_overlap(receiver):
    endpoint = _endpoint(receiver)
    old_secret = endpoint.secret
    rotated = services.endpoint_rotate_secret(endpoint_id=endpoint.pk)

    receiver.secret = old_secret  # a receiver that has not switched yet
    ProductFactory()
    receiver.secret = rotated.secret  # one that has
    ProductFactory()

    assert [item.verified for item in receiver.received] == [True, True]
    assert all(len(item.headers["webhook-signature"].split(" ")) == 2 for item in receiver.received)

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(previous_secret_expires_at=timezone.now())
    receiver.secret = old_secret
    ProductFactory()
    assert receiver.received[-1].verified is False  # the overlap is over: only the new secret signs
    assert len(receiver.received[-1].headers["webhook-signature"].split(" ")) == 1


def test_receiver_down_then_back_gets_every_event_in_order_per_resource(receiver, fast_retries):
    _endpoint(receiver)
    products = [ProductFactory(stock_quantity=50) for _ in range(2)]
    receiver.stop()  # down: connections refused
    for round_ in range(3):
        for product in products:
            product_update(product=product, data={"description": f"round {round_}"})
    webhooks_sweep()  # a retry while still down
    receiver.answer_next(2, 503)  # back, but answering 503 twice first
    receiver.start()
    receiver.answer_next(1, 429, {"Retry-After": "0"})

    _sweep_until_settled()

    events = list(Event.objects.order_by("id"))
    accepted = receiver.accepted()
    assert sorted({item.webhook_id for item in accepted}) == sorted(event.public_id for event in events)
    for product in products:
        arrived = [item.body["sequence"] for item in accepted if item.body["resource_id"] == product.pk]
        assert arrived == [1, 2, 3, 4]  # created, then three updates: in order, none lost, none twice
    # Every request the receiver saw (refused ones included) carried the id of an event: duplicates are only
    # retries of the same webhook-id.
    assert {item.webhook_id for item in receiver.received} <= {event.public_id for event in events}
    assert WebhookDelivery.objects.filter(status="succeeded").count() == len(events)
    retried = WebhookDelivery.objects.filter(attempts__gt=1)
    assert retried.exists() and all(d.attempt_log.count() == d.attempts for d in retried)


def test_a_4xx_is_not_retried_and_does_not_hold_the_resource_back(receiver, fast_retries):
    _endpoint(receiver)
    receiver.answer_next(1, 400)
    product = ProductFactory()  # product.created: refused with 400
    product_update(product=product, data={"description": "next"})

    _sweep_until_settled()

    first, second = WebhookDelivery.objects.order_by("sequence")
    assert (first.status, first.attempts, first.last_response_status) == ("failed", 1, 400)
    assert "not retried" in first.last_error
    assert (second.status, second.attempts) == ("succeeded", 1)


@pytest.mark.parametrize("status", [500, 502, 503, 408, 429])
def test_server_errors_timeouts_and_throttling_are_retried(receiver, fast_retries, status):
    _endpoint(receiver)
    receiver.answer_next(1, status)

    ProductFactory()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_response_status) == ("pending", 1, status)

    _sweep_until_settled()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)


def test_retry_after_is_honoured(receiver, settings):
    _endpoint(receiver)
    receiver.answer_next(1, 429, {"Retry-After": "120"})

    ProductFactory()

    delivery = WebhookDelivery.objects.get()
    wait = (delivery.next_attempt_at - delivery.attempt_log.get().started_at).total_seconds()
    assert 119 <= wait <= 125
    webhooks_sweep()  # not due yet: nothing sent
    assert WebhookDelivery.objects.get().attempts == 1


def test_the_schedule_makes_eight_attempts_over_more_than_a_day(settings):
    waits = [retry_delay(n) for n in range(1, settings.WEBHOOK_MAX_ATTEMPTS)]

    assert settings.WEBHOOK_MAX_ATTEMPTS >= 8
    assert sum(waits) >= 24 * 3600
    assert waits == sorted(waits) or waits[-1] <= settings.WEBHOOK_RETRY_MAX_SECONDS * 1.25
    assert retry_delay(1) != retry_delay(1) or retry_delay(2) != retry_delay(2)  # jittered


def test_every_attempt_used_fails_the_delivery(receiver, fast_retries, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    _endpoint(receiver)
    receiver.answer_next(10, 503)

    ProductFactory()
    for _ in range(5):
        webhooks_sweep()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 3)


def test_consecutive_failures_disable_the_endpoint_and_tell_staff(receiver, fast_retries, settings, staff_user):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    endpoint = _endpoint(receiver)
    receiver.answer_next(10, 500)

    ProductFactory()
    for _ in range(4):
        webhooks_sweep()

    endpoint.refresh_from_db()
    assert endpoint.is_active is False and "3 consecutive" in endpoint.disabled_reason
    assert WebhookDelivery.objects.get().attempts == 3  # nothing more is sent to a disabled endpoint
    [message] = mail.outbox
    assert message.to == [staff_user.email] and endpoint.url in message.subject

    receiver.script.clear()
    services.endpoint_update(endpoint_id=endpoint.pk, data={"is_active": True})  # back on: the backlog goes out
    _sweep_until_settled()
    assert WebhookDelivery.objects.get().status == "succeeded" and len(receiver.accepted()) == 1


def test_redelivery_sends_the_same_webhook_id_again(receiver, staff_client):
    _endpoint(receiver)
    ProductFactory()
    original = WebhookDelivery.objects.get()

    response = staff_client.post(f"/webhook-deliveries/{original.pk}/redeliver/")

    assert response.status_code == 202, response.content
    assert response.json()["redelivery_of"] == original.pk and response.json()["webhook_id"] == original.message_id
    first, second = receiver.accepted()
    assert first.webhook_id == second.webhook_id and first.body == second.body
    assert WebhookDelivery.objects.get(pk=response.json()["id"]).status == "succeeded"


def test_the_address_is_checked_again_at_send_time(receiver, settings, fast_retries):
    _endpoint(receiver)
    settings.WEBHOOK_ALLOW_LOOPBACK = False  # as if the name now resolved to a forbidden address

    ProductFactory()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)  # refused, never retried
    assert "loopback" in delivery.last_error and receiver.received == []


def test_ping_answers_the_receivers_verdict(receiver, staff_client):
    endpoint = _endpoint(receiver)

    response = staff_client.post(f"/webhooks/{endpoint.pk}/ping/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["event_type"], body["status"], body["last_response_status"]) == ("webhook.ping", "succeeded", 204)
    assert body["attempt_log"][0]["response_status"] == 204
    [got] = receiver.accepted()
    assert got.body["type"] == "webhook.ping" and got.webhook_id == body["webhook_id"]


def test_settled_deliveries_are_pruned_after_the_retention(receiver, settings):
    settings.WEBHOOK_DELIVERY_RETENTION_DAYS = 7
    _endpoint(receiver)
    ProductFactory()

    assert webhooks_sweep(now=timezone.now() + timedelta(days=6))["pruned"] == 0
    assert webhooks_sweep(now=timezone.now() + timedelta(days=8))["pruned"] >= 1
    assert WebhookDelivery.objects.count() == 0
