"""Drive bench/ceiling.sh: every endpoint as a ratio to the bare Django ceiling, measured in the same run.

For each endpoint and each connection count, ROUNDS rounds of: a slice of the bare app (bench/bare_app.py)
answering a body of the endpoint's own size, then a slice of the endpoint; the table shows medians and the median
of the per-round ratios (requests/s endpoint / bare, p99 endpoint / bare). The bare app and the API run under the
same gunicorn settings, so the ratio is what the project's own request path costs on top of Django and the server.
A second row per connection count keeps the old reference: /bench/ceiling/, a minimal view *behind the project's
middleware*, against the bare app at its size.

Tools, and why:

- ``ab`` for every fixed URL. Gunicorn's sync workers close the connection after each response; ab opens one
  connection per request anyway (HTTP/1.0, no -k) and its percentiles agree with a plain Python client
  (bench/README.md). With gthread workers (GUNICORN_THREADS > 1) ab runs with -k, keep-alive, as a browser or a
  load balancer would talk to them.
- ``wrk`` only where a Lua script must vary the URL (distinct list pages and searches, BENCH_UNCACHED=1), and
  its bare slice is measured with wrk too, so each ratio compares one tool with itself. Its latency columns are
  shown with Little's law's mean (connections / throughput) beside wrk's own mean: where they disagree, wrk's
  percentiles are not to be trusted (the sync-worker reconnect problem bench/README.md describes).

Only 127.0.0.1 is targeted; every load run is bounded by its duration.
"""

import os
import re
import statistics
import subprocess
import sys
import urllib.request
from pathlib import Path

API = os.environ.get("BENCH_API", "http://127.0.0.1:8770")
BARE = os.environ.get("BENCH_BARE", "http://127.0.0.1:8771")
SECONDS = int(os.environ.get("BENCH_DURATION", "3s").rstrip("s"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "16 64").split()
KEEPALIVE = int(os.environ.get("GUNICORN_THREADS", "4") or 4) > 1  # gunicorn.conf.py's default
SEARCH_LUA = os.environ.get("BENCH_SEARCH_LUA") or None
PAGES_LUA = "bench/catalog_pages.lua"

for base in (API, BARE):
    if not base.startswith(("http://127.0.0.1:", "http://localhost:")):
        sys.exit("bench targets the loopback interface only")


API_PID = os.environ.get("BENCH_API_PID")
BARE_PID = os.environ.get("BENCH_BARE_PID")
TICKS = os.sysconf("SC_CLK_TCK")


def workers_cpu(master: str | None) -> float | None:
    """CPU seconds (user + system) used so far by the gunicorn master's workers, from /proc: what one answer
    costs the server, which the machine's other load changes far less than it changes requests/s."""
    if not master:
        return None
    total = 0
    for children in Path(f"/proc/{master}/task").glob("*/children"):
        for pid in children.read_text().split():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / TICKS


def timed(load, master: str | None):
    before = workers_cpu(master)
    result = load()
    after = workers_cpu(master)
    requests = result.pop("requests")
    result["cpu_ms"] = (after - before) * 1000 / requests if before is not None and requests else float("nan")
    return result


def body_size(url: str) -> int:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback only, checked above)
        return len(response.read())


def ab(url: str, connections: str) -> dict:
    # -l: answers of another length are not failures; -n is only an upper bound, -t ends the run.
    args = ["ab", "-q", "-l", *(["-k"] if KEEPALIVE else []), "-c", connections, "-t", str(SECONDS),
            "-n", "10000000", url]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=SECONDS + 60).stdout
    non_2xx = re.search(r"Non-2xx responses:\s+(\d+)", out)
    return {
        "requests": int(re.search(r"Complete requests:\s+(\d+)", out).group(1)),
        "rps": float(re.search(r"Requests per second:\s+([\d.]+)", out).group(1)),
        "p50": float(re.search(r"^\s+50%\s+(\d+)", out, re.M).group(1)),
        "p99": float(re.search(r"^\s+99%\s+(\d+)", out, re.M).group(1)),
        "errors": int(re.search(r"Failed requests:\s+(\d+)", out).group(1)) + (int(non_2xx.group(1)) if non_2xx else 0),
    }


