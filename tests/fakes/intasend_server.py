"""A fake IntaSend: hosted checkout, payment status, chargebacks, and the webhooks the dashboard sends.

``complete`` plays the customer paying on the hosted page (creating the invoice if needed) and returns
the webhook body IntaSend would POST, carrying the configured ``challenge``.
"""

from __future__ import annotations

import copy
import itertools
import json
import secrets
import string
import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ._server import FakeGateway, Request, Response, header

CURRENCIES = ("KES", "USD", "EUR", "GBP")


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _invoice_code() -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(7))


class FakeIntaSend(FakeGateway):
    name = "fake-intasend"
    publishable_key = "ISPubKey_test_fake0123456789"
    secret_key = "ISSecretKey_test_fake0123456789"
    webhook_challenge = "fake-challenge-0123456789"

    def reset_state(self) -> None:
        self.checkouts: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.chargebacks: dict[int, dict[str, Any]] = {}
        self._chargeback_ids = itertools.count(1)

    def error_body(self, status: int) -> Any:
        return {"detail": f"Injected failure ({status})"}

    # -- routing --------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        try:
            body = request.json() if request.body else {}
        except ValueError:
            return Response(400, {"detail": "JSON parse error"})
        route = (request.method, request.path)
        if route == ("POST", "/api/v1/checkout/"):
            return self._checkout(body)
        if route == ("POST", "/api/v1/payment/status/"):
            return self._status(body)
        if route == ("POST", "/api/v1/chargebacks/"):
            if header(request.headers, "authorization") != f"Bearer {self.secret_key}":
                return Response(401, {"detail": "Invalid token."})
            return self._chargeback(body)
        return Response(404, {"detail": "Not found."})

    def _checkout(self, body: dict[str, Any]) -> Response:
        if body.get("public_key") != self.publishable_key:
            return Response(400, {"errors": [{"code": "invalid_public_key", "detail": "Invalid public key"}]})
        try:
            amount = Decimal(str(body.get("amount")))
        except InvalidOperation:
            return Response(400, {"amount": ["A valid number is required."]})
        if amount <= 0:
            return Response(400, {"amount": ["Ensure this value is greater than 0."]})
        if body.get("currency") not in CURRENCIES:
            return Response(400, {"currency": [f'"{body.get("currency")}" is not a valid choice.']})
        checkout_id = str(uuid.uuid4())
        checkout = {
            "id": checkout_id,
            "url": f"{self.base_url}/checkout/{checkout_id}/express/",
            "signature": secrets.token_urlsafe(32),
            "first_name": body.get("first_name"),
            "last_name": body.get("last_name"),
            "phone_number": body.get("phone_number"),
            "email": body.get("email"),
            "country": body.get("country"),
            "amount": str(amount),
            "currency": body["currency"],
            "api_ref": body.get("api_ref"),
            "redirect_url": body.get("redirect_url"),
            "paid": False,
            "mobile_tarrif": body.get("mobile_tarrif", "BUSINESS-PAYS"),
            "card_tarrif": body.get("card_tarrif", "BUSINESS-PAYS"),
            "created_at": _now(),
            "updated_at": _now(),
        }
        self.checkouts[checkout_id] = {**checkout, "_invoice": None}
        return Response(201, checkout)

    def _status(self, body: dict[str, Any]) -> Response:
        if body.get("public_key") != self.publishable_key:
            return Response(400, {"errors": [{"code": "invalid_public_key", "detail": "Invalid public key"}]})
        invoice = self.invoices.get(str(body.get("invoice_id")))
        if invoice is None:
            return Response(404, {"detail": "Not found."})
        return Response(
            200,
            {
                "invoice": {k: copy.deepcopy(v) for k, v in invoice.items() if not k.startswith("_")},
                "meta": {
                    "id": invoice["_checkout"],
                    "customer": {"email": invoice["account"], "provider": invoice["provider"]},
                    "customer_comment": "",
                    "created_at": invoice["created_at"],
                    "updated_at": invoice["updated_at"],
                },
            },
        )

    def _chargeback(self, body: dict[str, Any]) -> Response:
        invoice = self.invoices.get(str(body.get("invoice")))
        if invoice is None:
            return Response(400, {"invoice": ["Invalid invoice - object does not exist."]})
        if not body.get("reason"):
            return Response(400, {"reason": ["This field is required."]})
        if invoice["state"] != "COMPLETE":
            return Response(400, {"detail": "Only completed payments can be refunded"})
        try:
            amount = Decimal(str(body.get("amount")))
        except InvalidOperation:
            return Response(400, {"amount": ["A valid number is required."]})
        charged_back = sum(
            (
                Decimal(c["amount"])
                for c in self.chargebacks.values()
                if c["invoice"] == invoice["invoice_id"]
            ),
            Decimal(0),
        )
        if amount <= 0 or amount + charged_back > Decimal(invoice["value"]):
            return Response(400, {"amount": ["Amount must be equal or less than the billed amount"]})
        chargeback_id = next(self._chargeback_ids)
        chargeback = {
            "id": chargeback_id,
            "chargeback_id": f"CB{chargeback_id:05d}",
            "transaction": chargeback_id,
            "invoice": invoice["invoice_id"],
            "amount": str(amount),
            "reason": body["reason"],
            "reason_details": body.get("reason_details"),
            "status": "PENDING",
            "resolution": "",
            "staff_created": "false",
            "created_at": _now(),
        }
        self.chargebacks[chargeback_id] = chargeback
        return Response(201, copy.deepcopy(chargeback))

    # -- what the customer and IntaSend's back office do ----------------------------------------

    def pay(self, checkout_id: str, *, provider: str = "CARD-PAYMENT") -> str:
        """The customer starts paying on the hosted page: IntaSend opens an invoice (state PENDING)."""
        with self.lock:
            checkout = self.checkouts[checkout_id]
            if checkout["_invoice"]:
                return checkout["_invoice"]
            invoice_id = _invoice_code()
            self.invoices[invoice_id] = {
                "invoice_id": invoice_id,
                "state": "PENDING",
                "provider": provider,
                "charges": "0.00",
                "net_amount": checkout["amount"],
                "currency": checkout["currency"],
                "value": checkout["amount"],
                "account": checkout["email"],
                "api_ref": checkout["api_ref"],
                "host": self.base_url,
                "failed_reason": None,
                "failed_code": None,
                "failed_code_link": "https://intasend.com/troubleshooting",
                "created_at": _now(),
                "updated_at": _now(),
                "_checkout": checkout_id,
            }
            checkout["_invoice"] = invoice_id
            return invoice_id

    def complete(
        self,
        checkout_or_invoice_id: str,
        state: str = "COMPLETE",
        *,
        failed_reason: str | None = None,
        challenge: str | None = None,
    ) -> bytes:
        """Move the invoice to ``state`` and return the webhook body IntaSend would POST."""
        with self.lock:
            invoice_id = checkout_or_invoice_id
            if invoice_id in self.checkouts:
                invoice_id = self.pay(invoice_id)
            invoice = self.invoices[invoice_id]
            invoice["state"] = state
            invoice["updated_at"] = _now()
            if state == "FAILED":
                invoice["failed_reason"] = failed_reason or "Request cancelled by user"
                invoice["failed_code"] = "1032"
            if state == "COMPLETE":
                self.checkouts[invoice["_checkout"]]["paid"] = True
            return self.webhook(invoice_id, challenge=challenge)

    def webhook(self, invoice_id: str, *, challenge: str | None = None) -> bytes:
        with self.lock:
            payload = {k: v for k, v in self.invoices[invoice_id].items() if not k.startswith("_")}
        payload["challenge"] = self.webhook_challenge if challenge is None else challenge
        return json.dumps(payload).encode()

    def resolve_chargeback(self, chargeback_id: int, status: str = "COMPLETED") -> bytes:
        """IntaSend settles a chargeback; returns the chargeback webhook body."""
        with self.lock:
            chargeback = self.chargebacks[chargeback_id]
            chargeback["status"] = status
            invoice = {k: v for k, v in self.invoices[chargeback["invoice"]].items() if not k.startswith("_")}
            payload = {
                "chargeback_id": chargeback["chargeback_id"],
                "invoice": invoice,
                "amount": chargeback["amount"],
                "reason": chargeback["reason"],
                "status": status,
                "resolution": None,
                "staff_created": False,
                "created_at": chargeback["created_at"],
                "updated_at": _now(),
                "challenge": self.webhook_challenge,
            }
        return json.dumps(payload).encode()

    def invoice(self, invoice_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.invoices[invoice_id])

    def checkout(self, checkout_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.checkouts[checkout_id])
