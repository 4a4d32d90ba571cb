"""A small JSON-over-HTTP client for gateways without an official Python SDK we want (Paymob, IntaSend).

One place maps transport and status failures onto the provider error hierarchy, and every call carries
an explicit timeout.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from shop.core.json_input import json_loads

from .base import GatewayRejected, GatewayUnavailable


@dataclass(frozen=True)
class ApiAnswer:
    status_code: int
    data: Any  # JSON with Decimal for non-integer numbers, for exact amounts
    raw: Any  # the same JSON parsed plainly, safe to store as the audit copy


def gateway_message(payload: Any, default: str) -> str:
    """The human message out of the usual error shapes: detail, message, errors, DRF field errors."""
    if isinstance(payload, str) and payload.strip():
        return payload.strip()[:500]
    if isinstance(payload, list) and payload:
        return gateway_message(payload[0], default)
    if not isinstance(payload, dict):
        return default
    for key in ("detail", "message", "error", "errors"):
        value = payload.get(key)
        if value:
            return gateway_message(value, default)
    for key, value in payload.items():
        if isinstance(value, list | str) and value:
            return f"{key}: {gateway_message(value, default)}"
    return default


def parse_json(text: str | bytes) -> tuple[Any, Any]:
    """(exact, plain) parses of one JSON document (a webhook's body, a gateway's answer); raises ValueError when it
    is not JSON, or nests deeper than ``shop.core.json_input.JSON_MAX_DEPTH`` (never the decoder's RecursionError,
    which no caller's "not JSON" handling would catch)."""
    return json_loads(text, parse_float=Decimal), json_loads(text)


class JsonApi:
    def __init__(self, *, gateway: str, base_url: str, timeout: float) -> None:
        self.gateway = gateway
        self.timeout = timeout
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout),
            headers={"Accept": "application/json"},
            follow_redirects=False,
        )

    def close(self) -> None:
        self._client.close()

    def request(
        self, method: str, path: str, *, json_body: Any = None, headers: dict[str, str] | None = None
    ) -> ApiAnswer:
        try:
            response = self._client.request(method, path, json=json_body, headers=headers)
        except httpx.TimeoutException as exc:
            raise GatewayUnavailable(
                f"{self.gateway} did not answer within {self.timeout}s", code="gateway_timeout"
            ) from exc
        except httpx.HTTPError as exc:
            raise GatewayUnavailable(
                f"could not reach {self.gateway}: {exc}", code="gateway_unreachable"
            ) from exc

        try:
            data, raw = parse_json(response.content) if response.content else (None, None)
        except ValueError:
            data = raw = None
            if response.is_success:
                raise GatewayUnavailable(
                    f"{self.gateway} answered {response.status_code} with a body that is not JSON",
                    code="gateway_bad_response",
                ) from None

        status = response.status_code
        message = gateway_message(data if data is not None else response.text, f"HTTP {status}")
        if status == 429 or status >= 500:
            raise GatewayUnavailable(f"{self.gateway} answered {status}: {message}", code=f"http_{status}")
        if status in (401, 403):
            # Our credentials are wrong or lack a permission: an operator problem, not the customer's,
            # and retrying will not help.
            raise GatewayUnavailable(
                f"{self.gateway} refused our credentials ({status}): {message}",
                retryable=False,
                code="gateway_auth",
            )
        if status >= 400:
            raise GatewayRejected(message, code="not_found" if status == 404 else f"http_{status}")
        if not response.is_success:
            raise GatewayUnavailable(f"{self.gateway} answered {status}", code=f"http_{status}")
        return ApiAnswer(status, data, raw)
