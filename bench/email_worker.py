"""What one order e-mail costs the Celery worker that sends it, and how much of that is Celery's own work.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shop_orders .venv/bin/python bench/email_worker.py \
        [--emails 500] [--pool prefork|solo|threads] [--concurrency 1]

Uses the orders an earlier `bench/checkout_run.sh` placed in that database (their confirmation claims are removed
first, so each is sent again). Two figures, CPU from /proc (user + system), in milliseconds per e-mail:

- ``body``: ``order_email_send`` called in this process, one after another (the task's own work: its queries, the
  claim row, rendering, the mail backend);
- ``worker``: a ``celery worker`` process tree started with the given pool, fed the same number of
  ``send_order_email`` tasks through the broker, from its first task to its empty queue (nothing waiting, nothing
  unacked); start-up is not counted. ``postgres_cpu_ms``: PostgreSQL's CPU over the same span (when it runs on
  this machine), reconnects included.

The difference is what the worker adds per task: receiving from Redis, the acknowledgement (``acks_late``), the
pool's hand-over to its child process (prefork), and Celery's signals and logging. Mail goes to the dummy backend.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shop_orders")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/2")
os.environ.update(CELERY_TASK_ALWAYS_EAGER="false", EMAIL_URL="dummymail://", LOG_LEVEL="WARNING")
os.environ.setdefault("CELERY_BROKER_URL", os.environ["REDIS_URL"])

import django  # noqa: E402

django.setup()

import redis  # noqa: E402

from shop.orders.models import Order, OrderNotification  # noqa: E402
from shop.orders.notifications import order_email_send  # noqa: E402
from shop.orders.tasks import send_order_email  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its direct children (the pool), from /proc/<pid>/stat."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(child) for child in children.read_text().split()]
    ticks = 0
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / TICKS


def postgres_cpu_seconds() -> float:
    """PostgreSQL's CPU on this machine: the postmaster with its exited children (a backend that ended, as one
    per reconnect does) plus every live backend; None-safe when PostgreSQL runs elsewhere (then 0)."""
    found = subprocess.run(["pgrep", "-o", "-x", "postgres"], capture_output=True, text=True).stdout.split()
    if not found:
        return 0.0
    postmaster = int(found[0])
    fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / TICKS + cpu_seconds(postmaster) - (int(fields[11]) + int(fields[12])) / TICKS


def own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def unsend(order_ids: list[int]) -> None:
    OrderNotification.objects.filter(order_id__in=order_ids, kind="confirmation").delete()


def drained(broker: redis.Redis) -> bool:
    return broker.llen("celery") == 0 and broker.hlen("unacked") == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emails", type=int, default=500)
    parser.add_argument("--pool", choices=["prefork", "solo", "threads"], default="prefork")
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()

    order_ids = list(Order.objects.order_by("-id").values_list("id", flat=True)[: args.emails])
    if len(order_ids) < args.emails:
        sys.exit(f"only {len(order_ids)} orders in this database: run bench/checkout_run.sh first")

    # The task body alone, in this process (after one warm-up e-mail).
    unsend(order_ids)
    order_email_send(order_id=order_ids[0], kind="confirmation")
    start = own_cpu()
    sent = sum(order_email_send(order_id=order_id, kind="confirmation") for order_id in order_ids[1:])
    body_ms = (own_cpu() - start) * 1000 / max(sent, 1)

    # The same e-mails through the broker and a worker.
    unsend(order_ids)
    broker = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
    broker.delete("celery", "unacked", "unacked_index")
    worker = subprocess.Popen(
        [str(ROOT / ".venv/bin/celery"), "-A", "config", "worker", "--loglevel", "WARNING", "--pool", args.pool,
         "--concurrency", str(args.concurrency), "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT)
    try:
        # Ready when a first task has gone through (its cost is not counted).
        send_order_email.delay(order_ids[0], "confirmation")
        while not OrderNotification.objects.filter(order_id=order_ids[0], kind="confirmation",
                                                   sent_at__isnull=False).exists():
            time.sleep(0.1)
        while not drained(broker):
            time.sleep(0.05)
        time.sleep(0.5)
        cpu0, pg0, wall0 = cpu_seconds(worker.pid), postgres_cpu_seconds(), time.monotonic()
        for order_id in order_ids[1:]:
            send_order_email.delay(order_id, "confirmation")
        while not drained(broker):
            time.sleep(0.02)
        wall, cpu = time.monotonic() - wall0, cpu_seconds(worker.pid) - cpu0
        pg = postgres_cpu_seconds() - pg0
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    sent_by_worker = OrderNotification.objects.filter(order_id__in=order_ids[1:], kind="confirmation",
                                                      sent_at__isnull=False).count()
    print({"pool": args.pool, "concurrency": args.concurrency, "emails": sent_by_worker,
           "body_cpu_ms": round(body_ms, 2), "worker_cpu_ms": round(cpu * 1000 / max(sent_by_worker, 1), 2),
           "worker_wall_ms": round(wall * 1000 / max(sent_by_worker, 1), 2),
           "postgres_cpu_ms": round(pg * 1000 / max(sent_by_worker, 1), 2),
           "load_avg": " ".join(Path("/proc/loadavg").read_text().split()[:3])})


if __name__ == "__main__":
    main()
