"""Round trips of one checkout, counted in-process (no HTTP server, no load): SQL statements, Redis commands,
Celery tasks queued and outbox events written, for a direct order and a cart checkout of 1 and of N lines.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shop_bench_x REDIS_URL=redis://127.0.0.1:6379/14 \
        .venv/bin/python bench/checkout_trips.py [--lines 5] [--repeat 20] [--show-sql] [--profile]

Each checkout goes through Django's test client with a JWT, as ``bench/checkout.py`` sends it (``POST /orders/``
with ``items``; ``POST /orders/checkout/`` for the cart), with the environment ``TASKS=eager
bench/checkout_run.sh`` gives the server (tasks eager, so a task's own queries are counted with the request: they
are listed apart). Prints, per
case, the counts split into the request's own and the tasks', the difference between N lines and 1 line (what a
line costs: must be 0 for SQL), and per checkout the mean wall time, the time spent waiting on SQL, the CPU time of
this (Django) process and of its PostgreSQL backend (read from /proc: CPU is what two shared cores run out of,
and it moves much less with the machine's load than wall time does). ``--show-sql`` prints the statements
of the 1-line direct order; ``--profile`` a pyinstrument tree of ``--repeat`` direct orders. Writes orders (and
products and users named ``trips-<run>``) into the database: point it at a bench database, never a shop's.
"""

import argparse
import os
import re
import statistics
import sys
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
for name, value in {"THROTTLE_RATES": "user=1000000/min,anon=1000000/min", "LOG_LEVEL": "WARNING",
                    "CELERY_TASK_ALWAYS_EAGER": "true", "EMAIL_URL": "dummymail://",
                    "JWT_ACCESS_MINUTES": "60",
                    # The outbox's relay runs as the Celery task a worker runs (inline here, so counted with the
                    # tasks), not on the background thread an eager process would otherwise hand it to.
                    "WEBHOOK_BACKGROUND_THREAD": "false"}.items():
    os.environ.setdefault(name, value)

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from celery.app.task import Task  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

from shop.accounts.models import User  # noqa: E402
from shop.cart.models import Cart, CartItem  # noqa: E402
from shop.catalog.models import Category, Product  # noqa: E402
from shop.events.models import Event  # noqa: E402


class Tally:
    """Redis commands and Celery tasks seen while ``counting`` (redis-py's client and Celery's Task patched here, in
    this bench process only): a pipeline is one round trip."""

    def __init__(self):
        self.redis: Counter = Counter()
        self.tasks: Counter = Counter()
        self.in_task = 0
        self.task_sql = 0
        self._install()

    def _install(self):
        tally = self
        execute_command = redis.Redis.execute_command
        pipeline_execute = redis.client.Pipeline.execute
        apply_async = Task.apply_async

        def counted_command(client, *args, **options):
            if not isinstance(client, redis.client.Pipeline):
                tally.redis[str(args[0]).split()[0].upper()] += 1
            return execute_command(client, *args, **options)

        def counted_pipeline(pipe, *args, **options):
            tally.redis["PIPELINE(" + ",".join(str(c[0][0]) for c in pipe.command_stack) + ")"] += 1
            return pipeline_execute(pipe, *args, **options)

        def counted_task(task, *args, **options):
            tally.tasks[task.name.rsplit(".", 1)[-1]] += 1
            tally.in_task += 1
            before = len(connection.queries_log)
            try:
                return apply_async(task, *args, **options)
            finally:
                tally.in_task -= 1
                if tally.in_task == 0:
                    tally.task_sql += len(connection.queries_log) - before

        redis.Redis.execute_command = counted_command
        redis.client.Pipeline.execute = counted_pipeline
        Task.apply_async = counted_task

    @contextmanager
    def counting(self):
        self.redis.clear()
        self.tasks.clear()
        self.task_sql = 0
        yield self


TABLE = re.compile(r'(?:FROM|INTO|UPDATE|JOIN)\s+"?(\w+)"?', re.I)


def statement_kind(sql: str) -> str:
    verb = sql.split(None, 1)[0].upper()
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"):
        return verb
    if verb == "WITH" and (update := re.search(r"\)\s*UPDATE\s+\"?(\w+)", sql)):  # the stock's locked UPDATE
        return f"UPDATE {update.group(1)}"
    tables = TABLE.findall(sql.split(" FROM ", 1)[1] if verb == "SELECT" and " FROM " in sql else sql)
    return f"{verb} {tables[0] if tables else '?'}"


def setup(run: str, lines: int) -> tuple[User, str, list[Product]]:
    category, _ = Category.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    user = User.objects.create_user(email=f"trips-{run}-{lines}@example.com", password=None)
    products = [Product.objects.create(category=category, name=f"Trips {run} {lines} {i}",
                                       slug=f"trips-{run}-{lines}-{i}", price=Decimal("10.00"), stock_quantity=10_000)
                for i in range(lines)]
    return user, str(AccessToken.for_user(user)), products


