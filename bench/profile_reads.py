"""Profile the catalog's uncached read path in-process (Django test client, no network), with pyinstrument.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shop_bench REDIS_URL=redis://127.0.0.1:6379/3 \
        .venv/bin/python bench/profile_reads.py [--requests 300] [--profile list|search|detail|none]

Every request is a response-cache miss (distinct paths under a fresh catalog version), so the figures are the
cost of building a response: SQL + ORM + serializers + rendering. Prints, per endpoint, the mean wall time
per request, the process CPU time per request (``time.process_time``: this process's own work, SQL waits and the
machine's other load excluded, so the figure to compare between runs on a shared machine), the share spent
waiting on SQL and the queries per request; with --profile, pyinstrument's call tree for that endpoint.
``--only list,search`` measures only those endpoints.
Used for the before/after figures in bench/README.md ("Profiling").
"""

import argparse
import os
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
from django.test.utils import CaptureQueriesContext  # noqa: E402

from shop.catalog.cache import catalog_invalidate  # noqa: E402
from shop.catalog.models import Product  # noqa: E402


def endpoints(count: int) -> dict[str, list[str]]:
    slugs = list(Product.objects.public().order_by("?").values_list("slug", flat=True)[:count])
    from shop.catalog.management.commands.seed_catalog import ADJECTIVES, NOUNS
    return {
        "list": [f"/products/?page={1 + i * 7 % 2000}" for i in range(count)],
        "filtered": [f"/products/?category__slug=bench-electronics&ordering=-price&page={1 + i % 400}"
                     for i in range(count)],
        "search": [f"/products/?search={ADJECTIVES[i % len(ADJECTIVES)]}+{NOUNS[(i // 7) % len(NOUNS)]}"
                   f"&page={1 + i // 200}" for i in range(count)],
        "detail": [f"/products/{slug}/" for slug in slugs],
    }


def run(paths: list[str], client: Client) -> tuple[float, float, float, float]:
    """(wall ms, CPU ms, SQL ms, queries) per request, means over ``paths``."""
    walls, cpus, sqls, counts = [], [], [], []
    catalog_invalidate()  # a new catalog version: every (distinct) path below misses the response cache
    for path in paths:
        with CaptureQueriesContext(connection) as queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            cpus.append(time.process_time() - started_cpu)
            walls.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
        assert response["X-Cache"] == "MISS", (path, response["X-Cache"])
        sqls.append(sum(float(q["time"]) for q in queries.captured_queries))
        counts.append(len(queries.captured_queries))
    return (statistics.mean(walls) * 1000, statistics.mean(cpus) * 1000, statistics.mean(sqls) * 1000,
            statistics.mean(counts))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", default="none", choices=["none", "list", "filtered", "search", "detail"])
    parser.add_argument("--only", default="", help="comma-separated endpoints to measure (default: all)")
    args = parser.parse_args()
    client = Client()
    targets = endpoints(args.requests)
    if args.only:
        targets = {name: paths for name, paths in targets.items() if name in args.only.split(",")}
    for paths in targets.values():  # warm up: connections, imports, PostgreSQL's buffers
        run(paths[:20], client)
    print(f"{args.requests} uncached requests per endpoint, in-process (no HTTP server)")
    print("| endpoint | ms per request | CPU ms per request | SQL ms (as timed by Django) | queries |")
    print("|---|---:|---:|---:|---:|")
    for name, paths in targets.items():
        if name == args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
            wall, cpu, sql, count = run(paths, client)
            profiler.stop()
            show_all = os.environ.get("PROFILE_ALL") == "1"  # every frame, Django's and the libraries' too
            profile_text = profiler.output_text(unicode=False, color=False, show_all=show_all)
        else:
            wall, cpu, sql, count = run(paths, client)
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {sql:.2f} | {count:.1f} |")
    if args.profile != "none":
        print(profile_text)


if __name__ == "__main__":
    main()
