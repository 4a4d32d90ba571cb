"""A fake Paymob Accept: Intention API, legacy auth + transaction inquiry, refund/void, signed callbacks.

``complete`` plays the customer paying on the Unified Checkout and returns the transaction-processed
callback Paymob would POST to ``notification_url``: the JSON body and the query carrying ``hmac``.
The HMAC is computed here independently of the provider's code, from Paymob's documented field order.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import secrets
from datetime import UTC, datetime
from typing import Any

from ._server import FakeGateway, Request, Response, header

# Paymob's documented order of the signed transaction fields.
# fmt: off
_SIGNED = (
    "amount_cents", "created_at", "currency", "error_occured", "has_parent_transaction", "id",
    "integration_id", "is_3d_secure", "is_auth", "is_capture", "is_refunded", "is_standalone_payment",
    "is_voided", "order.id", "owner", "pending", "source_data.pan", "source_data.sub_type",
    "source_data.type", "success",
)
# fmt: on
REQUIRED_BILLING = ("first_name", "last_name", "email", "phone_number")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(value)


def sign(obj: dict[str, Any], secret: str) -> str:
    values = []
    for name in _SIGNED:
        node: Any = obj
        for part in name.split("."):
            node = node[part]
        values.append(_text(node))
    return hmac.new(secret.encode(), "".join(values).encode(), hashlib.sha512).hexdigest()


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat()


class FakePaymob(FakeGateway):
    name = "fake-paymob"
    secret_key = "egy_sk_test_fake0123456789"
    public_key = "egy_pk_test_fake0123456789"
    hmac_secret = "FAKEHMACSECRET0123456789"
    api_key = "ZXlKaGJHY2lPaUpJVXpVeE1pSXNJblI1Y0NJNklrcFhWQ0o5.fake"
    integration_ids = (4097558,)
    merchant_id = 302852

    def reset_state(self) -> None:
        self.intentions: dict[str, dict[str, Any]] = {}  # by intention id
        self.orders: dict[int, dict[str, Any]] = {}  # by order id: {"intention": id, "transactions": [ids]}
        self.transactions: dict[int, dict[str, Any]] = {}
        self.auth_tokens: set[str] = set()
        self._ids = itertools.count(192036465)
        self._order_ids = itertools.count(217503754)

    def error_body(self, status: int) -> Any:
        return {"detail": f"Injected failure ({status})"}

    # -- routing --------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        route = (request.method, request.path.rstrip("/") + "/")
        try:
            body = request.json() if request.body else {}
        except ValueError:
            return Response(400, {"detail": "JSON parse error"})
        if route == ("POST", "/v1/intention/"):
            return self._secret_auth(request) or self._create_intention(body)
        if route == ("POST", "/api/auth/tokens/"):
            if body.get("api_key") != self.api_key:
                return Response(403, {"detail": "incorrect credentials"})
            token = f"legacy_{secrets.token_hex(16)}"
            self.auth_tokens.add(token)
            return Response(201, {"token": token, "profile": {"id": self.merchant_id}})
        if route == ("POST", "/api/ecommerce/orders/transaction_inquiry/"):
            if body.get("auth_token") not in self.auth_tokens:
                return Response(401, {"detail": "Invalid token."})
            return self._inquiry(body)
        if request.method == "GET" and request.path.startswith("/api/acceptance/transactions/"):
            if header(request.headers, "authorization").removeprefix("Bearer ") not in self.auth_tokens:
                return Response(401, {"detail": "Invalid token."})
            txn = self.transactions.get(int(request.path.rstrip("/").rsplit("/", 1)[1]))
            return Response(200, copy.deepcopy(txn)) if txn else Response(404, {"detail": "Not found."})
        if route == ("POST", "/api/acceptance/void_refund/refund/"):
            return self._secret_auth(request) or self._refund(body)
        if route == ("POST", "/api/acceptance/void_refund/void/"):
            return self._secret_auth(request) or self._void(body)
        return Response(404, {"detail": "Not found."})

    def _secret_auth(self, request: Request) -> Response | None:
        if header(request.headers, "authorization") != f"Token {self.secret_key}":
            return Response(401, {"detail": "Authentication credentials were not provided."})
        return None

    # -- intentions -----------------------------------------------------------------------------

    def _create_intention(self, body: dict[str, Any]) -> Response:
        amount = body.get("amount")
        if not isinstance(amount, int) or amount <= 0:
            return Response(400, {"amount": ["A valid integer is required."]})
        if not body.get("currency"):
            return Response(400, {"currency": ["This field is required."]})
        methods = body.get("payment_methods") or []
        if not methods or any(m not in self.integration_ids for m in methods):
            return Response(
                404,
                {
                    "detail": "Integration ID/Name does not exist in our system . You can find the list "
                    "of Integration ID'/Names from Merchant Dashboard under Developers -> Payment "
                    "Integrations Tab"
                },
            )
        billing = body.get("billing_data") or {}
        missing = [name for name in REQUIRED_BILLING if not billing.get(name)]
        if missing:
            return Response(400, {"billing_data": {name: ["This field is required."] for name in missing}})
        items = body.get("items") or []
        if items and sum(int(i["amount"]) * int(i.get("quantity", 1)) for i in items) != amount:
            return Response(400, {"detail": "Items total amount must be equal to the amount."})
        intention_id = f"pi_test_{secrets.token_hex(16)}"
        order_id = next(self._order_ids)
        intention = {
            "payment_keys": [
                {
                    "integration": method,
                    "key": secrets.token_urlsafe(48),
                    "gateway_type": "VPC",
                    "iframe_id": None,
                    "order_id": order_id,
                    "redirection_url": body.get("redirection_url"),
                    "save_card": False,
                }
                for method in methods
            ],
            "intention_order_id": order_id,
            "id": intention_id,
            "intention_detail": {
                "amount": amount,
                "items": items,
                "currency": body["currency"],
                "billing_data": billing,
            },
            "client_secret": f"egy_csk_test_{secrets.token_hex(16)}",
            "payment_methods": [
                {
                    "integration_id": m,
                    "alias": None,
                    "name": None,
                    "method_type": "card",
                    "currency": body["currency"],
                    "live": False,
                    "use_cvc_with_moto": False,
                }
                for m in methods
            ],
            "special_reference": body.get("special_reference"),
            "extras": {"creation_extras": body.get("extras") or {}, "confirmation_extras": None},
            "confirmed": False,
            "status": "intended",
            "created": _now(),
            "card_detail": None,
            "card_tokens": [],
            "object": "paymentintention",
        }
        self.intentions[intention_id] = {**intention, "_request": copy.deepcopy(body)}
        self.orders[order_id] = {"intention": intention_id, "transactions": []}
        return Response(201, intention)

    # -- transactions ---------------------------------------------------------------------------

    def _order_for(self, key: Any) -> int:
        """An order id from an intention id, an order id or our special_reference."""
        if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
            return int(key)
        if key in self.intentions:
            return int(self.intentions[key]["intention_order_id"])
        for intention in self.intentions.values():
            if intention["special_reference"] == key:
                return int(intention["intention_order_id"])
        raise KeyError(key)

    def _new_transaction(
        self,
        order_id: int,
        *,
        amount_cents: int,
        success: bool,
        pending: bool,
        message: str,
        parent: dict[str, Any] | None = None,
        kind: str = "",
    ) -> dict[str, Any]:
        intention = self.intentions[self.orders[order_id]["intention"]]
        request = intention["_request"]
        txn_id = next(self._ids)
        txn = {
            "id": txn_id,
            "pending": pending,
            "amount_cents": amount_cents,
            "success": success,
            "is_auth": False,
            "is_capture": False,
            "is_standalone_payment": parent is None,
            "is_voided": False,
            "is_refunded": False,
            "is_3d_secure": True,
            "integration_id": intention["payment_methods"][0]["integration_id"],
            "profile_id": 164295,
            "has_parent_transaction": parent is not None,
            "order": {
                "id": order_id,
                "created_at": intention["created"],
                "delivery_needed": False,
                "merchant": {"id": self.merchant_id, "company_name": "Fake Shop"},
                "amount_cents": intention["intention_detail"]["amount"],
                "currency": intention["intention_detail"]["currency"],
                "merchant_order_id": intention["special_reference"],
                "paid_amount_cents": amount_cents if success and not kind else 0,
                "items": intention["intention_detail"]["items"],
            },
            "created_at": _now(),
            "currency": intention["intention_detail"]["currency"],
            "source_data": {"pan": "2346", "type": "card", "sub_type": "MasterCard", "tenure": None},
            "api_source": "OTHER" if kind else "INVOICE",
            "terminal_id": None,
            "merchant_commission": 0,
            "is_void": kind == "void",
            "is_refund": kind == "refund",
            "data": {"message": message, "txn_response_code": "APPROVED" if success else "DECLINED"},
            "error_occured": False,
            "refunded_amount_cents": 0,
            "owner": self.merchant_id,
            "parent_transaction": parent["id"] if parent else None,
            "payment_key_claims": {
                "next_payment_intention": intention["id"],
                "order_id": order_id,
                "amount_cents": intention["intention_detail"]["amount"],
                "currency": intention["intention_detail"]["currency"],
                "billing_data": request.get("billing_data"),
                "integration_id": intention["payment_methods"][0]["integration_id"],
                "extra": request.get("extras") or {},
            },
        }
        self.transactions[txn_id] = txn
        self.orders[order_id]["transactions"].append(txn_id)
        return txn

    def _inquiry(self, body: dict[str, Any]) -> Response:
        try:
            order_id = self._order_for(body.get("order_id") or body.get("merchant_order_id"))
        except KeyError:
            return Response(404, {"detail": "Not found."})
        txn_ids = self.orders.get(order_id, {}).get("transactions")
        if not txn_ids:
            return Response(404, {"detail": "Not found."})
        # "The last transaction related to" the order, which after a refund is the refund itself.
        return Response(200, copy.deepcopy(self.transactions[txn_ids[-1]]))

    def _refund(self, body: dict[str, Any]) -> Response:
        parent = self.transactions.get(int(body.get("transaction_id") or 0))
        if parent is None:
            return Response(404, {"detail": "Not found."})
        amount = int(body.get("amount_cents") or 0)
        refundable = parent["amount_cents"] - parent["refunded_amount_cents"]
        if not parent["success"] or parent["pending"] or parent["is_voided"]:
            return Response(400, {"message": "Transaction is not refundable"})
        if amount <= 0 or amount > refundable:
            return Response(
                400, {"message": f"Refund amount ({amount}) exceeds refundable amount ({refundable})"}
            )
        parent["is_refunded"] = True
        parent["refunded_amount_cents"] += amount
        child = self._new_transaction(
            parent["order"]["id"],
            amount_cents=amount,
            success=True,
            pending=False,
            message="Approved",
            parent=parent,
            kind="refund",
        )
        return Response(200, copy.deepcopy(child))

    def _void(self, body: dict[str, Any]) -> Response:
        parent = self.transactions.get(int(body.get("transaction_id") or 0))
        if parent is None:
            return Response(404, {"detail": "Not found."})
        if not parent["success"] or parent["is_voided"] or parent["is_refunded"]:
            return Response(400, {"message": "Transaction can not be voided"})
        parent["is_voided"] = True
        child = self._new_transaction(
            parent["order"]["id"],
            amount_cents=parent["amount_cents"],
            success=True,
            pending=False,
            message="Approved",
            parent=parent,
            kind="void",
        )
        return Response(200, copy.deepcopy(child))

    # -- what the customer does on the Unified Checkout -----------------------------------------

    def complete(
        self,
        intention_or_reference: Any,
        success: bool = True,
        *,
        pending: bool = False,
        message: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The customer pays (or fails to); returns the callback (JSON body, query with a valid hmac)."""
        with self.lock:
            order_id = self._order_for(intention_or_reference)
            amount = self.intentions[self.orders[order_id]["intention"]]["intention_detail"]["amount"]
            txn = self._new_transaction(
                order_id,
                amount_cents=amount,
                success=success and not pending,
                pending=pending,
                message=message or ("Approved" if success else "Do not honor"),
            )
            return self.callback(txn["id"])

    def callback(self, transaction_id: int, *, secret: str | None = None) -> tuple[bytes, dict[str, str]]:
        """The transaction-processed callback for a transaction's current state."""
        with self.lock:
            obj = copy.deepcopy(self.transactions[transaction_id])
        body = json.dumps({"type": "TRANSACTION", "obj": obj}).encode()
        return body, {"hmac": sign(obj, secret or self.hmac_secret)}

    def redirect_query(self, transaction_id: int) -> dict[str, str]:
        """The GET redirect: the same fields flattened into the query string, with its hmac."""
        with self.lock:
            txn = copy.deepcopy(self.transactions[transaction_id])
        query = {key: _text(value) for key, value in txn.items() if not isinstance(value, dict)}
        query["order"] = str(txn["order"]["id"])
        query["merchant_order_id"] = _text(txn["order"]["merchant_order_id"])
        for key, value in txn["source_data"].items():
            query[f"source_data.{key}"] = _text(value)
        query["data.message"] = _text(txn["data"]["message"])
        query["hmac"] = sign(txn, self.hmac_secret)
        return query

    def answer_next_intention_with_order_id(self, order_id: int) -> None:
        """Misbehave like a replaying or buggy gateway: the next intention carries ``order_id`` again."""
        with self.lock:
            self._order_ids = itertools.chain([order_id], self._order_ids)

    def intention(self, key: Any) -> dict[str, Any]:
        with self.lock:
            intention = self.intentions[self.orders[self._order_for(key)]["intention"]]
            return copy.deepcopy(intention)

    def transactions_for(self, key: Any) -> list[dict[str, Any]]:
        with self.lock:
            order_id = self._order_for(key)
            return [copy.deepcopy(self.transactions[t]) for t in self.orders[order_id]["transactions"]]
