"""One deadline per attempt, not per read: a receiver that answers a byte at a time is cut off at
``WEBHOOK_TIMEOUT_SECONDS`` and the attempt is a retried timeout; and without a broker, an API request never waits
for a delivery (the background thread sends it). Real local servers, verified with `standardwebhooks`."""

import socket
import threading
import time

import pytest
from standardwebhooks.webhooks import Webhook

from shop.catalog.tests.factories import ProductFactory
from shop.webhooks import services
from shop.webhooks.models import WebhookDelivery
from shop.webhooks.tasks import background_drain

pytestmark = pytest.mark.django_db(transaction=True)


class TricklingReceiver:
    """Reads a request, verifies it with `standardwebhooks`, then answers one byte every ``interval`` seconds
    (each byte well within a per-read timeout): the slow-loris answer."""

    def __init__(self, interval: float = 0.25, answer: bytes = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 200):
        self.interval, self.answer, self.secret = interval, answer, ""
        self.verified: list[bool] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hooks"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        with conn:
            raw = b""
            while b"\r\n\r\n" not in raw:
                raw += conn.recv(65536)
            head, body = raw.split(b"\r\n\r\n", 1)
            headers = dict(line.decode().split(": ", 1) for line in head.split(b"\r\n")[1:])
            headers = {name.lower(): value for name, value in headers.items()}
            while len(body) < int(headers["content-length"]):
                body += conn.recv(65536)
            try:
                Webhook(self.secret).verify(body.decode(), headers)
                self.verified.append(True)
            except Exception:
                self.verified.append(False)
            for byte in self.answer:
                try:
                    conn.sendall(bytes([byte]))
                except OSError:  # the sender hung up: its deadline
                    return
                time.sleep(self.interval)

    def stop(self):
        self.sock.close()


@pytest.fixture
def trickling():
    server = TricklingReceiver()
    yield server
    server.stop()


def test_a_trickling_receiver_is_cut_off_at_the_attempt_deadline(trickling, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1.5
    endpoint = services.endpoint_create(url=trickling.url, events=["product.created"])
    trickling.secret = endpoint.secret

    started = time.monotonic()
    _product_created()
    took = time.monotonic() - started

    delivery = WebhookDelivery.objects.get()
    [attempt] = delivery.attempt_log.all()
    assert trickling.verified == [True]
    assert took < 4, took  # 200 header bytes at 4 a second would take 50 s
    assert 1400 <= attempt.latency_ms < 3500, attempt.latency_ms
    assert (delivery.status, delivery.attempts, delivery.last_response_status) == ("pending", 1, None)
    assert attempt.error.startswith("Timeout") and "WEBHOOK_TIMEOUT_SECONDS" in attempt.error
    assert delivery.next_attempt_at is not None  # retried like any timeout


def _product_created():
    from decimal import Decimal

    from shop.catalog.services import product_create
    from shop.catalog.tests.factories import CategoryFactory

    return product_create(name="Lamp", slug=f"lamp-{time.monotonic_ns()}", price=Decimal("9.50"),
                          category=CategoryFactory(), stock_quantity=10)


def test_without_a_broker_a_staff_patch_does_not_wait_for_a_slow_receiver(trickling, settings, staff_client):
    settings.WEBHOOK_TIMEOUT_SECONDS = 2.0
    settings.WEBHOOK_BACKGROUND_THREAD = True  # as `make run` without Redis: Celery inline, delivery off-request
    product = ProductFactory(price="9.50")
    endpoint = services.endpoint_create(url=trickling.url, events=["product.updated"])
    trickling.secret = endpoint.secret

    started = time.monotonic()
    response = staff_client.patch(f"/products/{product.pk}/", {"price": "12.00"}, format="json")
    took = time.monotonic() - started

    assert response.status_code == 200, response.content
    assert took < 1.0, took  # the receiver takes the whole 2 s deadline; the request did not wait for it
    assert background_drain(timeout=10)
    delivery = WebhookDelivery.objects.get()
    assert trickling.verified == [True]
    assert (delivery.attempts, delivery.status) == (1, "pending") and delivery.last_error.startswith("Timeout")