def _wrk_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, connections: str, script: str | None = None) -> dict:
    args = ["wrk", "-t1", f"-c{connections}", f"-d{SECONDS}s", "--latency", *(["-s", script] if script else []), url]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=SECONDS + 60).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "mean": _wrk_ms(re.search(r"Latency\s+(\S+)", out).group(1)),
        "p50": _wrk_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99": _wrk_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        # A read error is how wrk sees a server closing the connection after each answer (sync workers): not a
        # failed request. Timeouts and non-2xx answers are.
        "errors": (int(non_2xx.group(1)) if non_2xx else 0) + (int(socket_errors.group(4)) if socket_errors else 0),
    }


def measure(name: str, path: str, connections: str, *, script: str | None = None, size_path: str | None = None):
    size = body_size(API + (size_path or path))
    tool = wrk if script else ab
    rounds = []
    bare_url = f"{BARE}/bare/{size}/"
    for _ in range(ROUNDS):
        bare = timed(lambda: wrk(bare_url, connections) if script else ab(bare_url, connections), BARE_PID)
        result = timed(lambda: tool(API + path, connections, script) if script else tool(API + path, connections),
                       API_PID)
        rounds.append((bare, result))
    med = {key: statistics.median(r[key] for _, r in rounds) for key in ("rps", "p50", "p99", "cpu_ms")}
    bare = {key: statistics.median(b[key] for b, _ in rounds) for key in ("rps", "p50", "p99", "cpu_ms")}
    ratio = statistics.median(r["rps"] / b["rps"] for b, r in rounds)
    p99_ratio = statistics.median(r["p99"] / max(b["p99"], 1.0) for b, r in rounds)
    errors = sum(r["errors"] for _, r in rounds)
    little = ""
    if script:
        wrk_mean = statistics.median(r["mean"] for _, r in rounds)
        little = f" (mean {wrk_mean:.0f}, Little {int(connections) * 1000 / med['rps']:.0f})"
    print(f"| {name} | {connections} | {'wrk' if script else 'ab'} | {size:,} | {med['rps']:.0f} "
          f"| {med['p50']:.0f} / {med['p99']:.0f}{little} | {bare['rps']:.0f} | {bare['p50']:.0f} / {bare['p99']:.0f} "
          f"| **{ratio:.0%}** | {p99_ratio:.1f}x | {med['cpu_ms']:.2f} / {bare['cpu_ms']:.2f} | {errors} |", flush=True)


def main(slug: str, category: str) -> None:
    print(f"{SECONDS} s slices, {ROUNDS} rounds (bare slice at the endpoint's body size, then the endpoint); "
          f"ab{' -k' if KEEPALIVE else ''} for fixed URLs, wrk for scripted ones")
    print()
    print("| endpoint | conns | tool | bytes | req/s | p50 / p99 ms | bare req/s | bare p50 / p99 ms | ratio "
          "| p99 ratio | worker CPU ms/req (endpoint / bare) | errors |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for connections in CONNECTIONS:
        measure("ceiling behind our middleware (/bench/ceiling/)", "/bench/ceiling/", connections)
        measure("list (cached)", "/products/", connections)
        measure("filtered list (cached)", f"/products/?category__slug={category}&ordering=-price", connections)
        measure("search (cached)", "/products/?search=wireless+headphones", connections)
        measure("detail (cached)", f"/products/{slug}/", connections)
        measure("categories (cached)", "/products/categories/", connections)
        if SEARCH_LUA:
            measure("list, 2,000 distinct pages (mostly misses)", "/products/", connections, script=PAGES_LUA,
                    size_path="/products/?page_size=10&page=1000")
            measure("search, 4,860 distinct queries (mostly misses)", "/products/", connections, script=SEARCH_LUA,
                    size_path="/products/?search=wireless+headphones+steel")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
