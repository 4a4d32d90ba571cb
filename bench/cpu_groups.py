"""CPU used by groups of processes over a run, from /proc (Linux): a pidstat that follows process trees.

    python bench/cpu_groups.py --group "node 1=tree:4242" --group "postgres (this db)=cmd: shop_bench_x " \\
        --group "redis=comm:redis-server" [--interval 0.5] [--json-out FILE]

Samples every ``--interval`` seconds until SIGINT/SIGTERM, then prints a Markdown table and one JSON line: each
group's CPU seconds (user + system, /proc/<pid>/stat fields 14-15) and its share of one core over the window, the
whole machine's busy share of all its cores (/proc/stat), and "everything else" (the machine minus the groups:
other people's work on a shared machine). A group is ``tree:<pid>`` (that process and all its descendants, found
again at every sample, so forked and replaced workers count), ``comm:<name>`` (processes with that name) or
``cmd:<text>`` (processes whose command line contains the text, e.g. PostgreSQL backends of one database, whose
title names it) or ``re:<regex>`` (whose command line matches it). A process is counted in the first group that
matches it. A process first seen after the start counts from zero; one that ends between two samples loses
at most one interval of its time, so the figures are a slight floor.
"""

import argparse
import json
import os
import re
import signal
import threading
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[int, str, int]]:
    """``{pid: (ppid, comm, cpu ticks)}`` of every process readable now."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:  # ended meanwhile
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        # After the comm: state(3) ppid(4) ... utime(14) stime(15), numbered as in proc(5).
        found[int(entry.name)] = (int(fields[1]), comm, int(fields[11]) + int(fields[12]))
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot (/proc/stat's first line; idle and iowait are not busy)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class Sampler:
    """Accumulates each group's CPU ticks; ``groups`` maps a label to ``(kind, value)``."""

    def __init__(self, groups: dict[str, tuple[str, str]]):
        self.groups = groups
        self.baseline: dict[int, int] = {}
        self.last: dict[int, int] = {}
        self.owner: dict[int, str] = {}  # a pid belongs to the first group that claimed it
        self.cmdlines: dict[int, str] = {}
        self.started = time.monotonic()
        self.machine_start = _machine_ticks()
        self.machine_end = self.machine_start
        self.finished = self.started
        first = _processes()
        self.baseline = {pid: ticks for pid, (_, _, ticks) in first.items()}
        self.sample(first)

    def _members(self, processes: dict[int, tuple[int, str, int]]) -> dict[int, str]:
        children: dict[int, list[int]] = {}
        for pid, (ppid, _, _) in processes.items():
            children.setdefault(ppid, []).append(pid)
        members: dict[int, str] = {}
        for label, (kind, value) in self.groups.items():
            if kind == "tree":
                stack = [int(value)] if int(value) in processes else []
                while stack:
                    pid = stack.pop()
                    members.setdefault(pid, label)
                    stack.extend(children.get(pid, []))
            elif kind == "comm":
                for pid, (_, comm, _) in processes.items():
                    if comm == value:
                        members.setdefault(pid, label)
            else:  # cmd (a substring) or re (a regular expression) of the command line
                for pid in processes:
                    if pid not in self.cmdlines:  # read once per process: a title's database part never changes
                        self.cmdlines[pid] = _cmdline(pid)
                    line = self.cmdlines[pid]
                    if (value in line) if kind == "cmd" else re.search(value, line):
                        members.setdefault(pid, label)
        return members

    def sample(self, processes: dict[int, tuple[int, str, int]] | None = None) -> None:
        processes = processes if processes is not None else _processes()
        for pid, label in self._members(processes).items():
            self.owner.setdefault(pid, label)
            self.last[pid] = processes[pid][2]
        self.machine_end = _machine_ticks()
        self.finished = time.monotonic()

    def report(self) -> dict:
        window = self.finished - self.started
        per_group = dict.fromkeys(self.groups, 0)
        for pid, label in self.owner.items():
            per_group[label] += self.last[pid] - self.baseline.get(pid, 0)
        busy = self.machine_end[0] - self.machine_start[0]
        total = self.machine_end[1] - self.machine_start[1]
        cpus = os.cpu_count() or 1
        ours = sum(per_group.values())
        rows = {label: round(ticks / TICKS, 2) for label, ticks in per_group.items()}
        rows["everything else on the machine"] = round(max(busy - ours, 0) / TICKS, 2)
        return {
            "window_s": round(window, 1),
            "cpus": cpus,
            "machine_busy_pct": round(100 * busy / total, 1) if total else 0.0,
            "cpu_s": rows,
            "pct_of_one_core": {label: round(100 * s / window, 1) if window else 0.0 for label, s in rows.items()},
        }


def parse_group(text: str) -> tuple[str, tuple[str, str]]:
    label, _, spec = text.partition("=")
    kind, _, value = spec.partition(":")
    if kind not in ("tree", "comm", "cmd", "re") or not label or not value:
        raise argparse.ArgumentTypeError(f"expected LABEL=tree:PID, comm:NAME, cmd:TEXT or re:REGEX, got {text!r}")
    return label, (kind, value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--group", type=parse_group, action="append", required=True)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--json-out", help="also write the JSON report here")
    args = parser.parse_args()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    sampler = Sampler(dict(args.group))
    while not stop.wait(args.interval):
        sampler.sample()
    sampler.sample()
    report = sampler.report()
    print(f"CPU by process group over {report['window_s']} s ({report['cpus']} cores; the machine was "
          f"{report['machine_busy_pct']}% busy):")
    print()
    print("| process group | CPU s | % of one core |")
    print("|---|---:|---:|")
    for label, seconds in report["cpu_s"].items():
        print(f"| {label} | {seconds} | {report['pct_of_one_core'][label]} |")
    print(json.dumps(report, separators=(",", ":")))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report))


if __name__ == "__main__":
    main()
