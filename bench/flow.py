"""Full purchase flow as a mixed workload against a running server (see bench/README.md, "Full purchase flow").

Each virtual customer (one client thread) runs complete purchases over plain HTTP, one after the other:

  register a new account (a share of the flows) or log in as a seeded bench-user-{i}@example.com
  -> browse: a product list page, a filtered list or a full-text search, a product detail
  -> add 1-2 products to the cart -> check out the cart with an inline shipping address and Stripe
  -> create-intent -> the fake Stripe marks the intent succeeded (what Stripe.js and the card network do)
  -> a signed payment_intent.succeeded webhook to /payments/webhook/ -> poll the payment status until paid.

Any unexpected status or body is an error (the first few are printed); the script exits non-zero if there was
any error or if the database check after the run fails (paid orders paid in the database with a succeeded Stripe
payment, stock conserved on every product touched, no completed flow's order left unpaid).

The products to buy and their stock are read through the ORM (the run's database, from DATABASE_URL), as is the
final check; everything the customers do goes over HTTP. Needs STRIPE_SECRET_KEY (to drive the fake's control
route) and STRIPE_WEBHOOK_SECRET (to sign events) in the environment, the same values gunicorn was given.

    DATABASE_URL=... STRIPE_SECRET_KEY=... STRIPE_WEBHOOK_SECRET=... .venv/bin/python bench/flow.py \\
        --base-url http://127.0.0.1:8770 --stripe-url http://127.0.0.1:12111 --duration 20 --concurrency 8
"""

import argparse
import itertools
import json
import os
import random
import ssl
import statistics
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.db.models import Sum  # noqa: E402

from shop.accounts.management.commands.seed_users import DEFAULT_PASSWORD, bench_user_email  # noqa: E402
from shop.catalog.models import Category, Product  # noqa: E402
from shop.orders.models import Order, OrderItem  # noqa: E402
from shop.payments.models import Payment  # noqa: E402
from tests.fakes.stripe_server import FakeStripe  # noqa: E402

# In the order a flow runs them; "gateway confirm" is the call to the fake Stripe, not to the app.
STEPS = [
    "register",
    "login",
    "list",
    "filtered list",
    "search",
    "detail",
    "cart add",
    "cart clear",
    "checkout",
    "create intent",
    "gateway confirm",
    "webhook",
    "status poll",
]
GATEWAY_STEPS = {"gateway confirm"}
SEARCH_WORDS = [
    "wireless headphones",
    "bamboo",
    "portable speaker",
    "leather",
    "kettle",
    "ergonomic chair",
    "waterproof jacket",
    "smart watch",
    "oak desk",
    "travel",
]
# With --retries: answers a client retries after (a balancer's "no node answered" or the app's "try again"), as
# a real client would when a node dies under it; a transport error (connection cut) is retried too.
RETRYABLE_STATUSES = {502, 503, 504}
# A 409 with this code is "the same request is still being processed" (a retry that overtook its first attempt):
# retried like the others, it then gets the first attempt's answer.
IN_PROGRESS = "request_in_progress"
REGISTER_PASSWORD = "Tr4vel-Kettle-93!"  # passes the validators, unlike anything resembling the email
ADDRESS = {
    "full_name": "Bench Customer",
    "phone": "+15550100",
    "address_line_1": "1 Load Test Way",
    "city": "Springfield",
    "state": "IL",
    "postal_code": "62701",
    "country": "US",
}


class FlowError(Exception):
    pass


