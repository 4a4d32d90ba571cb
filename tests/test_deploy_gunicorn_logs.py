"""The access log of a real gunicorn process (gunicorn.conf.py), written to a file as a log shipper reads it.

The unit test in test_deploy_files.py hands the logger a stream; this one starts gunicorn with the app, so
Django's logging setup runs at import (it closes every handler that exists then, gunicorn's access file among
them) and the line must still reach the file: for sync and threaded workers, and again after the file is moved
away and gunicorn is told to reopen it (``USR1``, what logrotate sends). Its metrics directory does not exist
beforehand, as when an operator names a new one in ``PROMETHEUS_MULTIPROC_DIR``.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(predicate, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def _get(port: int, path: str) -> httpx.Response | None:
    try:
        # A UTF-8 user agent, as browsers in some locales and apps send: logged as written, not as Latin-1 pairs.
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5, headers={"User-Agent": "Käse-App/1.0".encode()})
    except httpx.TransportError:
        return None


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


@pytest.mark.parametrize("threads", ["1", "2"], ids=["sync", "gthread"])
def test_access_log_file_gets_one_json_line_per_request_and_survives_a_reopen(tmp_path, threads):
    port = _free_port()
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": threads,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    env.pop("REDIS_URL", None)  # the local-memory cache: nothing outside the process is needed
    env.pop("DJANGO_SETTINGS_MODULE", None)  # pytest-django's test settings: the server runs the real ones
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--access-logfile", str(access),
         "--error-logfile", str(errors)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "stderr.log").open("w"))
    try:
        first = _wait_for(lambda: _get(port, "/health/?probe=first"), 60)
        assert first is not None, (tmp_path / "stderr.log").read_text() + (
            errors.read_text() if errors.exists() else "")
        request_id = first.headers["X-Request-ID"]
        logged = _wait_for(lambda: [line for line in _lines(access) if line["request_id"] == request_id])
        assert len(logged) == 1, (access.read_text() if access.exists() else "", errors.read_text())
        assert logged[0]["path"] == "/health/" and logged[0]["status"] == first.status_code
        assert logged[0]["user_agent"] == "Käse-App/1.0"

        # logrotate's way: move the file away, then USR1 makes gunicorn and its workers open a new one.
        access.rename(tmp_path / "access.log.1")
        server.send_signal(signal.SIGUSR1)
        assert _wait_for(access.exists), "gunicorn did not reopen its access log"
        second = _get(port, "/health/?probe=second")
        assert second is not None
        rotated = _wait_for(lambda: [line for line in _lines(access) if line["request_id"] ==
                                     second.headers["X-Request-ID"]])
        assert len(rotated) == 1, (access.read_text(), errors.read_text())
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "could not format" not in errors.read_text()
