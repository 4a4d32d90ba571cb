"""Relay throughput: committed events delivered, signed, to a local receiver (events/s, end to end).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shop_bench_webhooks WEBHOOK_ALLOW_LOOPBACK=true \\
        .venv/bin/python bench/webhook_relay.py --products 100 --updates 10

Records ``products x (1 + updates)`` events through the real services (product_create, product_update) with the
broker "away" (nothing relayed), then times the sweep relaying and delivering all of them to a receiver on
127.0.0.1 that answers 204 (the receiver does not verify, so its own HMAC cost is not counted; the sender signs
every request). One process, sequential: the rate of one Celery worker; workers scale it per resource.
"""

import argparse
import os
import sys
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    count = 0

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Handler.count += 1
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=100)
    parser.add_argument("--updates", type=int, default=10)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command

    from config.celery import app as celery_app
    from shop.catalog.models import Category
    from shop.catalog.services import product_create, product_update
    from shop.events.models import Event
    from shop.webhooks.models import WebhookDelivery, WebhookEndpoint
    from shop.webhooks.services import endpoint_create, webhooks_sweep

    call_command("migrate", verbosity=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    WebhookEndpoint.objects.all().delete()
    endpoint_create(url=f"http://127.0.0.1:{server.server_address[1]}/hooks", events=["*"])

    celery_app.conf.task_always_eager = False  # the broker is "away": events are committed, none relayed
    celery_app.conf.broker_url = "memory://"
    category, _ = Category.objects.get_or_create(slug="bench-relay", defaults={"name": "Bench relay"})
    stamp = int(time.time())
    started = time.perf_counter()
    for number in range(args.products):
        product = product_create(name=f"Relay {stamp}-{number}", slug=f"relay-{stamp}-{number}",
                                 price=Decimal("9.99"), category=category, stock_quantity=100)
        for update in range(args.updates):
            product_update(product=product, data={"description": f"update {update}"})
    recorded = time.perf_counter() - started
    pending = Event.objects.filter(relayed_at__isnull=True).count()

    celery_app.conf.task_always_eager = True  # back: the sweep relays and each delivery is sent inline
    started = time.perf_counter()
    while Event.objects.filter(relayed_at__isnull=True).exists() or WebhookDelivery.objects.filter(
            status__in=("pending", "sending")).exists():
        webhooks_sweep(limit=1000)
    relayed = time.perf_counter() - started
    server.shutdown()
    print(f"events recorded: {pending} in {recorded:.1f} s ({pending / recorded:.0f} changes/s with their event)")
    print(f"relayed and delivered: {Handler.count} requests for {pending} events in {relayed:.1f} s "
          f"= {pending / relayed:.0f} events/s")


if __name__ == "__main__":
    main()