class Stats:
    """Per-step latencies and counts; only requests that finish inside the measured window are timed."""

    def __init__(self, max_error_bodies: int):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.requests: Counter = Counter()  # inside the window
        self.cache_hits: Counter = Counter()  # catalog answers with X-Cache: HIT, inside the window
        self.cacheable: Counter = Counter()  # catalog answers with any X-Cache header, inside the window
        self.errors: Counter = Counter()  # whole run, warm-up included
        self.retried: Counter = Counter()  # failed attempts retried (--retries), whole run: what a failover costs
        self.retry_bodies: list[str] = []
        self.answered = 0  # whole run, warm-up included: the error rate's denominator with the errors
        self.error_bodies: list[str] = []
        self.max_error_bodies = max_error_bodies
        self.window = (float("inf"), float("inf"))
        self.flows_done = 0  # inside the window
        self.flows_done_total = 0

    def in_window(self, moment: float) -> bool:
        return self.window[0] <= moment <= self.window[1]

    def record(self, step: str, seconds: float, finished: float, cache_state: str | None = None) -> None:
        with self.lock:
            self.answered += 1
            if not self.in_window(finished):
                return
            self.requests[step] += 1
            self.latencies[step].append(seconds)
            if cache_state:
                self.cacheable[step] += 1
                self.cache_hits[step] += cache_state == "HIT"

    def error(self, step: str, message: str) -> None:
        with self.lock:
            self.errors[step] += 1
            if len(self.error_bodies) < self.max_error_bodies:
                self.error_bodies.append(f"[{step}] {message[:600]}")

    def retry(self, step: str, message: str) -> None:
        with self.lock:
            self.retried[step] += 1
            if len(self.retry_bodies) < self.max_error_bodies:
                self.retry_bodies.append(f"[{step}] {message[:300]}")

    def flow_done(self, finished: float) -> None:
        with self.lock:
            self.flows_done_total += 1
            if self.in_window(finished):
                self.flows_done += 1


