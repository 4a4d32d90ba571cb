"""The SSRF guard on IPv4 embedded in IPv6, the endpoint and delivery API's smaller rules (event lists stored
normalised, at most two secrets, redelivery of a waiting delivery, one not-found code), and product.updated naming
only real changes. Real local receivers verify every delivery with the `standardwebhooks` package."""

from decimal import Decimal

import pytest

from shop.catalog.services import product_create
from shop.catalog.tests.factories import CategoryFactory
from shop.events.models import Event
from shop.webhooks import services
from shop.webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db(transaction=True)

EMBEDDED = [
    ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1
    ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
    ("64:ff9b:1::a00:1", "private"),  # local-use NAT64 of 10.0.0.1
    ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ("2002:a9fe:a9fe::1", "link-local"),  # 6to4 of 169.254.169.254
    ("::127.0.0.1", "loopback"),  # IPv4-compatible
    ("::169.254.169.254", "link-local"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "private"),  # Teredo, client 192.0.2.45
]


def _product(slug="lamp"):
    return product_create(name="Lamp", slug=slug, price=Decimal("9.50"), category=CategoryFactory(),
                          stock_quantity=10)


@pytest.mark.parametrize(("address", "kind"), EMBEDDED)
def test_ipv4_embedded_in_ipv6_is_refused_at_creation(staff_client, address, kind):
    # WEBHOOK_ALLOW_LOOPBACK is on in the tests: an embedded loopback stays refused all the same.
    response = staff_client.post("/webhooks/", {"url": f"http://[{address}]:8080/h", "events": ["*"]}, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "webhook_url_refused"
    assert kind in response.json()["errors"]["url"][0]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(("address", "kind"), EMBEDDED)
def test_ipv4_embedded_in_ipv6_is_refused_at_send_time(receiver, address, kind):
    endpoint = services.endpoint_create(url=receiver.url, events=["*"])
    receiver.secret = endpoint.secret
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=f"http://[{address}]:{receiver.port}/hooks")

    _product()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)  # refused, never retried
    assert kind in delivery.last_error and "embedded" in delivery.last_error
    assert receiver.received == []


def test_event_lists_are_stored_deduplicated_and_star_absorbs_the_rest(staff_client):
    star = staff_client.post("/webhooks/", {"url": "http://127.0.0.1:9/h",
                                            "events": ["*", "order.created", "order.created"]}, format="json")
    listed = staff_client.post("/webhooks/", {"url": "http://127.0.0.1:9/h",
                                              "events": ["order.paid", "order.created", "order.paid"]}, format="json")
    patched = staff_client.patch(f"/webhooks/{listed.json()['id']}/", {"events": ["order.paid", "*"]}, format="json")

    assert (star.status_code, star.json()["events"]) == (201, ["*"])
    assert (listed.status_code, listed.json()["events"]) == (201, ["order.paid", "order.created"])
    assert (patched.status_code, patched.json()["events"]) == (200, ["*"])


def test_a_second_rotation_keeps_only_the_secret_it_replaces(receiver):
    endpoint = services.endpoint_create(url=receiver.url, events=["*"])
    original = endpoint.secret
    second = services.endpoint_rotate_secret(endpoint_id=endpoint.pk).secret
    third = services.endpoint_rotate_secret(endpoint_id=endpoint.pk).secret  # during the first overlap

    verdicts = {}
    for name, secret in (("original", original), ("second", second), ("third", third)):
        receiver.secret = secret
        _product(slug=f"lamp-{name}")
        verdicts[name] = receiver.received[-1].verified

    assert verdicts == {"original": False, "second": True, "third": True}
    assert all(len(item.headers["webhook-signature"].split(" ")) == 2 for item in receiver.received)


