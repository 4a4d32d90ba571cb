"""Memory of a gunicorn master and its workers, from /proc (Linux): ``python bench/rss.py <master pid>``.

For each process: VmRSS (resident now), VmHWM (peak resident), and from smaps_rollup Pss (resident, with pages
shared after the fork divided among the processes sharing them) and private (Private_Clean + Private_Dirty,
what the process alone holds: what one more worker costs). Prints a Markdown table and one JSON line.
``--save FILE`` writes the snapshot; ``--before FILE`` compares with one saved earlier (per pid).
"""

import argparse
import json
import sys
from pathlib import Path


def _kib(text: str, field: str) -> int | None:
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def process_memory(pid: int) -> dict:
    status = Path(f"/proc/{pid}/status").read_text()
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:  # not readable (another user's process) or an old kernel
        rollup = ""
    private = [_kib(rollup, "Private_Clean"), _kib(rollup, "Private_Dirty")]
    return {
        "pid": pid,
        "rss_kib": _kib(status, "VmRSS"),
        "hwm_kib": _kib(status, "VmHWM"),
        "pss_kib": _kib(rollup, "Pss"),
        "private_kib": sum(private) if None not in private else None,
    }


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return sorted(found)


def snapshot(master: int) -> dict:
    return {"master": process_memory(master), "workers": [process_memory(pid) for pid in children(master)]}


def _mib(kib: int | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("master", type=int)
    parser.add_argument("--label", default="")
    parser.add_argument("--save", type=Path)
    parser.add_argument("--before", type=Path)
    args = parser.parse_args()
    snap = snapshot(args.master)
    before = json.loads(args.before.read_text()) if args.before else None
    earlier = {p["pid"]: p for p in ([before["master"], *before["workers"]] if before else [])}
    if args.save:
        args.save.write_text(json.dumps(snap))

    print(f"\nMemory {args.label}".rstrip())
    print()
    header = "| process | pid | RSS MiB | peak RSS MiB | PSS MiB | private MiB |"
    rule = "|---|---:|---:|---:|---:|---:|"
    if before:
        header += " RSS change MiB |"
        rule += "---:|"
    print(header)
    print(rule)
    rows = [("master", snap["master"])] + [(f"worker {n + 1}", w) for n, w in enumerate(snap["workers"])]
    for name, proc in rows:
        line = (
            f"| {name} | {proc['pid']} | {_mib(proc['rss_kib'])} | {_mib(proc['hwm_kib'])} | "
            f"{_mib(proc['pss_kib'])} | {_mib(proc['private_kib'])} |"
        )
        if before:
            old = earlier.get(proc["pid"])
            line += f" {_mib(proc['rss_kib'] - old['rss_kib']) if old else 'new process'} |"
        print(line)
    workers = snap["workers"]
    if workers:
        rss = [w["rss_kib"] for w in workers]
        print(
            f"\nworkers: {len(workers)}, RSS mean {_mib(sum(rss) // len(rss))} MiB, max {_mib(max(rss))} MiB; "
            f"all processes' PSS {_mib(sum((p['pss_kib'] or 0) for _, p in rows))} MiB"
        )
    print(json.dumps({"label": args.label, **snap}, separators=(",", ":")))
    if not workers:
        sys.exit("no workers found under the master")


if __name__ == "__main__":
    main()