class Customer:
    """One client thread: a keep-alive HTTP client to the app and one to the fake Stripe."""

    def __init__(self, args, stats: Stats, shared: "Shared", rng: random.Random):
        self.args, self.stats, self.shared, self.rng = args, stats, shared, rng
        self.app = httpx.Client(
            base_url=args.base_url,
            timeout=args.timeout,
            verify=ssl.create_default_context(cafile=args.ca_file) if args.ca_file else True
        )
        self.gateway = httpx.Client(
            base_url=args.stripe_url,
            timeout=args.timeout,
            headers={"Authorization": f"Bearer {os.environ['STRIPE_SECRET_KEY']}"},
        )
        self.signer = FakeStripe()  # only its make_event(): the same event shape and signature the tests use
        self.signer.webhook_secret = os.environ["STRIPE_WEBHOOK_SECRET"]
        self.token = ""
        self.retried = False  # whether the last call() needed a retry

    def call(
        self, step: str, method: str, url: str, expect: int, *, client=None, on_retry: tuple[int, ...] = (), **kwargs
    ) -> httpx.Response:
        """One request; any other status than ``expect`` is an error. With ``--retries N`` a transport error or a
        502/503/504 is retried up to N times (the same headers and body: the same Idempotency-Key, the same signed
        event), counted in ``retried``, and a retry may also answer ``on_retry`` (e.g. 200 for a replayed checkout
        whose first attempt was applied). Only the answered attempt's latency is recorded."""
        client = client or self.app
        headers = kwargs.pop("headers", {})
        if self.token and client is self.app:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        self.retried = False
        for attempt in range(self.args.retries + 1):
            started = time.perf_counter()
            try:
                response = client.request(method, url, headers=headers, **kwargs)
            except httpx.HTTPError as exc:
                failure, retryable = f"{method} {url}: {exc!r}", True
            else:
                finished = time.perf_counter()
                if response.status_code == expect or (attempt and response.status_code in on_retry):
                    self.stats.record(step, finished - started, finished, response.headers.get("X-Cache"))
                    return response
                failure = f"{method} {url} -> {response.status_code}: {response.text}"
                retryable = response.status_code in RETRYABLE_STATUSES or (
                    response.status_code == 409 and IN_PROGRESS in response.text)
            if not retryable or attempt == self.args.retries:
                self.stats.error(step, failure)
                raise FlowError(step)
            self.stats.retry(step, failure)
            self.retried = True
            time.sleep(self.args.retry_pause)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def check(self, step: str, condition: bool, message: str) -> None:
        if not condition:
            self.stats.error(step, message)
            raise FlowError(step)

    # -- one purchase -----------------------------------------------------------------------------------------

    def flow(self) -> None:
        self.token = ""
        seeded = self.rng.random() >= self.args.register_share
        if seeded:
            index = self.shared.take_user()
            try:
                self.shared.customer_seen(bench_user_email(index))
                self.log_in(bench_user_email(index))
                self.purchase()
            finally:
                self.shared.release_user(index)
        else:
            self.register()
            self.purchase()

    def register(self) -> None:
        email = f"flow-{self.shared.run}-{next(self.shared.serial)}@example.com"
        self.shared.customer_seen(email)
        response = self.call(
            "register",
            "POST",
            "/auth/register/",
            201,
            on_retry=(400,),  # a retry after the first attempt created the account: "email_taken", so log in
            json={
                "email": email,
                "password": REGISTER_PASSWORD,
                "password2": REGISTER_PASSWORD,
                "first_name": "Flow",
                "last_name": "Customer",
            },
        )
        if response.status_code == 400:
            self.check("register", response.json().get("code") == "email_taken", f"register: {response.text}")
            self.log_in(email, REGISTER_PASSWORD)
        else:
            self.token = response.json()["tokens"]["access"]
        with self.shared.lock:
            self.shared.registered += 1

    def log_in(self, email: str, password: str | None = None) -> None:
        body = self.call(
            "login", "POST", "/auth/login/", 200, json={"email": email, "password": password or self.args.password}
        ).json()
        self.token = body["tokens"]["access"]

    def purchase(self) -> None:
        rng, shared = self.rng, self.shared
        # Browse: a list page, then a filtered list or a search, then the detail of what will be bought.
        self.call("list", "GET", "/products/", 200, params={"page": rng.randint(1, self.args.list_pages)})
        if rng.random() < 0.5:
            self.call(
                "filtered list",
                "GET",
                "/products/",
                200,
                params={"category__slug": rng.choice(shared.categories), "ordering": "-price"},
            )
        else:
            self.call("search", "GET", "/products/", 200, params={"search": rng.choice(SEARCH_WORDS)})
        wanted = rng.sample(shared.products, rng.randint(1, 2))
        detail = self.call("detail", "GET", f"/products/{wanted[0][1]}/", 200).json()
        self.check("detail", detail.get("id") == wanted[0][0], f"detail of {wanted[0][1]} is {detail.get('id')}")

        # Cart: one unit of each; a cart left over by an interrupted earlier run is emptied first.
        for position, (product_id, _slug) in enumerate(wanted):
            cart = self.call(
                "cart add", "POST", "/cart/items/", 200, json={"product_id": product_id, "quantity": 1}
            ).json()
            in_cart = {item["product"]["id"]: item["quantity"] for item in cart["items"]}
            mine = {pid: 1 for pid, _ in wanted[: position + 1]}
            if in_cart != mine:
                self.call("cart clear", "POST", "/cart/clear/", 200)
                for pid in mine:
                    self.call("cart add", "POST", "/cart/items/", 200, json={"product_id": pid, "quantity": 1})

        # Checkout the cart with Stripe, then create-intent (which must hand back the same open intent).
        order = self.call(
            "checkout",
            "POST",
            "/orders/checkout/",
            201,
            on_retry=(200,),  # the first attempt was applied: the same Idempotency-Key answers that order again
            json={"shipping_address": ADDRESS, "payment_method": "stripe"},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        ).json()
        ordered = {item["product"]["id"]: item["quantity"] for item in order["items"]}
        self.check("checkout", ordered == {pid: 1 for pid, _ in wanted}, f"order {order['id']} has {ordered}")
        self.check("checkout", bool(order.get("client_secret")), f"order {order['id']} has no client_secret")
        with shared.lock:
            shared.ordered[order["id"]] = ordered
        started = self.call(
            "create intent",
            "POST",
            "/payments/create-intent/",
            201,
            json={"order_id": order["id"], "payment_method": "stripe"},
        ).json()
        payment = started["payment"]
        intent_id = payment["stripe_payment_intent_id"]
        self.check(
            "create intent",
            payment["id"] == order["payment_id"]
            and started["client_secret"] == order["client_secret"]
            and intent_id.startswith("pi_"),
            f"order {order['id']}: create-intent answered another attempt: {started}",
        )

        # The customer pays (Stripe.js); Stripe tells us with a signed webhook; we re-read and mark the order.
        intent = self.call(
            "gateway confirm", "POST", f"/_fake/payment_intents/{intent_id}/succeed", 200, client=self.gateway
        ).json()
        payload, signature = self.signer.make_event("payment_intent.succeeded", intent)
        answer = self.call(
            "webhook",
            "POST",
            "/payments/webhook/",
            200,
            content=payload,
            headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
        ).json()
        # A redelivered event whose first delivery was processed (the node died before answering) is a duplicate.
        outcomes = {"succeeded", "duplicate"} if self.retried else {"succeeded"}
        self.check(
            "webhook",
            answer.get("received") is True and answer.get("outcome") in outcomes and len(answer) == 2,
            f"webhook answered {answer}",
        )

        deadline = time.monotonic() + self.args.poll_timeout
        while True:
            status = self.call("status poll", "GET", f"/payments/{payment['id']}/status/", 200).json()
            if status["status"] == "succeeded" and status["is_successful"]:
                break
            if time.monotonic() > deadline:
                self.check("status poll", False, f"payment {payment['id']} still {status} after polling")
            time.sleep(0.1)
        with shared.lock:
            shared.paid[order["id"]] = (payment["id"], intent_id)
        self.stats.flow_done(time.perf_counter())