def cart_fill(user: User, products: list[Product]) -> None:
    owned, _ = Cart.objects.get_or_create(user=user)
    CartItem.objects.bulk_create([CartItem(cart=owned, product=p, quantity=1, price_snapshot=p.price)
                                  for p in products])


def checkout(client: Client, token: str, products: list[Product], *, cart: bool):
    """One checkout as a client sends it: of the cart (filled beforehand), or a direct order of ``products``."""
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if cart:
        return client.post("/orders/checkout/", {}, content_type="application/json", **auth)
    return client.post("/orders/", {"items": [{"product_id": p.pk, "quantity": 1} for p in products]},
                       content_type="application/json", **auth)


def backend_cpu() -> float:
    """CPU seconds used so far by this connection's PostgreSQL backend (from /proc: same machine only), or 0."""
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(tally: Tally, client: Client, run: str, lines: int, *, cart: bool, repeat: int) -> dict:
    user, token, products = setup(run + ("c" if cart else "d"), lines)
    walls, sqls, cpu, db_cpu = [], [], 0.0, 0.0
    for attempt in range(repeat + 1):  # the first one warms up (the user's cart row, caches, imports)
        if cart:
            cart_fill(user, products)  # outside the counted request
        events_before = Event.objects.count()
        reset_queries()  # the log keeps 9,000 statements: start each count from an empty one
        db_before = backend_cpu()
        with tally.counting(), CaptureQueriesContext(connection) as queries:
            started, cpu_started = time.perf_counter(), time.process_time()
            response = checkout(client, token, products, cart=cart)
            wall, used = time.perf_counter() - started, time.process_time() - cpu_started
        assert response.status_code == 201, (response.status_code, response.content[:500])
        events = Event.objects.count() - events_before
        if attempt:
            cpu += used
            db_cpu += backend_cpu() - db_before
            walls.append(wall)
            sqls.append(sum(float(q["time"]) for q in queries.captured_queries))
    statements = [q["sql"] for q in queries.captured_queries]
    return {"statements": statements, "sql": len(statements), "task_sql": tally.task_sql,
            "redis": sum(tally.redis.values()), "redis_detail": dict(tally.redis), "tasks": dict(tally.tasks),
            "events": events, "wall_ms": statistics.mean(walls) * 1000, "sql_ms": statistics.mean(sqls) * 1000,
            "cpu_ms": cpu * 1000 / repeat, "db_cpu_ms": db_cpu * 1000 / repeat}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--show-sql", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    run = uuid.uuid4().hex[:8]
    tally = Tally()
    client = Client()
    connection.force_debug_cursor = True  # keep queries_log for the task split

    print(f"database {connection.vendor} {connection.settings_dict['NAME']}, lines 1 vs {args.lines}, "
          f"{args.repeat} checkouts each, tasks eager (their SQL counted apart)")
    header = (f"{'case':<22}{'SQL':>5}{'of which tasks':>16}{'Redis':>7}{'tasks':>7}{'events':>8}"
              f"{'wall ms':>9}{'SQL ms':>8}{'CPU ms':>8}{'PG CPU ms':>11}")
    print(header)
    results = {}
    for cart in (False, True):
        for lines in (1, args.lines):
            name = f"{'cart' if cart else 'direct'} {lines} line{'s' if lines > 1 else ''}"
            row = measure(tally, client, run, lines, cart=cart, repeat=args.repeat)
            results[(cart, lines)] = row
            print(f"{name:<22}{row['sql']:>5}{row['task_sql']:>16}{row['redis']:>7}{sum(row['tasks'].values()):>7}"
                  f"{row['events']:>8}{row['wall_ms']:>9.1f}{row['sql_ms']:>8.1f}{row['cpu_ms']:>8.1f}"
                  f"{row['db_cpu_ms']:>11.1f}")
    for cart in (False, True):
        one, many = results[(cart, 1)], results[(cart, args.lines)]
        per_line = (many["sql"] - one["sql"]) / (args.lines - 1)
        print(f"{'cart' if cart else 'direct'}: per order {one['sql'] - per_line:.0f} statements, per line "
              f"{per_line:g}; Redis {one['redis_detail']}; tasks {one['tasks']}")
    one = results[(False, 1)]
    kinds = Counter(statement_kind(sql) for sql in one["statements"])
    print("direct 1 line, statements by kind:", dict(sorted(kinds.items(), key=lambda kv: -kv[1])))
    if args.show_sql:
        for number, sql in enumerate(one["statements"], 1):
            print(f"{number:3} {sql[:220]}")
    if args.profile:
        from pyinstrument import Profiler

        user, token, products = setup(run + "p", 1)
        profiler = Profiler(interval=0.0005)
        with profiler:
            for _ in range(args.repeat):
                checkout(client, token, products, cart=False)
        print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    main()
