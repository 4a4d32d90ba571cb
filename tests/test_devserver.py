"""`make run`'s server (``manage.py runserver``, shop/core/devserver.py) under a burst of clients.

The real command runs in a subprocess, as `make run` starts it: a burst of 40 clients connecting in the same
instant is queued and served (Django's backlog of 10 dropped the rest), and on PostgreSQL 40 idle keep-alive
clients hold no database connection (persistent per-thread connections held one each until "too many clients").
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
BURST = 40


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_runserver(database_url: str) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if key != "DB_CONN_MAX_AGE"}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(  # noqa: S603 (our own manage.py)
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"runserver exited: {process.stderr.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    pytest.fail("runserver did not start within 30 s")


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGCONT)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _connect(port: int) -> socket.socket | None:
    try:
        return socket.create_connection(("127.0.0.1", port), timeout=2)
    except OSError:  # refused, reset or the SYN dropped by a full accept queue
        return None


def _get_health(sock: socket.socket) -> tuple[int, dict]:
    sock.settimeout(30)
    sock.sendall(b"GET /health/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    response = http.client.HTTPResponse(sock)
    response.begin()
    status, body = response.status, json.loads(response.read())
    sock.close()
    return status, body


def test_a_burst_of_40_connections_is_queued_and_every_one_served(tmp_path):
    process, port = _start_runserver(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        # Frozen, the server accepts nothing: each client waits in the kernel's accept queue (the listen backlog)
        # or, once that is full, is dropped. Django's own backlog of 10 left 29 of these unconnected.
        process.send_signal(signal.SIGSTOP)
        with ThreadPoolExecutor(BURST) as pool:
            sockets = list(pool.map(_connect, [port] * BURST))
        connected = [sock for sock in sockets if sock is not None]
        process.send_signal(signal.SIGCONT)
        with ThreadPoolExecutor(BURST) as pool:
            answers = list(pool.map(_get_health, connected))
    finally:
        _stop(process)

    assert len(connected) == BURST
    assert answers == [(200, {"status": "ok", "database": "ok", "cache": "ok"})] * BURST


def _database_backends(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # statistics are otherwise frozen for the transaction
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                       [name])
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db
def test_idle_keep_alive_clients_hold_no_database_connection():
    settings_dict = connection.settings_dict
    name = settings_dict["NAME"]  # the test database pytest-django created, migrated and committed
    url = f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/{name}"
    process, port = _start_runserver(url)
    clients = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(BURST)]

    def browse(client) -> list[int]:
        statuses = []
        for path in ("/health/", "/products/", "/products/categories/"):
            client.request("GET", path)  # HTTP/1.1 keep-alive: one thread in the server per client
            response = client.getresponse()
            response.read()
            statuses.append(response.status)
        return statuses

    try:
        assert _database_backends(name) == 0
        with ThreadPoolExecutor(BURST) as pool:
            statuses = list(pool.map(browse, clients))
        time.sleep(0.5)  # the server closes a connection as its request finishes; let the last ones land
        held_while_idle = _database_backends(name)  # 40 clients still connected, none of them asking
    finally:
        for client in clients:
            client.close()
        _stop(process)

    assert statuses == [[200, 200, 200]] * BURST
    assert held_while_idle == 0