class Shared:
    """What the customers share: the product pool, seeded users not in use right now, what was ordered/paid."""

    def __init__(self, args, products: list[tuple[int, str]], categories: list[str]):
        self.lock = threading.Lock()
        self.run = uuid.uuid4().hex[:8]
        self.serial = itertools.count()
        self.products, self.categories = products, categories
        order = list(range(args.users))
        random.Random(args.seed).shuffle(order)
        self._users = itertools.cycle(order)
        self._busy: set[int] = set()
        self.registered = 0
        self.ordered: dict[int, dict[int, int]] = {}  # order id -> {product id: quantity}
        self.paid: dict[int, tuple[int, str]] = {}  # order id -> (payment id, intent id)
        self.emails: set[str] = set()  # every customer of this run, to find orders none of them saw

    def customer_seen(self, email: str) -> None:
        with self.lock:
            self.emails.add(email)

    def take_user(self) -> int:
        """A seeded user no other thread is using: two flows must never share one cart."""
        with self.lock:
            while True:
                index = next(self._users)
                if index not in self._busy:
                    self._busy.add(index)
                    return index

    def release_user(self, index: int) -> None:
        with self.lock:
            self._busy.discard(index)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def pick_products(args) -> tuple[list[tuple[int, str]], list[str]]:
    """Active products without variants and with stock for the whole run, spread over the catalog."""
    candidates = list(
        Product.objects.filter(is_active=True, variants__isnull=True, stock_quantity__gte=args.min_stock).values_list(
            "id", "slug"
        )
    )
    if len(candidates) < args.pool:
        sys.exit(f"only {len(candidates)} products with {args.min_stock}+ units; seed the catalog first")
    products = random.Random(args.seed).sample(candidates, args.pool)
    categories = list(Category.objects.filter(slug__startswith="bench-").values_list("slug", flat=True))
    if not categories:
        sys.exit("no bench-* categories: seed the catalog with manage.py seed_catalog first")
    return products, categories


def check_database(shared: Shared, initial_stock: dict[int, int], run_started) -> dict:
    """After the run, the database must agree with everything the customers saw."""
    problems = []
    paid_ids = list(shared.paid)
    orders = {o.pk: o for o in Order.objects.filter(pk__in=paid_ids)}
    payments = {p.pk: p for p in Payment.objects.filter(order_id__in=paid_ids)}
    for order_id, (payment_id, intent_id) in shared.paid.items():
        order, payment = orders.get(order_id), payments.get(payment_id)
        if order is None or not (
            order.is_fully_paid
            and order.payment_status == Order.PaymentStatus.PAID
            and order.paid_at
            and order.status != Order.Status.CANCELLED
        ):
            problems.append(f"order {order_id} was seen paid but is {order and (order.status, order.payment_status)}")
        if (
            payment is None
            or payment.order_id != order_id
            or payment.status != Payment.Status.SUCCEEDED
            or payment.provider != "stripe"
            or payment.provider_payment_id != intent_id
        ):
            problems.append(f"payment {payment_id} of order {order_id} is {payment and payment.status}")
    unpaid_completed = Order.objects.filter(pk__in=paid_ids, is_fully_paid=False).count()
    # Orders this run placed whose flow did not complete (an error after checkout): reported, and then an error.
    unfinished = [oid for oid in shared.ordered if oid not in shared.paid]
    # Orders placed for this run's customers that no customer was answered (a lost response and no retry).
    unseen = (
        Order.objects.filter(created_at__gte=run_started, user__email__in=shared.emails)
        .exclude(pk__in=list(shared.ordered))
        .count()
    )

    touched = sorted({pid for lines in shared.ordered.values() for pid in lines})
    expected = Counter()
    for lines in shared.ordered.values():
        expected.update(lines)
    sold = dict(
        OrderItem.objects.filter(product_id__in=touched, order__created_at__gte=run_started)
        .exclude(order__status=Order.Status.CANCELLED)
        .values_list("product_id")
        .annotate(units=Sum("quantity"))
        .values_list("product_id", "units")
    )
    stock_now = dict(Product.objects.filter(pk__in=touched).values_list("id", "stock_quantity"))
    for pid in touched:
        taken = initial_stock[pid] - stock_now[pid]
        if not (taken == sold.get(pid, 0) == expected[pid]) or stock_now[pid] < 0:
            problems.append(
                f"product {pid}: stock {initial_stock[pid]} -> {stock_now[pid]}, "
                f"{sold.get(pid, 0)} units in orders, {expected[pid]} ordered by the customers"
            )
    result = {
        "orders_seen_paid": len(paid_ids),
        "orders_paid_in_db": sum(1 for o in orders.values() if o.is_fully_paid),
        "payments_succeeded_in_db": sum(1 for p in payments.values() if p.status == Payment.Status.SUCCEEDED),
        "completed_flows_left_unpaid": unpaid_completed,
        "orders_of_unfinished_flows": len(unfinished),
        "orders_unseen_by_customers": unseen,
        "products_touched": len(touched),
        "units_sold": sum(expected.values()),
        "stock_conserved": not any(p.startswith("product ") for p in problems),
        "problems": problems[:10],
        "problem_count": len(problems),
    }
    return result


