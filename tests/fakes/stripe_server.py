"""A fake of the slice of Stripe's REST API our provider uses, good enough for the real ``stripe`` SDK.

Form-encoded bodies with nested keys, ``Idempotency-Key`` replay and conflict, Stripe-shaped objects and
errors. Tests move intents along with ``succeed``/``fail``/``set_status`` (what Stripe.js and the card
network would do), make the next refund ``pending`` with ``next_refund_status`` and settle it later with
``settle_refund``, and build signed webhooks with ``make_event``.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl

import stripe

from ._server import FakeGateway, Request, Response, header

THREE_DECIMAL = {"bhd", "jod", "kwd", "omr", "tnd"}
CANCELLABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)
REFUND_REASONS = {"duplicate", "fraudulent", "requested_by_customer"}
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def decode_form(body: bytes | str) -> dict[str, Any]:
    """``metadata[reference]=x&expand[0]=y`` -> {"metadata": {"reference": "x"}, "expand": ["y"]}."""
    text = body.decode() if isinstance(body, bytes) else body
    result: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        match = _KEY.match(key)
        if not match:
            result[key] = value
            continue
        path = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = result
        for index, part in enumerate(path):
            last = index == len(path) - 1
            if part == "":  # "a[]" appends
                part = str(len(node))
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _listify(result)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def _error(
    status: int,
    message: str,
    *,
    type_: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
) -> Response:
    error: dict[str, Any] = {"type": type_, "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return Response(status, {"error": error}, {"Request-Id": f"req_{secrets.token_hex(7)}"})


def _missing(kind: str, object_id: str) -> Response:
    return _error(404, f"No such {kind}: '{object_id}'", code="resource_missing", param="id")


class FakeStripe(FakeGateway):
    name = "fake-stripe"
    secret_key = "sk_test_fake_0123456789"
    publishable_key = "pk_test_fake_0123456789"
    webhook_secret = "whsec_fake_0123456789abcdef"

    def reset_state(self) -> None:
        self.intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        # The status the next created refund answers with ("pending" for a refund the bank settles later);
        # used once, then back to Stripe's usual "succeeded" for cards.
        self.next_refund_status = "succeeded"
        self._idempotency: dict[str, tuple[str, Response]] = {}

    def decode_params(self, request: Request) -> Any:
        return decode_form(request.body or request.raw_query)

    def error_body(self, status: int) -> Any:
        kind = "rate_limit_error" if status == 429 else "api_error"
        return {"error": {"type": kind, "message": f"Injected failure ({status})"}}

    # -- routing --------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if header(request.headers, "authorization") != f"Bearer {self.secret_key}":
            return _error(401, "Invalid API Key provided.")
        params = self.decode_params(request)
        if request.method != "POST":
            return self._route(request.method, request.path, params)
        key = header(request.headers, "idempotency-key")
        fingerprint = json.dumps([request.path, params], sort_keys=True)
        if key in self._idempotency:
            seen, response = self._idempotency[key]
            if seen != fingerprint:
                return _error(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters they were first "
                    f"used with. Try using a key other than '{key}' if you meant to execute a different "
                    "request.",
                    type_="idempotency_error",
                )
            return Response(response.status, response.body, {**response.headers, "Idempotent-Replayed": "true"})
        response = self._route(request.method, request.path, params)
        if key and response.status < 500:
            self._idempotency[key] = (fingerprint, copy.deepcopy(response))
        return response

    def _route(self, method: str, path: str, params: dict[str, Any]) -> Response:
        parts = path.strip("/").split("/")
        if parts[:2] == ["_fake", "payment_intents"] and len(parts) == 4 and method == "POST":
            return self._control(parts[2], parts[3])
        if method == "POST" and parts == ["v1", "payment_intents"]:
            return self._create_intent(params)
        if parts[:2] == ["v1", "payment_intents"] and len(parts) == 3 and method == "GET":
            return self._get_intent(parts[2], params)
        if parts[:2] == ["v1", "payment_intents"] and parts[3:] == ["cancel"] and method == "POST":
            return self._cancel_intent(parts[2])
        if method == "POST" and parts == ["v1", "refunds"]:
            return self._create_refund(params)
        if method == "GET" and parts[:2] == ["v1", "refunds"] and len(parts) == 3:
            refund = self.refunds.get(parts[2])
            return Response(200, copy.deepcopy(refund)) if refund else _missing("refund", parts[2])
        if method == "GET" and parts[:2] == ["v1", "charges"] and len(parts) == 3:
            charge = self.charges.get(parts[2])
            return Response(200, copy.deepcopy(charge)) if charge else _missing("charge", parts[2])
        return _error(404, f"Unrecognized request URL ({method}: {path}).")

    # -- payment intents ------------------------------------------------------------------------

    def _create_intent(self, params: dict[str, Any]) -> Response:
        if "amount" not in params:
            return _error(400, "Missing required param: amount.", code="parameter_missing", param="amount")
        if "currency" not in params:
            return _error(400, "Missing required param: currency.", code="parameter_missing", param="currency")
        try:
            amount = int(params["amount"])
        except ValueError:
            return _error(400, "Invalid integer: " + params["amount"], code="parameter_invalid_integer", param="amount")
        currency = params["currency"]
        if amount < 1:
            return _error(
                400,
                "This value must be greater than or equal to 1.",
                code="parameter_invalid_integer",
                param="amount",
            )
        if currency in THREE_DECIMAL and amount % 10:
            return _error(
                400,
                "Amounts in three-decimal currencies must end in 0.",
                code="amount_invalid",
                param="amount",
            )
        if "payment_method_types" in params:
            # Stripe's answer since API version 2026-09-30.endive (changelog: "Removes the payment method types
            # parameter from Payment Intents and Setup Intents"); the SDK pins a later version.
            return _error(
                400,
                "payment_method_types is no longer supported on this API version; use allowed_payment_method_types, "
                "excluded_payment_method_types or dynamic payment methods.",
                code="payment_method_types_no_longer_supported",
                param="payment_method_types",
            )
        intent_id = f"pi_{secrets.token_hex(12)}"
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": "automatic",
            "client_secret": f"{intent_id}_secret_{secrets.token_hex(12)}",
            "confirmation_method": "automatic",
            "created": int(time.time()),
            "currency": currency,
            "description": params.get("description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": params.get("metadata", {}),
            "payment_method": None,
            "payment_method_types": params.get("allowed_payment_method_types", ["card"]),
            "status": "requires_payment_method",
        }
        self.intents[intent_id] = intent
        return Response(200, copy.deepcopy(intent))

    def _get_intent(self, intent_id: str, params: dict[str, Any]) -> Response:
        intent = self.intents.get(intent_id)
        if intent is None:
            return _missing("payment_intent", intent_id)
        body = copy.deepcopy(intent)
        if "latest_charge" in params.get("expand", []) and body["latest_charge"]:
            body["latest_charge"] = copy.deepcopy(self.charges[body["latest_charge"]])
        return Response(200, body)

    def _cancel_intent(self, intent_id: str) -> Response:
        intent = self.intents.get(intent_id)
        if intent is None:
            return _missing("payment_intent", intent_id)
        if intent["status"] not in CANCELLABLE:
            return _error(
                400,
                f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}. "
                "Only a PaymentIntent with one of the following statuses may be canceled: "
                f"{', '.join(CANCELLABLE)}.",
                code="payment_intent_unexpected_state",
            )
        intent.update(status="canceled", canceled_at=int(time.time()), cancellation_reason="requested_by_customer")
        return Response(200, copy.deepcopy(intent))

    # -- refunds --------------------------------------------------------------------------------

    def _create_refund(self, params: dict[str, Any]) -> Response:
        intent_id = params.get("payment_intent", "")
        intent = self.intents.get(intent_id)
        if intent is None:
            return _missing("payment_intent", intent_id)
        charge = self.charges.get(intent["latest_charge"] or "")
        if intent["status"] != "succeeded" or charge is None or charge["status"] != "succeeded":
            return _error(
                400,
                f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
                code="charge_not_refundable",
            )
        reason = params.get("reason")
        if reason is not None and reason not in REFUND_REASONS:
            return _error(400, f"Invalid reason: must be one of {', '.join(sorted(REFUND_REASONS))}", param="reason")
        remaining = charge["amount_captured"] - charge["amount_refunded"]
        amount = int(params.get("amount", remaining))
        if amount < 1:
            return _error(400, "This value must be greater than or equal to 1.", param="amount")
        if charge["currency"] in THREE_DECIMAL and amount % 10:
            return _error(400, "Amounts in three-decimal currencies must end in 0.", code="amount_invalid",
                          param="amount")
        if amount > remaining:
            return _error(
                400,
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
                code="amount_too_large",
                param="amount",
            )
        refund_id = f"re_{secrets.token_hex(12)}"
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "charge": charge["id"],
            "created": int(time.time()),
            "currency": charge["currency"],
            "failure_reason": "expired_or_canceled_card" if self.next_refund_status == "failed" else None,
            "metadata": params.get("metadata", {}),
            "payment_intent": intent_id,
            "reason": reason,
            "status": self.next_refund_status,
        }
        self.next_refund_status = "succeeded"
        self.refunds[refund_id] = refund
        if refund["status"] in ("failed", "canceled"):  # refused at once: nothing leaves the charge
            return Response(200, copy.deepcopy(refund))
        # Stripe counts a pending refund in the charge's amount_refunded at once; a failed or canceled one
        # gives it back (``settle_refund``).
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
        return Response(200, copy.deepcopy(refund))

    # -- what the customer and the card network do ----------------------------------------------

    def _control(self, intent_id: str, action: str) -> Response:
        """``POST /_fake/payment_intents/<id>/succeed`` (or ``/fail``): ``succeed``/``fail`` over HTTP.

        Not Stripe's API: what a load driver in another process uses to play the customer confirming with
        Stripe.js (tests in this process call ``succeed``/``fail`` directly). Answers the intent as it now is.
        """
        if intent_id not in self.intents:
            return _missing("payment_intent", intent_id)
        if action == "succeed":
            return Response(200, self.succeed(intent_id))
        if action == "fail":
            return Response(200, self.fail(intent_id))
        return _error(404, f"Unknown fake action {action!r}.")

    def _charge(self, intent: dict[str, Any], status: str, failure_message: str | None = None) -> dict[str, Any]:
        charge_id = f"ch_{secrets.token_hex(12)}"
        captured = intent["amount"] if status == "succeeded" else 0
        charge = {
            "id": charge_id,
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": captured,
            "amount_refunded": 0,
            "captured": bool(captured),
            "created": int(time.time()),
            "currency": intent["currency"],
            "failure_code": "card_declined" if failure_message else None,
            "failure_message": failure_message,
            "livemode": False,
            "metadata": {},
            "paid": status == "succeeded",
            "payment_intent": intent["id"],
            "refunded": False,
            "status": status,
        }
        self.charges[charge_id] = charge
        intent["latest_charge"] = charge_id
        return charge

    def succeed(self, intent_id: str) -> dict[str, Any]:
        with self.lock:
            intent = self.intents[intent_id]
            self._charge(intent, "succeeded")
            intent.update(status="succeeded", amount_received=intent["amount"], last_payment_error=None)
            return copy.deepcopy(intent)

    def fail(self, intent_id: str, message: str = "Your card was declined.") -> dict[str, Any]:
        with self.lock:
            intent = self.intents[intent_id]
            self._charge(intent, "failed", message)
            intent.update(
                status="requires_payment_method",
                last_payment_error={
                    "type": "card_error",
                    "code": "card_declined",
                    "decline_code": "generic_decline",
                    "message": message,
                },
            )
            return copy.deepcopy(intent)

    def set_status(self, intent_id: str, status: str) -> dict[str, Any]:
        with self.lock:
            self.intents[intent_id]["status"] = status
            return copy.deepcopy(self.intents[intent_id])

    def settle_refund(self, refund_id: str, status: str, *, failure_reason: str | None = None) -> dict[str, Any]:
        """The bank's answer to a pending refund: ``succeeded``, ``failed`` or ``canceled``.

        As Stripe does, a failed or canceled refund gives its amount back on the charge (``amount_refunded``
        goes down, ``refunded`` turns false) and a failed one carries a ``failure_reason``. Answers the refund.
        """
        if status not in ("succeeded", "failed", "canceled"):
            raise ValueError(f"a refund settles as succeeded, failed or canceled, not {status!r}")
        with self.lock:
            refund = self.refunds[refund_id]
            if refund["status"] not in ("pending", "requires_action"):
                raise ValueError(f"refund {refund_id} is already {refund['status']}")
            refund["status"] = status
            if status != "succeeded":
                refund["failure_reason"] = failure_reason or ("unknown" if status == "failed" else None)
                charge = self.charges[refund["charge"]]
                charge["amount_refunded"] -= refund["amount"]
                charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
            return copy.deepcopy(refund)

    def refund(self, refund_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.refunds[refund_id])

    def intent(self, intent_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.intents[intent_id])

    def charge(self, charge_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.charges[charge_id])

    # -- webhooks -------------------------------------------------------------------------------

    def make_event(
        self,
        event_type: str,
        obj: dict[str, Any],
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        event_id: str | None = None,
    ) -> tuple[bytes, str]:
        """A Stripe event around ``obj`` and its ``Stripe-Signature`` header.

        ``timestamp`` in the past makes a stale signature; ``secret`` signs with another key.
        """
        created = int(time.time()) if timestamp is None else timestamp
        event = {
            "id": event_id or f"evt_{secrets.token_hex(12)}",
            "object": "event",
            "api_version": stripe.api_version,
            "created": created,
            "data": {"object": obj},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
        payload = json.dumps(event).encode()
        signature = stripe.WebhookSignature.generate_signature_header(
            payload.decode(), secret or self.webhook_secret, timestamp=created
        )
        return payload, signature


def main(argv: list[str] | None = None) -> None:
    """Serve a FakeStripe as its own process until SIGINT/SIGTERM (load benchmarks: ``bench/flow_run.sh``).

    ``python -m tests.fakes.stripe_server --port 12111``. The keys it accepts and signs with are the class
    defaults unless ``STRIPE_SECRET_KEY`` / ``STRIPE_WEBHOOK_SECRET`` / ``STRIPE_PUBLISHABLE_KEY`` are set.
    """
    import argparse
    import os
    import signal
    import threading

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=12111)
    args = parser.parse_args(argv)
    fake = FakeStripe()
    fake.secret_key = os.environ.get("STRIPE_SECRET_KEY") or fake.secret_key
    fake.publishable_key = os.environ.get("STRIPE_PUBLISHABLE_KEY") or fake.publishable_key
    fake.webhook_secret = os.environ.get("STRIPE_WEBHOOK_SECRET") or fake.webhook_secret
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    fake.start(port=args.port)
    print(f"fake Stripe on {fake.base_url}", flush=True)
    try:
        while not stop.wait(3600):
            pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
