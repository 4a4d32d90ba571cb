"""Checkout load test against a running server (see bench/README.md, "Checkout").

Two scenarios, each a burst of concurrent direct-order checkouts (POST /orders/ with one line):
- spread: every user buys a different product with plenty of stock (throughput of the happy path);
- hot:    every user races for the same product, which has far less stock than demand (contention path).

Setup (users, products, JWTs) goes straight through the ORM, so run it with the server's settings and database:
    DATABASE_URL=... .venv/bin/python bench/checkout.py --base-url http://127.0.0.1:8001
After the run it re-reads the database and reports oversold units (must be 0).
"""

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.db.models import Sum  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

from shop.accounts.models import User  # noqa: E402
from shop.catalog.models import Category, Product  # noqa: E402
from shop.orders.models import OrderItem  # noqa: E402


def make_users(run: str, count: int) -> list[tuple[User, str]]:
    users = [User.objects.create_user(email=f"bench-{run}-{i}@example.com", password=None) for i in range(count)]
    return [(user, str(AccessToken.for_user(user))) for user in users]


def make_products(run: str, count: int, stock: int) -> list[Product]:
    category, _ = Category.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    return [Product.objects.create(category=category, name=f"Bench {run} {i}", slug=f"bench-{run}-{i}",
                                   price="10.00", stock_quantity=stock) for i in range(count)]


def fire(base_url: str, jobs: list[tuple[str, int]], concurrency: int) -> tuple[list[float], list[int], float]:
    """POST one direct order per job (token, product id); returns latencies (s), status codes, wall time."""
    local = threading.local()

    def one(job):
        token, product_id = job
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=base_url, timeout=60)
        started = time.perf_counter()
        response = local.client.post("/orders/", json={"items": [{"product_id": product_id, "quantity": 1}]},
                                     headers={"Authorization": f"Bearer {token}"})
        return time.perf_counter() - started, response.status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(one, jobs))
    wall = time.perf_counter() - started
    return [r[0] for r in results], [r[1] for r in results], wall


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def report(name: str, latencies, statuses, wall) -> dict:
    counts = {code: statuses.count(code) for code in sorted(set(statuses))}
    row = {
        "scenario": name, "requests": len(statuses), "wall_s": round(wall, 2),
        "req_per_s": round(len(statuses) / wall, 1), "created_per_s": round(counts.get(201, 0) / wall, 1),
        "p50_ms": round(statistics.median(latencies) * 1000), "p99_ms": round(percentile(latencies, 0.99) * 1000),
        "statuses": counts,
    }
    print(row)
    return row


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:8001")
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--orders-per-user", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--hot-stock", type=int, default=50)
    args = parser.parse_args()
    run = uuid.uuid4().hex[:8]

    users = make_users(run, args.users)

    # spread: each request its own product
    total = args.users * args.orders_per_user
    products = make_products(run + "s", total, stock=10)
    jobs = [(users[i % args.users][1], products[i].pk) for i in range(total)]
    report("spread", *fire(args.base_url, jobs, args.concurrency))

    # hot: everyone races for one product holding hot_stock units
    (hot,) = make_products(run + "h", 1, stock=args.hot_stock)
    jobs = [(users[i % args.users][1], hot.pk) for i in range(total)]
    latencies, statuses, wall = fire(args.base_url, jobs, args.concurrency)
    report("hot", latencies, statuses, wall)
    hot.refresh_from_db()
    sold = OrderItem.objects.filter(product=hot).aggregate(units=Sum("quantity"))["units"] or 0
    oversold = max(0, sold - args.hot_stock) + (1 if hot.stock_quantity < 0 else 0)
    print({"hot_stock": args.hot_stock, "created": statuses.count(201), "units_sold": sold,
           "stock_left": hot.stock_quantity, "conserved": sold + hot.stock_quantity == args.hot_stock,
           "oversold": oversold})
    if oversold or sold + hot.stock_quantity != args.hot_stock or statuses.count(201) != sold:
        sys.exit("stock invariant broken")
    if total <= args.hot_stock:
        print(f"note: {total} hot requests for {args.hot_stock} units: nobody had to be refused, so the race was not "
              f"tested; raise --users x --orders-per-user above --hot-stock")


if __name__ == "__main__":
    main()
