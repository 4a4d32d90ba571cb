"""The HTTP edge of webhook delivery: one signed POST with httpx, explicit timeouts, no redirects, no proxies.

``WEBHOOK_TIMEOUT_SECONDS`` bounds the whole attempt (connect, send, the answer's headers and the excerpt read),
not each read: httpx's timeouts are per socket operation, so a receiver trickling a byte a second would never trip
them. A timer shuts the attempt's socket at the deadline (each attempt opens its own connection, so there is one
socket to shut), the blocked read fails at once, and the attempt is recorded as timed out and retried.

Answers what happened as a :class:`SendResult`; never raises for the receiver's failures (a refused connection,
a timeout, a 500 are results the caller records and may retry).
"""

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpx
from django.conf import settings
from django.utils import timezone

from .signing import signature_header
from .ssrf import UnsafeURL, url_resolve

EXCERPT_CHARS = 1000
RETRY_AFTER = "retry-after"  # a response header of the receiver's (not one this API reads from its clients)
_client: httpx.Client | None = None


@dataclass
class SendResult:
    status: int | None  # None: no answer (network error, timeout, refused address)
    excerpt: str = ""
    error: str = ""
    latency_ms: int = 0
    retry_after: float | None = None  # seconds asked for by a 429/503's Retry-After
    headers: dict[str, str] = field(default_factory=dict)  # the request headers as sent (signature included)
    url: str = ""
    refused: bool = False  # the address was refused (SSRF guard): not retried

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        """Network errors, timeouts, 5xx, 408 and 429 are retried; every other answer (other 4xx, 3xx) is final."""
        if self.refused:
            return False
        return self.status is None or self.status >= 500 or self.status in (408, 429)


def _http() -> httpx.Client:
    global _client
    if _client is None:
        seconds = settings.WEBHOOK_TIMEOUT_SECONDS
        # trust_env=False: no proxy from the environment, so the connection goes to the address the guard checked.
        # No keep-alive: each attempt has its own connection, the one socket its deadline shuts (_Deadline).
        _client = httpx.Client(timeout=httpx.Timeout(seconds, connect=min(seconds, 5.0)), follow_redirects=False,
                               trust_env=False, headers={"User-Agent": "shop-webhooks/1"},
                               limits=httpx.Limits(max_keepalive_connections=0))
    return _client


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - timezone.now()).total_seconds())
    except (TypeError, ValueError):
        return None


class _Deadline:
    """One attempt's overall deadline: learns the attempt's socket from httpx's ``trace`` hook and shuts it when
    ``seconds`` have passed since ``start()``, whatever the attempt is doing."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def start(self) -> "_Deadline":
        self._timer.start()
        return self

    def cancel(self) -> None:
        self._timer.cancel()

    def trace(self, name: str, info: dict) -> None:
        if name != "connection.connect_tcp.complete":
            return
        sock = info["return_value"].get_extra_info("socket")
        with self._lock:
            self._sockets.append(sock)
            late = self.expired.is_set()
        if late:
            self._shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired.set()
            sockets = list(self._sockets)
        for sock in sockets:
            self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)


def webhook_send(*, url: str, message_id: str, body: str, secrets_in_force: list[str]) -> SendResult:
    """POST ``body`` to ``url`` signed with every secret in force; the address is re-checked first (SSRF guard)."""
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets_in_force=secrets_in_force, message_id=message_id,
                                              timestamp=timestamp, body=body),
    }
    try:
        target = url_resolve(url)
    except UnsafeURL as refusal:
        return SendResult(status=None, error=refusal.message[:500], headers=headers, url=url, refused=True)
    started = time.monotonic()
    deadline = _Deadline(settings.WEBHOOK_TIMEOUT_SECONDS).start()
    try:
        with _http().stream("POST", target.url, content=body.encode(), headers={**headers, "host": target.host},
                            extensions={"sni_hostname": target.hostname, "trace": deadline.trace}) as response:
            excerpt = b""
            for chunk in response.iter_bytes():
                excerpt += chunk
                if len(excerpt) >= EXCERPT_CHARS * 4 or deadline.expired.is_set():
                    break
    except httpx.HTTPError as error:
        if not deadline.expired.is_set():
            return SendResult(status=None, error=f"{type(error).__name__}: {error}"[:500], headers=headers, url=url,
                              latency_ms=int((time.monotonic() - started) * 1000))
    finally:
        deadline.cancel()
    if deadline.expired.is_set():
        return SendResult(status=None, headers=headers, url=url, latency_ms=int((time.monotonic() - started) * 1000),
                          error=f"Timeout: no complete answer within {settings.WEBHOOK_TIMEOUT_SECONDS:g} s "
                                "(WEBHOOK_TIMEOUT_SECONDS, for the whole attempt).")
    return SendResult(
        status=response.status_code, excerpt=excerpt.decode("utf-8", "replace")[:EXCERPT_CHARS], headers=headers,
        latency_ms=int((time.monotonic() - started) * 1000), url=url,
        retry_after=_retry_after(response.headers.get(RETRY_AFTER)) if response.status_code in (429, 503) else None,
    )
