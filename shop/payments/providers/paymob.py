"""Paymob Accept: Intention API + Unified Checkout, HMAC-signed transaction callbacks.

Over ~400 lines on purpose: one gateway's whole wire format (two APIs, the legacy auth token, the HMAC field
order of two callback shapes) read in one place; split, each half would need the other to be understood.

Identifiers. ``provider_payment_id`` is Paymob's numeric *order id* (``intention_order_id`` in the create
answer), not the intention id (``pi_...``, kept as ``provider_invoice_id``). The order id is the one
identifier that the create answer returns, that every transaction callback carries under the HMAC
(``obj.order.id``), and that Paymob's transaction inquiry accepts; the intention id appears in callbacks
only outside the HMAC (``payment_key_claims.next_payment_intention``).

Endpoints and auth, as documented by Paymob (developers.paymob.com):
- create: ``POST /v1/intention/`` with ``Authorization: Token <secret key>``;
- refund / void: ``POST /api/acceptance/void_refund/refund`` (``transaction_id``, ``amount_cents``) and
  ``.../void`` (``transaction_id``) with ``Authorization: Token <secret key>``; they need Paymob's
  *transaction* id, which this module looks up from the order id;
- state: there is no documented "retrieve intention" with the secret key. The documented reads are the
  transaction inquiry ``POST /api/ecommerce/orders/transaction_inquiry`` (``order_id``) and
  ``GET /api/acceptance/transactions/{id}``, both authenticated with the *legacy* auth token from
  ``POST /api/auth/tokens`` (``api_key``). So ``retrieve_payment``, ``cancel_payment`` and
  ``refund_payment`` need ``api_key``; without it they raise ``GatewayUnavailable(code="not_configured")``.
  Before the customer pays there is no transaction to read: those calls raise
  ``GatewayRejected(code="no_transaction")`` (the payment is still pending on our side).

Paymob has no API to cancel an unpaid intention (it lapses at ``expiration``), so ``cancel_payment``
only voids a paid card transaction (same business day) and otherwise raises
``GatewayRejected(code="not_cancellable")``. Paymob documents no idempotency key: a retried create makes
a second intention, which is harmless until one of them is paid.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from shop.core.money import from_minor, to_minor

from ._http import ApiAnswer, JsonApi, parse_json
from .base import (
    GatewayRejected,
    GatewayUnavailable,
    PaymentProvider,
    PaymentRequest,
    PaymentStatus,
    ProviderPayment,
    RefundResult,
    RefundStatus,
    WebhookEvent,
    WebhookVerificationError,
)

# The order Paymob concatenates the transaction callback's values in before HMAC-SHA512.
TRANSACTION_HMAC_FIELDS = (
    "amount_cents",
    "created_at",
    "currency",
    "error_occured",
    "has_parent_transaction",
    "id",
    "integration_id",
    "is_3d_secure",
    "is_auth",
    "is_capture",
    "is_refunded",
    "is_standalone_payment",
    "is_voided",
    "order.id",
    "owner",
    "pending",
    "source_data.pan",
    "source_data.sub_type",
    "source_data.type",
    "success",
)
TOKEN_HMAC_FIELDS = (
    "card_subtype",
    "created_at",
    "email",
    "id",
    "masked_pan",
    "merchant_id",
    "order_id",
    "token",
)
_HMAC_FIELDS = {"TRANSACTION": TRANSACTION_HMAC_FIELDS, "TOKEN": TOKEN_HMAC_FIELDS}

_AUTH_TOKEN_TTL = 50 * 60  # Paymob's legacy auth tokens last an hour; renew well before.


def _lookup(obj: Mapping[str, Any], dotted: str) -> Any:
    # The POST callback nests ("order": {"id": ...}); the GET redirect sends flat keys ("source_data.pan")
    # and the order id itself under "order" (or "order_id").
    if dotted in obj:
        return obj[dotted]
    if dotted == "order.id":
        order = obj.get("order")
        if order is not None and not isinstance(order, Mapping):
            return order
        if order is None and "order_id" in obj:
            return obj["order_id"]
    node: Any = obj
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(dotted)
        node = node[part]
    return node


def _hmac_text(value: Any) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def hmac_message(obj: Mapping[str, Any], fields: Sequence[str] = TRANSACTION_HMAC_FIELDS) -> str:
    """The string Paymob signs: the listed fields' values concatenated, booleans as ``true``/``false``."""
    return "".join(_hmac_text(_lookup(obj, name)) for name in fields)


