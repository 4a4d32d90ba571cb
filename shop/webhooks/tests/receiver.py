"""A webhook receiver for the tests: a real HTTP server on 127.0.0.1 that verifies every request with the
``standardwebhooks`` package (the receiver's side of the specification, not our code), records what it accepted,
and answers what the test scripts (``answer_next``); ``stop``/``start`` take it down and bring it back on the
same port."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    webhook_id: str
    body: dict
    headers: dict[str, str]
    verified: bool
    status: int  # what the receiver answered


@dataclass
class Receiver:
    secret: str = ""
    port: int = 0
    received: list[Received] = field(default_factory=list)
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def answer_next(self, n: int, status: int, headers: dict[str, str] | None = None) -> None:
        with self.lock:
            self.script.extend([(status, headers or {})] * n)

    def accepted(self) -> list[Received]:
        with self.lock:
            return [item for item in self.received if item.verified and item.status < 300]

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # one request per connection: stop() really takes it down

            def do_POST(self):  # noqa: N802 - the stdlib's name
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                try:
                    Webhook(receiver.secret).verify(raw.decode(), headers)
                    verified = True
                except WebhookVerificationError:
                    verified = False
                with receiver.lock:
                    status, extra = receiver.script.pop(0) if receiver.script else (204 if verified else 401, {})
                    receiver.received.append(Received(headers["webhook-id"], json.loads(raw), headers, verified,
                                                      status))
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
