"""Summarise a py-spy profile of the gunicorn workers (``py-spy record --format raw``, collapsed stacks).

    .venv/bin/python bench/pyspy_top.py /tmp/flow.pyspy [--top 25]

Prints, as Markdown: the share of samples spent in each of the app's request entry points (the view classes), the
functions with the most samples on-CPU at the top of the stack (self), and the project's own functions by
inclusive share. Used for bench/README.md ("Profiling the purchase flow").
"""

import argparse
import re
from collections import Counter

FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^:()]+)(?::(?P<line>\d+))?\)$")


def parse(path: str):
    with open(path, encoding="utf-8") as lines:
        for raw in lines:
            stack, _, count = raw.rstrip("\n").rpartition(" ")
            if not stack:
                continue
            frames = []
            for part in stack.split(";"):
                match = FRAME.match(part)
                frames.append((match["func"], match["file"]) if match else (part, ""))
            yield frames, int(count)


def _is_project(file: str) -> bool:
    # py-spy names files relative to the working directory when it can (shop/...), absolute otherwise.
    path = file.split("/work/main/", 1)[-1]
    return path.startswith(("shop/", "config/")) and "/tests/" not in path


def short(func: str, file: str) -> str:
    for marker in ("/site-packages/", "/work/main/", "/lib/python3.11/"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{func} ({file})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("profile")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    total = 0
    self_time, inclusive, views = Counter(), Counter(), Counter()
    for frames, count in parse(args.profile):
        total += count
        self_time[short(*frames[-1])] += count
        seen = set()
        view = None
        for func, file in frames:
            if _is_project(file):
                name = short(func, file)
                if name not in seen:
                    seen.add(name)
                    inclusive[name] += count
            if view is None and _is_project(file) and file.endswith("/api/views.py"):
                view = short(func, file)
        views[view or "(outside the app's views: server, middleware, idle)"] += count
    print(f"{total} samples")
    for title, counter in (("Entry points (first app view frame)", views), ("Self (top of the stack)", self_time),
                           ("Project code, inclusive", inclusive)):
        print(f"\n{title}\n\n| function | share |\n|---|---:|")
        for name, count in counter.most_common(args.top):
            print(f"| `{name}` | {count / total:.1%} |")


if __name__ == "__main__":
    main()
