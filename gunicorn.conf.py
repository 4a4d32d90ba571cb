"""Gunicorn configuration for `make serve`, the Procfile and deploy/Dockerfile (all read from the environment).

| Variable | Default | Meaning |
|---|---|---|
| `PORT` | `8000` | Port to listen on |
| `BIND_ADDRESS` | `127.0.0.1` | Interface; the container image sets `0.0.0.0` |
| `WEB_CONCURRENCY` | `CPUs + 1` (`2 * CPUs + 1` with `GUNICORN_THREADS=1`), at most 8 | Worker processes |
| `GUNICORN_THREADS` | `4` | Threads per worker, each with its own database connection; `1`: sync workers |
| `GUNICORN_TIMEOUT` | `30` | Seconds before a worker that stopped answering its master is killed (see below) |
| `GUNICORN_KEEPALIVE` | `75` | Seconds an idle keep-alive connection stays open (above a balancer's 60) |
| `GUNICORN_PRELOAD` | `1` | Import the app once in the master, before forking (workers share its memory pages) |
| `GUNICORN_MAX_REQUESTS` | `1000` | Recycle a worker after this many requests (plus up to 10% jitter); 0 disables |
| `LOG_FORMAT` | `plain` | `json` also turns gunicorn's own messages into JSON; the access log is always JSON |
| `PROMETHEUS_MULTIPROC_DIR` | a fresh temp dir | Where workers share metric files so `/metrics` sums all of them |
"""

import datetime
import gc
import json
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from gunicorn.glogging import Logger


def _cpu_count() -> int:
    # The CPUs this process may use (a container's cpuset), not the whole host's.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise SystemExit(f"{name}={raw!r}: a whole number is expected") from None
    if value < minimum:
        raise SystemExit(f"{name}={value}: at least {minimum} is expected")
    return value


# More workers than this mostly adds database connections and memory, not throughput: scale out with nodes.
MAX_DEFAULT_WORKERS = 8

bind = f"{os.environ.get('BIND_ADDRESS', '127.0.0.1')}:{_env_int('PORT', 8000)}"
# Threaded (gthread) workers by default: they keep client and balancer connections alive, so a request does not
# pay for an accept and the sync worker's lingering close, and a thread waiting on PostgreSQL, Redis or a gateway
# leaves the process's CPU to the others. Measured on 2 CPUs, same run (bench/README.md, "gthread by default"):
# cached catalog reads +30 % requests/s over sync workers, checkouts unchanged. Threads cover the waits, so one
# process per CPU (plus one) is enough; sync workers need two per CPU to hide them.
threads = max(1, _env_int("GUNICORN_THREADS", 4))
worker_class = "gthread" if threads > 1 else "sync"
_default_workers = _cpu_count() + 1 if threads > 1 else 2 * _cpu_count() + 1
workers = _env_int("WEB_CONCURRENCY", min(_default_workers, MAX_DEFAULT_WORKERS), minimum=1)
# The master kills a worker that has not signalled for this long. A gthread worker signals from its own loop, so a
# single request stuck in a thread (a client dribbling its body, say) is not cut by it: bounding slow clients is
# the front proxy's job (docs/SCALING.md), and a database wait is bounded by DB_LOCK_TIMEOUT_MS.
timeout = _env_int("GUNICORN_TIMEOUT", 30, minimum=1)
# On SIGTERM (deploy, scale-in) workers get this long to finish in-flight requests such as a checkout.
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Longer than a balancer keeps an idle upstream connection (AWS ALB 60 s, nginx `keepalive_timeout` 60 s):
# otherwise the node may close a connection at the instant the balancer reuses it for a request, which the
# balancer answers 502 and must not retry (a checkout). Measured: with 5 s, a request sent 5.0 s after the previous
# one on the same connection failed 3 times in 5. An idle connection waits in the worker's poller, not in a thread.
keepalive = _env_int("GUNICORN_KEEPALIVE", 75, minimum=1)
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = max_requests // 10  # workers do not all restart at the same moment
wsgi_app = "config.wsgi:application"
# Workers fork from a master that already imported Django and the app, so they share those pages copy-on-write
# instead of each importing its own copy (bench/README.md, "Memory"). Safe here: nothing opens a database or
# Redis connection at import time, and prometheus_client re-keys its files by pid after the fork.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1").strip().lower() not in ("0", "false", "no", "off")
# Unused, and one fixed socket path would clash between several servers on one machine (benchmarks, CI).
control_socket_disable = True
# The heartbeat file on a container's overlay filesystem can stall workers; memory is always fast.
if Path("/dev/shm").is_dir():  # noqa: S108
    worker_tmp_dir = "/dev/shm"  # noqa: S108

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# Prometheus metrics from every worker land in one directory and /metrics adds them up (prometheus_client
# multiprocess mode). It must be set before a worker imports prometheus_client, hence here.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="shop-prometheus-")
# Made here, not only in on_starting: the preloaded app writes its metric files while being imported, before it.
try:
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
except OSError as exc:
    raise SystemExit(f"PROMETHEUS_MULTIPROC_DIR={os.environ['PROMETHEUS_MULTIPROC_DIR']}: cannot make this directory "
                     f"({exc.strerror})") from None


