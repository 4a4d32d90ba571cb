"""Instructions per gunicorn access-log line (the JSON access log of gunicorn.conf.py), load-independent.

    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python bench/access_log_cost.py [--lines 2000]
    (run once with --lines 0 and once with --lines N: the difference over N is the cost of one line)

Formats N access lines for a typical catalog answer into a StreamHandler on /dev/null, as a sync worker does after
each response. Used for the access-log figures in bench/README.md ("Uncached pages, round two").
"""

import argparse
import datetime
import os
import runpy
import tempfile
from pathlib import Path


class _Response:
    status = "200 OK"
    headers = [("Content-Type", "application/json"), ("Vary", "Accept, Accept-Language, Cookie, Origin"),
               ("ETag", '"0123456789abcdef0123456789abcdef"'), ("Cache-Control", "public, max-age=0"),
               ("X-Cache", "HIT"), ("X-Request-ID", "5f0c2d1e9a7b4c3d8e6f1a2b3c4d5e6f"),
               ("Content-Length", "5123")]
    sent = 5123


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=2000)
    args = parser.parse_args()
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="access-log-cost-"))
    from gunicorn.config import Config

    config = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    cfg = Config()
    cfg.set("accesslog", "-")
    logger = config["JsonLogger"](cfg)
    with open(os.devnull, "w") as sink:
        for handler in logger.access_log.handlers:
            handler.setStream(sink)
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/products/", "REMOTE_ADDR": "127.0.0.1",
                   "HTTP_USER_AGENT": "wrk", "QUERY_STRING": "search=smart+lamp"}
        took = datetime.timedelta(microseconds=612)
        for _ in range(args.lines):
            logger.access(_Response(), None, environ, took)


if __name__ == "__main__":
    main()
