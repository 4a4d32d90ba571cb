"""Shared machinery for the fake gateways: a real HTTP server on 127.0.0.1, state under one lock.

Each fake subclasses ``FakeGateway`` and implements ``handle`` (the gateway's routes) and
``error_body`` (its error shape). Tests drive failures with ``fail_next``/``delay_next`` and read
what the provider actually sent from ``requests``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit


class RecordedRequest(NamedTuple):
    method: str
    path: str
    params: Any  # decoded body (JSON or form), or the decoded query string for bodiless requests
    headers: dict[str, str]  # lower-cased names


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    raw_query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # sent as is instead of the JSON of ``body``


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGateway
    protocol_version = "HTTP/1.0"

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            raw_query=parts.query,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        response = self.fake._respond(request)
        if response.raw is not None:
            payload = response.raw
        else:
            payload = b"" if response.body is None else json.dumps(response.body).encode()
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to deliver to

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up mid-request is expected in timeout tests


class Hold:
    """Requests held by ``FakeGateway.hold_next``: ``arrived`` is set once the first of them reached the gateway,
    and each waits, unanswered, until ``release()`` (or ``HOLD_LIMIT`` seconds, so a failing test cannot hang)."""

    HOLD_LIMIT = 30.0

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.released = threading.Event()

    def release(self) -> None:
        self.released.set()


class FakeGateway:
    name = "gateway"

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.requests: list[RecordedRequest] = []
        self._faults: list[tuple[str, Any]] = []
        self._wake = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.reset_state()

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, port: int = 0) -> FakeGateway:
        """Serve on 127.0.0.1:``port`` (0: any free port, what tests use)."""
        handler = type(f"{type(self).__name__}Handler", (_Handler,), {"fake": self})
        self._server = _Server(("127.0.0.1", port), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name=self.name
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._wake.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            for kind, hold in self._faults:
                if kind == "hold":
                    hold.release()
            self._faults.clear()
            self._wake.set()  # release any handler still sleeping for a previous test
            self._wake = threading.Event()
            self.reset_state()

    # -- fault injection ------------------------------------------------------------------------

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        """The next ``n`` requests answer ``status`` with the gateway's error body."""
        with self.lock:
            self._faults.extend([("status", status)] * n)

    def garble_next(self, n: int = 1) -> None:
        """The next ``n`` requests answer 200 with a body that is not JSON (a proxy's error page)."""
        with self.lock:
            self._faults.extend([("garble", 0)] * n)

    def delay_next(self, n: int = 1, seconds: float = 2.0) -> None:
        """The next ``n`` requests are answered normally, but only after ``seconds``."""
        with self.lock:
            self._faults.extend([("delay", seconds)] * n)

    def hold_next(self, n: int = 1) -> Hold:
        """The next ``n`` requests reach the gateway and wait there until the returned hold is released: a gateway
        still working on a request, for as long as the test needs."""
        hold = Hold()
        with self.lock:
            self._faults.extend([("hold", hold)] * n)
        return hold

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        with self.lock:
            return [r for r in self.requests if r.method == method and r.path == path]

    # -- dispatch -------------------------------------------------------------------------------

    def _respond(self, request: Request) -> Response:
        with self.lock:
            self.requests.append(
                RecordedRequest(request.method, request.path, self.decode_params(request), dict(request.headers))
            )
            fault = self._faults.pop(0) if self._faults else None
            wake = self._wake
        if fault and fault[0] == "status":
            return Response(int(fault[1]), self.error_body(int(fault[1])))
        if fault and fault[0] == "garble":
            return Response(200, raw=b"<html><body>502 Bad Gateway</body></html>")
        if fault and fault[0] == "delay":
            wake.wait(fault[1])
        if fault and fault[0] == "hold":
            fault[1].arrived.set()
            fault[1].released.wait(Hold.HOLD_LIMIT)
        with self.lock:
            try:
                return self.handle(request)
            except Exception as exc:  # a bug in the fake must surface as a loud 500, not a hang
                return Response(500, {"fake_error": repr(exc)})

    # -- for subclasses -------------------------------------------------------------------------

    def reset_state(self) -> None:
        """Drop all gateway objects."""

    def decode_params(self, request: Request) -> Any:
        if not request.body:
            return dict(request.query)
        try:
            return request.json()
        except ValueError:
            return request.body.decode(errors="replace")

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def error_body(self, status: int) -> Any:
        return {"detail": f"Injected failure ({status})"}


def header(headers: Mapping[str, str], name: str) -> str:
    return headers.get(name.lower(), "")