def on_starting(server):
    # Files left by a previous run would be counted again.
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def when_ready(server):
    # Each worker thread keeps one persistent database connection (DB_CONN_MAX_AGE), one more per thread with a
    # read replica: say the total at start-up, where it can be checked against PostgreSQL's max_connections.
    per_thread = 2 if os.environ.get("DATABASE_REPLICA_URL") else 1
    server.log.info(
        "database connection budget: %d workers x %d threads x %d = up to %d connections (docs/SCALING.md)",
        workers, threads, per_thread, workers * threads * per_thread,
    )


def pre_fork(server, worker):
    # Move everything the preloaded master allocated out of the garbage collector's reach, so collections in
    # the workers do not write to (and so un-share) those pages: what CPython's gc.freeze() was added for.
    gc.freeze()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if os.environ["PROMETHEUS_MULTIPROC_DIR"].startswith(tempfile.gettempdir() + "/shop-prometheus-"):
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


_dumps = json.JSONEncoder(ensure_ascii=True).encode  # json.dumps' own encoder, without its per-call checks


def _header_text(value: str | None) -> str | None:
    """A request header as the client wrote it: WSGI hands header bytes over decoded as ISO-8859-1 (PEP 3333), so
    UTF-8 text ("ü", two bytes) arrives as two characters; re-decoded here, anything not UTF-8 shown as U+FFFD."""
    if value is None or value.isascii():
        return value
    return value.encode("latin-1").decode("utf-8", "replace")


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


class _JsonErrorFormatter(logging.Formatter):
    """Gunicorn's own messages (boot, worker restarts) in the same shape as shop.core.logging.JsonFormatter."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": _now(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": "-",
        }
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(payload)


class JsonLogger(Logger):
    """One JSON object per access-log line, carrying the request id the app echoed in `X-Request-ID`."""

    def setup(self, cfg):
        super().setup(cfg)
        if os.environ.get("LOG_FORMAT", "plain") == "json":
            for handler in self.error_log.handlers:
                handler.setFormatter(_JsonErrorFormatter())

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        try:
            request_id = "-"
            for name, value in resp.headers:  # only the one header read: no dict of all of them per line
                if len(name) == 12 and name.lower() == "x-request-id":
                    request_id = value
                    break
            status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
            method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
            line = _dumps({
                "time": _now(),
                "level": "INFO",
                "logger": "gunicorn.access",
                "message": f"{method} {path} {status}",
                "request_id": request_id,
                "method": method,
                "path": path,
                "status": int(status),
                "duration_ms": round(request_time.total_seconds() * 1000, 3),
                "bytes": getattr(resp, "sent", None),
                "remote_addr": environ.get("REMOTE_ADDR"),
                "user_agent": _header_text(environ.get("HTTP_USER_AGENT")),
            })
            self._write_access(line)
        except Exception:  # a log line must never break a response
            self.error("access log: could not format a line", exc_info=True)

    def _write_access(self, line: str) -> None:
        """The finished line straight to each stream handler (the file or stdout gunicorn opened, and reopens on
        USR1), under the handler's lock as ``StreamHandler.emit`` writes it; any other handler (syslog) gets a
        log record. The access log's formatter is ``%(message)s``, so the bytes written are the same; skipping
        the LogRecord (pid, thread, caller frame) and formatter halves a line's cost (bench/README.md,
        "Uncached pages, round two").

        A file handler whose stream is closed (Django's ``dictConfig`` at app import closes every existing
        handler; ``FileHandler.emit`` reopens on the next record) takes the record path once, which reopens it.
        """
        if not self.access_log.isEnabledFor(logging.INFO):
            return
        for handler in self.access_log.handlers:
            if type(handler) in (logging.StreamHandler, logging.FileHandler) and handler.level <= logging.INFO \
                    and not handler.filters:
                with handler.lock:
                    stream = handler.stream
                    if stream is not None:
                        stream.write(line + handler.terminator)
                        stream.flush()
                        continue
            handler.handle(self.access_log.makeRecord(
                self.access_log.name, logging.INFO, "gunicorn.conf.py", 0, line, None, None))


logger_class = JsonLogger

# `gunicorn` run from another directory must still import `config.wsgi`.
sys.path.insert(0, str(Path(__file__).resolve().parent))
