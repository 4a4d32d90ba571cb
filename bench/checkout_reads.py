"""CPU of each read one checkout (and its confirmation e-mail) makes, called in-process as the code calls them: the
cost of building, compiling and running each query and turning its rows into objects, without the HTTP cycle.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shop_bench_x REDIS_URL=redis://127.0.0.1:6379/14 \
        .venv/bin/python bench/checkout_reads.py [--repeat 300]

Needs orders placed by ``bench/checkout_trips.py`` in that database (it reads the newest order with a payment, its
user and product). Prints, per read, the median over 3 rounds of the CPU milliseconds per call (this process only,
``time.process_time``), locks inside one transaction as checkout takes them; then the reads of the worker's
relay of the same order's order.created event (the order as ``GET /orders/{id}/`` answers it). Run it on two
checkouts of the code (e.g. a ``git worktree`` of the commit before) one after the other, twice, to compare
(bench/README.md sections 15 and 16).
Writes nothing.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402

from shop.cart.locks import cart_lock  # noqa: E402
from shop.cart.selectors import cart_holds_anything, purchasables_get  # noqa: E402
from shop.events.types import Resource  # noqa: E402
from shop.orders import notifications  # noqa: E402
from shop.orders.locks import order_lock  # noqa: E402
from shop.orders.models import Order, OrderItem  # noqa: E402
from shop.orders.selectors import order_get, order_of_checkout  # noqa: E402
from shop.payments import locks as payment_locks  # noqa: E402
from shop.payments.methods import enabled_methods  # noqa: E402
from shop.payments.models import Payment  # noqa: E402
from shop.webhooks.renderers import render  # noqa: E402


def email_read_and_render(order_id: int) -> str:
    """The confirmation e-mail's work before sending: its order read, context and template."""
    read = getattr(notifications, "_order_read", None)
    order = read(order_id) if read else (Order.objects.select_related("user", "shipping_address")
                                         .prefetch_related("items").filter(pk=order_id).first())
    context = notifications._context(order, "confirmation", None)
    return render_to_string(notifications.TEMPLATES["confirmation"], context)


def active_payments_lock(order: Order) -> list:
    if hasattr(payment_locks, "order_active_payments_lock"):
        return payment_locks.order_active_payments_lock(order=order)
    return payment_locks.order_payments_lock(order=order, status__in=Payment.ACTIVE)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    payment = Payment.objects.filter(user__isnull=False).order_by("-pk").first()
    if payment is None:
        sys.exit("no order with a payment here: run bench/checkout_trips.py against this database first")
    order = Order.objects.get(pk=payment.order_id)
    user = order.user
    product_id = OrderItem.objects.filter(order=order).values_list("product_id", flat=True).first()
    reads = {
        "cart lock (user's cart)": lambda: cart_lock(user=user),
        "product of a direct line": lambda: purchasables_get(lines=[(product_id, None)]),
        "order lock": lambda: order_lock(order_id=order.pk),
        "payment lock": lambda: payment_locks.payment_lock(payment_id=payment.pk),
        "order's active payments lock": lambda: active_payments_lock(order),
        "enabled payment methods": enabled_methods,
        "answer: the new order's lines": lambda: order_of_checkout(order=order, payment=payment),
        "cart holds anything": lambda: cart_holds_anything(user=user),
        "e-mail: order read and render": lambda: email_read_and_render(order.pk),
    }
    # What the worker does next for the same order: the order.created event's relay renders the order as
    # GET /orders/{id}/ answers it (its read, then OrderOutput), stored as the event's object.
    relay = {
        "relay: order read (order_get)": lambda: order_get(order_id=order.pk),
        "relay: order read and OrderOutput": lambda: render(Resource.ORDER, order.pk),
    }
    print(f"database {django.db.connection.vendor} {django.db.connection.settings_dict['NAME']}, "
          f"{args.repeat} calls x 3 rounds, CPU ms per call (median of rounds)")
    measure(reads, args.repeat, "one checkout and its e-mail")
    measure(relay, args.repeat, None)


def measure(reads: dict, repeat: int, total_name: str | None) -> None:
    """Print each read's CPU ms per call (median of 3 rounds after a warm-up), and their sum as ``total_name``."""
    total = 0.0
    for name, read in reads.items():
        rounds = []
        for _ in range(4):  # the first round warms up (imports, first compilation)
            with transaction.atomic():
                started = time.process_time()
                for _ in range(repeat):
                    read()
                rounds.append((time.process_time() - started) * 1000 / repeat)
        cost = statistics.median(rounds[1:])
        total += cost
        print(f"  {name:34s} {cost:6.2f}")
    if total_name:
        print(f"  {'all of them: ' + total_name:34s} {total:6.2f}")


if __name__ == "__main__":
    main()
