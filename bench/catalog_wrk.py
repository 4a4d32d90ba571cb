"""Drive wrk for bench/catalog.sh and print a Markdown table.

The machine is shared (2 cores, other test suites running), so absolute numbers drift by 2-5x within a minute.
Each endpoint is therefore measured in ROUNDS short slices, each right after a slice of the ceiling view, and the
table reports medians plus the median of the per-round ratios endpoint/ceiling, which drift affects far less.
Only 127.0.0.1 is ever targeted; every wrk run is bounded by its duration.
"""

import os
import re
import statistics
import subprocess
import sys

BASE = os.environ.get("BENCH_BASE", "http://127.0.0.1:8765")
DURATION = os.environ.get("BENCH_DURATION", "5s")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "64")
THREADS = os.environ.get("BENCH_THREADS", "2")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CEILING = "/bench/ceiling/"

if not BASE.startswith(("http://127.0.0.1:", "http://localhost:")):
    sys.exit("bench targets the loopback interface only")


def to_ms(value: str) -> float:
    number = float(re.sub(r"[a-z]+$", "", value))
    if value.endswith("us"):
        return number / 1000
    if value.endswith("ms"):
        return number
    if value.endswith("m"):
        return number * 60_000
    return number * 1000  # seconds


def wrk(path: str, script: str | None = None) -> dict:
    args = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency"]
    if script:
        args += ["-s", script]
    out = subprocess.run([*args, BASE + path], capture_output=True, text=True, check=True, timeout=120).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99": to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
    }


def main(endpoints: list[tuple[str, str, str | None]]) -> None:
    print(f"wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION} per slice, {ROUNDS} rounds (ceiling slice, then endpoint)")
    print()
    print("| endpoint | req/s | p50 ms | p99 ms | non-2xx | ceiling req/s (same rounds) | ratio to ceiling |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, path, script in endpoints:
        rounds = []
        for _ in range(ROUNDS):
            ceiling = wrk(CEILING)
            result = wrk(path, script)
            rounds.append((ceiling, result))
        med = {key: statistics.median(r[key] for _, r in rounds) for key in ("rps", "p50", "p99")}
        ceiling_rps = statistics.median(c["rps"] for c, _ in rounds)
        ratio = statistics.median(r["rps"] / c["rps"] for c, r in rounds)
        errors = sum(r["errors"] for _, r in rounds)
        print(f"| {name} | {med['rps']:.0f} | {med['p50']:.1f} | {med['p99']:.1f} | {errors} | {ceiling_rps:.0f} "
              f"| {ratio:.0%} |", flush=True)


if __name__ == "__main__":
    slug, category = sys.argv[1], sys.argv[2]
    main([
        ("list (cached)", "/products/", None),
        ("filtered list (cached)", f"/products/?category__slug={category}&ordering=-price", None),
        ("search (cached)", "/products/?search=wireless+headphones", None),
        ("detail (cached)", f"/products/{slug}/", None),
        ("list, 2,000 distinct pages (mostly misses)", "/products/", "bench/catalog_pages.lua"),
    ])