def run(args) -> int:
    products, categories = pick_products(args)
    initial_stock = dict(Product.objects.filter(pk__in=[p[0] for p in products]).values_list("id", "stock_quantity"))
    shared = Shared(args, products, categories)
    stats = Stats(args.max_error_bodies)
    from django.utils import timezone

    run_started = timezone.now()
    stop = threading.Event()
    remaining = itertools.count()  # fixed-count mode: flows handed out so far

    def worker(number: int) -> None:
        customer = Customer(args, stats, shared, random.Random(f"{args.seed}-{number}"))
        while not stop.is_set():
            if args.flows and next(remaining) >= args.flows:
                return
            try:
                customer.flow()
            except FlowError:
                if args.stop_on_error:
                    stop.set()
            except Exception as exc:  # a bug in the driver or an unexpected body: counted, never hidden
                stats.error("driver", repr(exc))
                if args.stop_on_error:
                    stop.set()

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(args.concurrency)]
    started = time.perf_counter()
    window_end = started + args.warmup + args.duration if not args.flows else float("inf")
    stats.window = (started + args.warmup, window_end)
    for thread in threads:
        thread.start()
    if not args.flows:
        # New flows stop at the end of the window; flows in flight finish (bounded by --timeout per request).
        stop.wait(args.warmup + args.duration)
        stop.set()
    for thread in threads:
        thread.join(timeout=args.timeout * 20 + args.poll_timeout)
    finished = time.perf_counter()
    if args.flows:
        stats.window = (started + args.warmup, finished)
    window = min(finished, stats.window[1]) - stats.window[0]
    hung = sum(thread.is_alive() for thread in threads)
    if hung:
        stats.error("driver", f"{hung} client threads still running after the join timeout")

    app_requests = sum(n for step, n in stats.requests.items() if step not in GATEWAY_STEPS)
    total_errors = sum(stats.errors.values())
    total_requests = stats.answered + total_errors
    every_latency = [s for step, lat in stats.latencies.items() if step not in GATEWAY_STEPS for s in lat]
    db = check_database(shared, initial_stock, run_started)

    rows = []
    for step in STEPS:
        lat = stats.latencies.get(step, [])
        if not lat and not stats.errors.get(step):
            continue
        rows.append(
            {
                "step": step,
                "requests": stats.requests[step],
                "errors": stats.errors.get(step, 0),
                "p50_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
                "p99_ms": round(percentile(lat, 0.99) * 1000, 1) if lat else None,
                "cache_hits": f"{stats.cache_hits[step]}/{stats.cacheable[step]}" if stats.cacheable[step] else None,
            }
        )
    if stats.errors.get("driver"):
        rows.append({"step": "driver", "requests": 0, "errors": stats.errors["driver"], "p50_ms": None, "p99_ms": None})
    summary = {
        "flows_completed": stats.flows_done,
        "flows_completed_incl_warmup": stats.flows_done_total,
        "window_s": round(window, 1),
        "warmup_s": args.warmup,
        "flows_per_s": round(stats.flows_done / window, 2) if window > 0 else 0,
        "app_requests_per_s": round(app_requests / window, 1) if window > 0 else 0,
        "errors": total_errors,
        "error_rate": round(total_errors / total_requests, 6) if total_requests else 0,
        "p50_ms": round(statistics.median(every_latency) * 1000, 1) if every_latency else None,
        "p99_ms": round(percentile(every_latency, 0.99) * 1000, 1) if every_latency else None,
        "retried": sum(stats.retried.values()),
        "retried_by_step": dict(stats.retried),
        "registered": shared.registered,
        "concurrency": args.concurrency,
        "register_share": args.register_share,
        "steps": rows,
        "db_check": db,
    }

    print()
    print(
        f"{summary['flows_completed']} flows in {summary['window_s']} s measured "
        f"(after {summary['warmup_s']} s warm-up; {stats.flows_done_total} flows in all), "
        f"{args.concurrency} customers, {args.register_share:.0%} register / the rest log in"
    )
    print()
    print("| step | requests | errors | p50 ms | p99 ms | catalog cache hits |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['step']} | {row['requests']} | {row['errors']} | {row['p50_ms'] or '-'} | {row['p99_ms'] or '-'} "
            f"| {row.get('cache_hits') or '-'} |"
        )
    print(
        f"| **flow** (all steps) | {summary['flows_completed']} flows | {total_errors} | "
        f"**{summary['flows_per_s']} flows/s** | {summary['app_requests_per_s']} app req/s | |"
    )
    print()
    print(
        f"error rate {summary['error_rate']:.4%}; database: {db['orders_paid_in_db']}/{db['orders_seen_paid']} "
        f"orders paid, {db['payments_succeeded_in_db']} payments succeeded, {db['units_sold']} units sold on "
        f"{db['products_touched']} products, stock conserved: {db['stock_conserved']}, completed flows left "
        f"unpaid: {db['completed_flows_left_unpaid']}, orders of unfinished flows: {db['orders_of_unfinished_flows']}, "
        f"orders no customer saw: {db['orders_unseen_by_customers']}"
    )
    print(f"all app requests: p50 {summary['p50_ms']} ms, p99 {summary['p99_ms']} ms")
    if stats.retried:
        print(f"retried after a failure (--retries): {summary['retried']} {dict(stats.retried)}")
    for body in stats.retry_bodies:
        print("  retried:", body)
    for body in stats.error_bodies:
        print("  error:", body)
    for problem in db["problems"]:
        print("  database:", problem)
    print(json.dumps(summary, separators=(",", ":")))

    failed = (
        total_errors
        or db["problem_count"]
        or db["completed_flows_left_unpaid"]
        or db["orders_of_unfinished_flows"]
        or db["orders_unseen_by_customers"]
        or not stats.flows_done
    )
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description="Full purchase flow load driver (bench/README.md).")
    parser.add_argument("--base-url", default="http://127.0.0.1:8770")
    parser.add_argument("--stripe-url", default="http://127.0.0.1:12111", help="the fake Stripe process")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (virtual customers)")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds (after --warmup)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of flows not timed (still checked)")
    parser.add_argument("--flows", type=int, default=0, help="run exactly this many flows instead of a duration")
    parser.add_argument("--register-share", type=float, default=0.2, help="share of flows that register")
    parser.add_argument("--users", type=int, default=10_000, help="seeded bench users to log in as")
    parser.add_argument("--password", default=DEFAULT_PASSWORD, help="the seeded users' password")
    parser.add_argument("--pool", type=int, default=1000, help="products the customers buy from")
    parser.add_argument("--min-stock", type=int, default=100, help="only products with at least this stock")
    parser.add_argument("--list-pages", type=int, default=50, help="list pages browsed at random")
    parser.add_argument("--poll-timeout", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=30.0, help="per request")
    parser.add_argument("--retries", type=int, default=0, help="retry a 502/503/504 or a cut connection N times")
    parser.add_argument("--retry-pause", type=float, default=0.2, help="seconds before a retry")
    parser.add_argument("--ca-file", help="certificate to trust for an https --base-url (a self-signed balancer)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-error-bodies", type=int, default=5)
    parser.add_argument("--stop-on-error", action="store_true")
    args = parser.parse_args()
    if not 0 <= args.register_share <= 1:
        parser.error("--register-share is a fraction between 0 and 1")
    if args.users < args.concurrency and args.register_share < 1:
        parser.error("--users must be at least --concurrency: two customers must never share a seeded account")
    sys.exit(run(args))


if __name__ == "__main__":
    main()
