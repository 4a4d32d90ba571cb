"""EXPLAIN (ANALYZE, BUFFERS) of the product search's costliest query, as the code builds it, on a bench database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shop_bench_x .venv/bin/python bench/search_explain.py \
        [--runs 7] [--mode last] ["wireless headph" ...]

The query is the first page of a public search whose total is not memoized yet: the page's ids with
``COUNT(*) OVER ()``, ranked (``shop/catalog/api/pagination.py``, ``_ranked_page``), the one that scans the
full-text index. Each search runs once to warm the cache, then ``--runs`` times; printed: the matches, the median
and range of the execution time, the shared buffers hit/read and the plan's scan nodes. Then the size of the
full-text indexes. Used for bench/README.md, "Search: accents and partly typed words".
"""

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Window  # noqa: E402

from shop.catalog.selectors import product_list_queryset, product_search  # noqa: E402

SEARCHES = ["kettle", "wireless headph", "vintage skillet steel", "8365", "lamp a"]


def _matches(node: dict) -> int | None:
    """Rows the heap scan returned (the search's matches)."""
    if node["Node Type"] == "Bitmap Heap Scan":
        return node["Actual Rows"]
    return next((rows for child in node.get("Plans", ()) if (rows := _matches(child)) is not None), None)


def _scans(node: dict) -> list[str]:
    found = []
    if "Scan" in node["Node Type"] or node["Node Type"].startswith("Bitmap"):
        found.append(node["Node Type"] + (f" {node['Index Name']}" if "Index Name" in node else ""))
    for child in node.get("Plans", ()):
        found.extend(_scans(child))
    return found


def explain(text: str, runs: int) -> dict:
    products = product_search(product_list_queryset(staff=False).filter(is_deleted=False), text)
    page = products.annotate(total=Window(Count("pk"))).values_list("pk", "total")[:10]
    sql, params = page.query.sql_with_params()
    times, plan = [], {}
    with connection.cursor() as cursor:
        for _ in range(runs + 1):
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
            result = cursor.fetchone()[0]
            plan = (json.loads(result) if isinstance(result, str) else result)[0]
            times.append(plan["Execution Time"])
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        text_plan = "\n".join("    " + row[0] for row in cursor.fetchall())
    top = plan["Plan"]
    runs_ms = times[1:]
    return {"search": text, "sql": sql, "params": params, "text_plan": text_plan,
            "median_ms": statistics.median(runs_ms), "min_ms": min(runs_ms), "max_ms": max(runs_ms),
            "hit": top.get("Shared Hit Blocks"), "read": top.get("Shared Read Blocks"), "matches": _matches(top),
            "scans": _scans(top)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("searches", nargs="*", default=SEARCHES)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--mode", choices=("last", "all", "none"), default=None)
    parser.add_argument("--plans", action="store_true", help="print each plan as text too")
    parser.add_argument("--json", action="store_true", help="one JSON line per search (for bench comparisons)")
    args = parser.parse_args()
    if args.mode:
        settings.CATALOG_SEARCH_PREFIX = args.mode
    print(f"database {connection.settings_dict['NAME']}, CATALOG_SEARCH_PREFIX={settings.CATALOG_SEARCH_PREFIX}")
    for text in args.searches:
        found = explain(text, args.runs)
        if args.json:
            keys = ("search", "median_ms", "min_ms", "max_ms", "hit", "matches")
            print(json.dumps({key: found[key] for key in keys}))
            continue
        print(f"{text!r:26} {found['matches']:6} matches, median {found['median_ms']:7.2f} ms "
              f"({found['min_ms']:.2f}-{found['max_ms']:.2f}), buffers hit {found['hit']} read {found['read']}; "
              f"{', '.join(found['scans'])}")
        if args.plans:
            print("   ", found["sql"], found["params"])
            print(found["text_plan"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname, pg_relation_size(c.oid) FROM pg_index i"
                       " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam"
                       " WHERE i.indrelid = 'catalog_product'::regclass AND a.amname = 'gin' ORDER BY 1")
        for name, size in cursor.fetchall():
            print(f"index {name}: {size / 1024 / 1024:.1f} MiB ({size} bytes)")
        cursor.execute("SELECT pg_total_relation_size('catalog_product')")
        print(f"catalog_product with indexes and TOAST: {cursor.fetchone()[0] / 1024 / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