def compute_transaction_hmac(obj: Mapping[str, Any], secret: str) -> str:
    """Lower-case hex HMAC-SHA512 of a transaction callback's ``obj`` (or of the GET redirect's query)."""
    return hmac.new(secret.encode(), hmac_message(obj).encode(), hashlib.sha512).hexdigest()


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _is_child(txn: Mapping[str, Any]) -> bool:
    """A refund or void is its own transaction pointing at the payment it reverses."""
    return _flag(txn.get("is_refund")) or _flag(txn.get("is_void"))


def transaction_status(txn: Mapping[str, Any]) -> str:
    """The payment state a (parent) transaction shows; reversals are checked before success on purpose."""
    if _flag(txn.get("is_voided")):
        return PaymentStatus.CANCELLED
    if _flag(txn.get("is_refunded")):
        refunded = int(txn.get("refunded_amount_cents") or 0)
        amount = int(txn.get("amount_cents") or 0)
        return PaymentStatus.PARTIALLY_REFUNDED if 0 < refunded < amount else PaymentStatus.REFUNDED
    if _flag(txn.get("pending")):
        return PaymentStatus.PENDING
    if _flag(txn.get("success")):
        return PaymentStatus.SUCCEEDED
    return PaymentStatus.FAILED


def _order_id(txn: Mapping[str, Any]) -> str:
    return _hmac_text(_lookup(txn, "order.id"))


def _failure_message(txn: Mapping[str, Any]) -> str:
    data = txn.get("data")
    message = data.get("message") if isinstance(data, Mapping) else txn.get("data.message")
    return str(message or "")


