"""Drive the load tools for bench/catalog.sh and print Markdown tables.

Two tools, because each is right about a different thing:

- ``ab`` (ApacheBench) for fixed URLs: requests/s and latency percentiles. Its percentiles agree with a plain
  Python client one request at a time (p99 0.6 ms against the ceiling view).
- ``wrk`` only where a Lua script must vary the URL (2,000 distinct pages, 4,860 distinct searches), and only for
  requests/s: against gunicorn's sync workers, which close the connection after every response, wrk's latency
  percentiles are wrong. With one connection it reported p90 = 88 ms while serving 1,900 requests/s, which
  Little's law caps at a mean of 0.5 ms, and a Python client measured p99 = 0.6 ms on the same server.

The machine is small and its speed drifts, so each endpoint is measured in ROUNDS slices, each right after a
slice of the ceiling view (the smallest Django JSON view behind the same middleware), and the table reports
medians plus the median of the per-round ratios endpoint/ceiling. Only 127.0.0.1 is ever targeted; every run is
bounded by its duration.
"""

import os
import re
import statistics
import subprocess
import sys

BASE = os.environ.get("BENCH_BASE", "http://127.0.0.1:8765")
SECONDS = int(os.environ.get("BENCH_DURATION", "5s").rstrip("s"))
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "64")
THREADS = os.environ.get("BENCH_THREADS", "2")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
# The latency table: few connections, where a request waits for the CPU rather than in a queue.
LATENCY_CONNECTIONS = os.environ.get("BENCH_LATENCY_CONNECTIONS", "4")
SEARCH_LUA = os.environ.get("BENCH_SEARCH_LUA")
CEILING = "/bench/ceiling/"

if not BASE.startswith(("http://127.0.0.1:", "http://localhost:")):
    sys.exit("bench targets the loopback interface only")


def ab(path: str, connections: str = CONNECTIONS) -> dict:
    # -l: pages differ in length, which is not a failure; -n is only an upper bound, -t ends the run.
    args = ["ab", "-q", "-l", "-c", connections, "-t", str(SECONDS), "-n", "10000000", BASE + path]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=SECONDS + 60).stdout
    non_2xx = re.search(r"Non-2xx responses:\s+(\d+)", out)
    failed = int(re.search(r"Failed requests:\s+(\d+)", out).group(1))
    return {
        "rps": float(re.search(r"Requests per second:\s+([\d.]+)", out).group(1)),
        "p50": float(re.search(r"^\s+50%\s+(\d+)", out, re.M).group(1)),
        "p99": float(re.search(r"^\s+99%\s+(\d+)", out, re.M).group(1)),
        "errors": failed + (int(non_2xx.group(1)) if non_2xx else 0),
    }


def wrk(path: str, script: str) -> dict:
    args = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "-s", script, BASE + path]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=SECONDS + 60).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "errors": (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, errors.groups())) if errors else 0),
    }


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def main(endpoints: list[tuple[str, str, str | None]]) -> None:
    print(f"{CONNECTIONS} connections, {SECONDS} s slices, {ROUNDS} rounds (ceiling slice, then endpoint); "
          "ab for fixed URLs, wrk (req/s only) for scripted ones")
    print()
    print("| endpoint | tool | req/s | p50 ms | p99 ms | errors | ceiling req/s | ceiling p50 / p99 ms | ratio |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, path, script in endpoints:
        rounds = []
        for _ in range(ROUNDS):
            ceiling = ab(CEILING)
            result = wrk(path, script) if script else ab(path)
            rounds.append((ceiling, result))
        rps = statistics.median(r["rps"] for _, r in rounds)
        p50 = None if script else statistics.median(r["p50"] for _, r in rounds)
        p99 = None if script else statistics.median(r["p99"] for _, r in rounds)
        ceil = {key: statistics.median(c[key] for c, _ in rounds) for key in ("rps", "p50", "p99")}
        ratio = statistics.median(r["rps"] / c["rps"] for c, r in rounds)
        errors = sum(r["errors"] for _, r in rounds)
        print(f"| {name} | {'wrk' if script else 'ab'} | {rps:.0f} | {_ms(p50)} | {_ms(p99)} | {errors} "
              f"| {ceil['rps']:.0f} | {ceil['p50']:.0f} / {ceil['p99']:.0f} | {ratio:.0%} |", flush=True)


def latency(endpoints: list[tuple[str, str]], connections: str = LATENCY_CONNECTIONS) -> None:
    print()
    print(f"Latency with {connections} connections (ab -c{connections}, {SECONDS} s each)")
    print()
    print("| endpoint | req/s | p50 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|")
    for name, path in endpoints:
        r = ab(path, connections=connections)
        print(f"| {name} | {r['rps']:.0f} | {r['p50']:.0f} | {r['p99']:.0f} | {r['errors']} |", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "--uncached":
        # Run against a server whose catalog cache is off: every request builds its answer from PostgreSQL.
        deep_page = sys.argv[2]
        rows = [
            ("ceiling", CEILING),
            ("search 'wireless headphones', uncached", "/products/?search=wireless+headphones"),
            ("list page 1, uncached", "/products/"),
            (f"list page {deep_page}, uncached", f"/products/?page={deep_page}"),
        ]
        latency(rows, connections=CONNECTIONS)
        latency(rows)
        sys.exit(0)
    slug, category = sys.argv[1], sys.argv[2]
    searches = [("search, 4,860 distinct queries (mostly misses)", "/products/", SEARCH_LUA)] if SEARCH_LUA else []
    main([
        ("list (cached)", "/products/", None),
        ("filtered list (cached)", f"/products/?category__slug={category}&ordering=-price", None),
        ("search (cached)", "/products/?search=wireless+headphones", None),
        ("detail (cached)", f"/products/{slug}/", None),
        ("categories (cached)", "/products/categories/", None),
        ("list, 2,000 distinct pages (mostly misses)", "/products/", "bench/catalog_pages.lua"),
        *searches,
    ])
    latency([("ceiling", CEILING), ("search (cached)", "/products/?search=wireless+headphones")])