def test_staff_may_send_now_a_delivery_waiting_on_a_long_retry_after(receiver, staff_client):
    endpoint = services.endpoint_create(url=receiver.url, events=["*"])
    receiver.secret = endpoint.secret
    receiver.answer_next(1, 429, {"Retry-After": "43200"})
    _product()
    waiting = WebhookDelivery.objects.get()
    assert waiting.status == "pending" and waiting.attempts == 1

    response = staff_client.post(f"/webhook-deliveries/{waiting.pk}/redeliver/")

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["id"] == waiting.pk and body["redelivery_of"] is None  # the same delivery, sent now
    assert (body["status"], body["attempts"], body["last_response_status"]) == ("succeeded", 2, 204)
    assert [item.status for item in receiver.received] == [429, 204] and receiver.received[-1].verified
    assert WebhookDelivery.objects.count() == 1


def test_redeliver_refuses_a_delivery_in_flight(receiver, staff_client):
    endpoint = services.endpoint_create(url=receiver.url, events=["*"])
    receiver.secret = endpoint.secret
    _product()
    WebhookDelivery.objects.update(status="sending")

    response = staff_client.post(f"/webhook-deliveries/{WebhookDelivery.objects.get().pk}/redeliver/")

    assert (response.status_code, response.json()["code"]) == (409, "delivery_in_progress")


@pytest.mark.parametrize(("path", "code"), [
    ("/webhooks/abc/", "webhook_not_found"), ("/webhooks/999999/", "webhook_not_found"),
    ("/webhooks/abc/ping/", "webhook_not_found"), ("/webhooks/-1/rotate-secret/", "webhook_not_found"),
    ("/webhook-deliveries/abc/", "webhook_delivery_not_found"),
    ("/webhook-deliveries/999999/", "webhook_delivery_not_found"),
])
def test_a_missing_or_malformed_id_answers_the_same_not_found_code(staff_client, path, code):
    response = staff_client.post(path) if path.count("/") > 3 else staff_client.get(path)

    assert (response.status_code, response.json()["code"]) == (404, code)


def test_a_patch_that_changes_nothing_emits_nothing_and_one_names_only_what_changed(staff_client):
    product = _product()
    same = staff_client.patch(f"/products/{product.pk}/", {"price": "9.50", "name": "Lamp"}, format="json")
    assert same.status_code == 200, same.content
    assert list(Event.objects.values_list("type", flat=True)) == ["product.created"]

    changed = staff_client.patch(f"/products/{product.pk}/", {"price": "12.00", "name": "Lamp"}, format="json")

    assert changed.status_code == 200, changed.content
    assert Event.objects.get(type="product.updated").data == {"fields": ["price"]}


def test_staff_set_a_products_low_stock_threshold(staff_client):
    category = CategoryFactory()
    created = staff_client.post("/products/", {"name": "Lamp", "slug": "lamp", "description": "", "price": "9.50",
                                               "stock_quantity": 10, "category_id": category.pk,
                                               "low_stock_threshold": 3}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["low_stock_threshold"] == 3

    cleared = staff_client.patch(f"/products/{created.json()['id']}/", {"low_stock_threshold": None}, format="json")
    negative = staff_client.patch(f"/products/{created.json()['id']}/", {"low_stock_threshold": -1}, format="json")

    assert cleared.status_code == 200 and cleared.json()["low_stock_threshold"] is None
    assert Event.objects.filter(type="product.updated").get().data == {"fields": ["low_stock_threshold"]}
    assert negative.status_code == 400 and "low_stock_threshold" in negative.json()["errors"]


@pytest.mark.parametrize("url", ["http://[::1]:99999/x", "https://example.com:99999/x", "https://93.184.215.14:70000/x",
                                 "https://example.com:0/x", "https://example.com:port/x"])
def test_a_port_that_is_not_a_port_number_is_a_400_naming_the_url(staff_client, url):
    response = staff_client.post("/webhooks/", {"url": url, "events": ["order.created"]}, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["code"] in ("webhook_url_refused", "invalid")
    assert "url" in response.json()["errors"]
    assert not WebhookEndpoint.objects.exists()
