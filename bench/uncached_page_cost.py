"""What one uncached catalog page costs, on both sides of the database connection, in-process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shop_bench REDIS_URL=redis://127.0.0.1:6379/3 \
        .venv/bin/python bench/uncached_page_cost.py [--pages 400] [--endpoint list|search] [--rounds 3]

Asks for ``--pages`` distinct pages the load benchmark asks for (``bench/catalog_pages.lua``: the plain list,
``page_size=10``, pages 1-2,000 at random; or ``bench/search_terms.py``'s three-word searches), each a response-
cache miss under a fresh catalog version, after as many warm-up pages (imports, compiled queries, PostgreSQL's
buffers). Prints per page: this process's CPU (``time.process_time``) and **the PostgreSQL backend's CPU**, read
from ``/proc/<backend pid>/stat`` (utime + stime) of the one connection the pages use, so the database's share of
the two cores, which wrk's runs cannot separate from the workers', is measured too. Both are CPU times: another
process's load on the machine changes them far less than it changes wall times or throughput. Used for the
before/after rows of bench/README.md section 18 (run the two codes alternately, as the section says).
The Django test client's own cost is in the process figure (about the same on both sides of an A/B).
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("THROTTLE_RATES", "anon=100000000/min,user=100000000/min")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from shop.catalog.cache import catalog_invalidate  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu_seconds(pid: int) -> float:
    """utime + stime of process ``pid`` in seconds (proc(5): fields 14 and 15 of /proc/<pid>/stat, in clock
    ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def paths(endpoint: str, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    if endpoint == "list":
        return [f"/products/?page_size=10&page={page}" for page in rng.sample(range(1, 2001), count)]
    from shop.catalog.management.commands.seed_catalog import ADJECTIVES, MATERIALS, NOUNS

    terms = [f"{a}+{n}+{m.split()[-1]}".lower() for a in ADJECTIVES for n in NOUNS for m in MATERIALS]
    return [f"/products/?search={term}" for term in rng.sample(terms, count)]


def run(client: Client, batch: list[str], pid: int) -> tuple[float, float, float]:
    """(process CPU ms, backend CPU ms, wall ms) per page over ``batch``, every page a miss."""
    catalog_invalidate()
    cpu, backend, wall = time.process_time(), backend_cpu_seconds(pid), time.perf_counter()
    for path in batch:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
        assert response["X-Cache"] == "MISS", (path, response["X-Cache"])
    count = len(batch)
    return ((time.process_time() - cpu) * 1000 / count, (backend_cpu_seconds(pid) - backend) * 1000 / count,
            (time.perf_counter() - wall) * 1000 / count)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=400)
    parser.add_argument("--endpoint", default="list", choices=["list", "search"])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("needs DATABASE_URL=postgres://... (the backend's CPU is read from /proc)")
    client = Client()
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    all_paths = paths(args.endpoint, args.pages * 2, seed=42)
    run(client, all_paths[:args.pages], pid)  # warm-up
    rows = [run(client, all_paths[args.pages:], pid) for _ in range(args.rounds)]
    print(f"{args.endpoint}: {args.pages} distinct uncached pages x {args.rounds} rounds (each round a new catalog "
          f"version), in-process")
    print("| round | process CPU ms/page | PostgreSQL backend CPU ms/page | wall ms/page |")
    print("|---|---:|---:|---:|")
    for index, (cpu, backend, wall) in enumerate(rows, 1):
        print(f"| {index} | {cpu:.2f} | {backend:.2f} | {wall:.2f} |")
    print(f"| median | {statistics.median(r[0] for r in rows):.2f} | {statistics.median(r[1] for r in rows):.2f} | "
          f"{statistics.median(r[2] for r in rows):.2f} |")


if __name__ == "__main__":
    main()