class PaymobProvider(PaymentProvider):
    identifier = "paymob"
    display_name = "Paymob"
    kind = "redirect"
    currencies: tuple[str, ...] = ("EGP",)
    supports_refunds = True
    supports_partial_refunds = True
    method_number, method_name = 2, "Card / wallet (Paymob)"
    webhooks_signed = True  # every transaction callback carries an HMAC
    not_paid_yet_codes = frozenset({"no_transaction"})  # an inquiry before the customer paid

    def __init__(
        self,
        secret_key: str,
        public_key: str,
        hmac_secret: str,
        integration_ids: tuple[int, ...],
        api_base: str = "https://accept.paymob.com",
        api_key: str = "",
        timeout: float = 10.0,
        checkout_base: str = "",
        intention_expiration: int | None = None,
        currencies: tuple[str, ...] | None = None,
    ) -> None:
        if not integration_ids:
            raise ValueError("Paymob needs at least one integration id")
        self._secret_key = secret_key
        self._public_key = public_key
        self._hmac_secret = hmac_secret
        self._integration_ids = [int(i) for i in integration_ids]
        self._api_key = api_key
        self._api_base = api_base.rstrip("/")
        # Paymob's hosted checkout page; regional accounts may use e.g. https://eg.checkout.paymob.com/ instead.
        self._checkout_base = checkout_base or f"{self._api_base}/unifiedcheckout/"
        self._expiration = intention_expiration
        if currencies is not None:
            self.currencies = tuple(c.upper() for c in currencies)
        self._api = JsonApi(gateway="Paymob", base_url=self._api_base, timeout=timeout)
        self._token_lock = threading.Lock()
        self._auth_token = ""
        self._auth_token_at = 0.0

    # -- create ---------------------------------------------------------------------------------

    def create_payment(self, request: PaymentRequest) -> ProviderPayment:
        currency = self._checked_currency(request.currency)
        amount_cents = self._cents(request.amount, currency)
        body: dict[str, Any] = {
            "amount": amount_cents,
            "currency": currency,
            "payment_methods": self._integration_ids,
            "items": self._items(request, currency, amount_cents),
            "billing_data": self._billing_data(request),
            "special_reference": request.reference,
            "extras": {**request.metadata, "reference": request.reference, "order_id": str(request.order_id)},
        }
        if request.notification_url:
            body["notification_url"] = request.notification_url
        if request.return_url:
            body["redirection_url"] = request.return_url
        if self._expiration:
            body["expiration"] = self._expiration
        answer = self._api.request("POST", "/v1/intention/", json_body=body, headers=self._secret_auth())
        intention = answer.data
        try:
            client_secret = str(intention["client_secret"])
            order_id = str(intention["intention_order_id"])
        except (KeyError, TypeError) as exc:
            raise GatewayUnavailable(
                "Paymob's intention answer lacks client_secret/intention_order_id",
                code="gateway_bad_response",
            ) from exc
        query = urlencode({"publicKey": self._public_key, "clientSecret": client_secret})
        return ProviderPayment(
            provider_payment_id=order_id,
            status=PaymentStatus.PENDING,
            amount=from_minor(amount_cents, currency),
            currency=currency,
            client_secret=client_secret,
            checkout_url=f"{self._checkout_base}?{query}",
            provider_invoice_id=str(intention.get("id") or ""),
            raw=answer.raw,
        )

    def _cents(self, amount: Decimal, currency: str) -> int:
        try:
            return to_minor(amount, currency)
        except ValueError as exc:
            raise GatewayRejected(str(exc), code="invalid_amount", public=True) from exc

    def _items(self, request: PaymentRequest, currency: str, amount_cents: int) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = [
            {
                "name": item.name[:50],
                "amount": self._cents(item.unit_amount, currency),
                "quantity": item.quantity,
            }
            for item in request.items
        ]
        # Paymob wants the items to add up to the amount; shipping or a discount would break that, so
        # then one line carries the whole amount.
        if items and sum(i["amount"] * i["quantity"] for i in items) == amount_cents:
            return items
        name = request.description or f"Order {request.order_id}"
        return [{"name": name[:50], "amount": amount_cents, "quantity": 1}]

    @staticmethod
    def _billing_data(request: PaymentRequest) -> dict[str, str]:
        customer = request.customer

        def value(text: str) -> str:
            return text.strip() or "NA"  # Paymob rejects blank billing fields

        return {
            "first_name": value(customer.first_name),
            "last_name": value(customer.last_name),
            "email": value(customer.email),
            "phone_number": value(customer.phone),
            "street": value(customer.street),
            "building": "NA",
            "floor": "NA",
            "apartment": "NA",
            "city": value(customer.city),
            "state": value(customer.state),
            "country": value(customer.country),
            "postal_code": value(customer.postal_code),
        }

    # -- read, cancel, refund -------------------------------------------------------------------

    def retrieve_payment(self, provider_payment_id: str) -> ProviderPayment:
        return self._payment(self._payment_transaction(provider_payment_id))

    def cancel_payment(self, provider_payment_id: str) -> ProviderPayment:
        txn = self._payment_transaction(provider_payment_id, missing_code="not_cancellable")
        if _flag(txn.get("is_voided")):
            return self._payment(txn)
        if not _flag(txn.get("success")) or _flag(txn.get("pending")):
            raise GatewayRejected(
                f"Paymob transaction {txn.get('id')} is not a completed payment; there is nothing to void",
                code="not_cancellable", public=True,
            )
        answer = self._api.request(
            "POST",
            "/api/acceptance/void_refund/void",
            json_body={"transaction_id": txn["id"]},
            headers=self._secret_auth(),
        )
        void = answer.data if isinstance(answer.data, Mapping) else {}
        if not _flag(void.get("success")):
            raise GatewayRejected(
                _failure_message(void) or "Paymob refused to void the payment", code="void_failed"
            )
        currency = str(txn["currency"]).upper()
        return ProviderPayment(
            provider_payment_id=_order_id(txn),
            status=PaymentStatus.CANCELLED,
            amount=from_minor(int(txn["amount_cents"]), currency),
            currency=currency,
            raw=answer.raw,
        )

    def refund_payment(
        self,
        provider_payment_id: str,
        *,
        amount: Decimal,
        currency: str,
        reason: str = "",
        idempotency_key: str = "",
    ) -> RefundResult:
        code = self._checked_currency(currency)
        cents = self._cents(amount, code)
        txn = self._payment_transaction(provider_payment_id)
        if str(txn.get("currency", "")).upper() != code:
            raise GatewayRejected(
                f"refund currency {code} does not match the payment's {txn.get('currency')}",
                code="currency_mismatch", public=True,
            )
        answer = self._api.request(
            "POST",
            "/api/acceptance/void_refund/refund",
            json_body={"transaction_id": txn["id"], "amount_cents": cents},
            headers=self._secret_auth(),
        )
        refund = answer.data if isinstance(answer.data, Mapping) else {}
        if _flag(refund.get("pending")):
            status = RefundStatus.PENDING
        elif _flag(refund.get("success")):
            status = RefundStatus.SUCCEEDED
        else:
            raise GatewayRejected(
                _failure_message(refund) or "Paymob declined the refund", code="refund_failed"
            )
        return RefundResult(
            provider_refund_id=str(refund.get("id") or ""),
            status=status,
            amount=from_minor(int(refund.get("amount_cents", cents)), code),
            currency=code,
            raw=answer.raw,
        )

    def _payment(self, txn: Mapping[str, Any]) -> ProviderPayment:
        currency = str(txn["currency"]).upper()
        status = transaction_status(txn)
        claims = txn.get("payment_key_claims")
        return ProviderPayment(
            provider_payment_id=_order_id(txn),
            status=status,
            amount=from_minor(int(txn["amount_cents"]), currency),
            currency=currency,
            provider_invoice_id=str(claims.get("next_payment_intention") or "")
            if isinstance(claims, Mapping)
            else "",
            failure_message=_failure_message(txn) if status == PaymentStatus.FAILED else "",
            amount_refunded=from_minor(int(txn.get("refunded_amount_cents") or 0), currency),
            raw=txn,
        )

    def _payment_transaction(self, order_id: str, *, missing_code: str = "no_transaction") -> dict[str, Any]:
        """The order's payment transaction, followed from a refund/void back to the payment it reverses."""
        try:
            answer = self._with_auth_token(
                lambda token: self._api.request(
                    "POST",
                    "/api/ecommerce/orders/transaction_inquiry",
                    json_body={"auth_token": token, "order_id": str(order_id)},
                )
            )
        except GatewayRejected as exc:
            if exc.code != "not_found":
                raise
            answer = None
        txn = answer.data if answer is not None else None
        if not isinstance(txn, Mapping) or "id" not in txn:
            raise GatewayRejected(
                f"Paymob has no transaction for order {order_id} yet: the customer has not paid",
                code=missing_code, public=True,
            )
        parent = txn.get("parent_transaction")
        if _is_child(txn) and parent:
            txn = self._with_auth_token(
                lambda token: self._api.request(
                    "GET",
                    f"/api/acceptance/transactions/{int(parent)}",
                    headers={"Authorization": f"Bearer {token}"},
                )
            ).data
        return dict(txn)

    # -- auth -----------------------------------------------------------------------------------

    def _secret_auth(self) -> dict[str, str]:
        return {"Authorization": f"Token {self._secret_key}"}

    def _with_auth_token(self, call: Callable[[str], ApiAnswer]) -> ApiAnswer:
        """Run ``call(token)`` with the legacy auth token, renewing it once if Paymob says it expired."""
        try:
            return call(self._legacy_token())
        except GatewayUnavailable as exc:
            if exc.code != "gateway_auth":
                raise
            return call(self._legacy_token(renew=True))

    def _legacy_token(self, *, renew: bool = False) -> str:
        if not self._api_key:
            raise GatewayUnavailable(
                "Paymob reads need the legacy API key (PAYMOB_API_KEY) for the transaction inquiry",
                retryable=False,
                code="not_configured",
            )
        with self._token_lock:
            fresh = self._auth_token and time.monotonic() - self._auth_token_at < _AUTH_TOKEN_TTL
            if renew or not fresh:
                answer = self._api.request("POST", "/api/auth/tokens", json_body={"api_key": self._api_key})
                token = answer.data.get("token") if isinstance(answer.data, Mapping) else None
                if not token:
                    raise GatewayUnavailable("Paymob's auth answer has no token", code="gateway_bad_response")
                self._auth_token, self._auth_token_at = str(token), time.monotonic()
            return self._auth_token

    # -- callbacks ------------------------------------------------------------------------------

    def parse_webhook(
        self, *, body: bytes, headers: Mapping[str, str], query: Mapping[str, str]
    ) -> WebhookEvent:
        received = str((query or {}).get("hmac") or "")
        if not received:
            raise WebhookVerificationError("missing hmac query parameter", code="missing_signature")
        if body and body.strip():
            try:
                payload, raw = parse_json(body)
            except ValueError as exc:
                raise WebhookVerificationError("the callback body is not JSON", code="bad_body") from exc
            if not isinstance(payload, Mapping) or not isinstance(payload.get("obj"), Mapping):
                raise WebhookVerificationError("the callback body has no obj", code="bad_body")
            callback_type = str(payload.get("type") or "TRANSACTION").upper()
            obj = payload["obj"]
        else:  # the GET redirect: the same fields as flat query keys
            obj = {key: value for key, value in query.items() if key != "hmac"}
            raw, callback_type = dict(query), "TRANSACTION"
        fields = _HMAC_FIELDS.get(callback_type)
        if fields is None:
            raise WebhookVerificationError(f"unknown Paymob callback type {callback_type!r}", code="bad_body")
        try:
            message = hmac_message(obj, fields)
        except KeyError as exc:
            raise WebhookVerificationError(
                f"the callback lacks the signed field {exc}", code="bad_body"
            ) from exc
        expected = hmac.new(self._hmac_secret.encode(), message.encode(), hashlib.sha512).hexdigest()
        if not hmac.compare_digest(expected, received.lower()):
            raise WebhookVerificationError("Paymob HMAC does not match", code="bad_signature")
        try:
            return self._event(callback_type, obj, raw)
        except (KeyError, TypeError, ValueError) as exc:
            raise WebhookVerificationError(
                f"unexpected Paymob callback shape: {exc!r}", code="bad_body"
            ) from exc

    def _event(self, callback_type: str, obj: Mapping[str, Any], raw: Any) -> WebhookEvent:
        if callback_type == "TOKEN":
            return WebhookEvent(
                provider=self.identifier,
                event_id=f"token:{obj['id']}",
                event_type="TOKEN",
                provider_payment_id=str(obj.get("order_id") or ""),
                reference="",
                status=None,
                amount=None,
                currency=None,
                raw=raw,
            )
        currency = str(obj["currency"]).upper()
        # A refund/void callback is about the reversal only; whether the payment is now fully refunded is
        # for retrieve_payment to say, so it carries no status of its own.
        status = None if _is_child(obj) else transaction_status(obj)
        order = obj.get("order")
        reference = (
            order.get("merchant_order_id") if isinstance(order, Mapping) else obj.get("merchant_order_id")
        )
        return WebhookEvent(
            provider=self.identifier,
            event_id=f"{obj['id']}:{status or 'reversal'}",
            event_type="TRANSACTION",
            provider_payment_id=_order_id(obj),
            reference=str(reference or ""),
            status=status,
            amount=from_minor(int(obj["amount_cents"]), currency),
            currency=currency,
            failure_message=_failure_message(obj) if status == PaymentStatus.FAILED else "",
            raw=raw,
        )
