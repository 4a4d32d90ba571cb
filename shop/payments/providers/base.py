"""The gateway boundary: typed data in and out, one error hierarchy, no Django.

Everything a provider returns is a frozen dataclass with Decimal major-unit amounts and an upper-case
ISO currency; minor units and SDK objects never leave the provider module. ``raw`` keeps the gateway's
own JSON for the audit trail.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from shop.core.money import currency_exponent, fits_minor_unit, money_text, normalise_currency


class PaymentStatus:
    """Plain string constants, equal to the payments app's ``Payment.status`` values."""

    PENDING = "pending"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


class RefundStatus:
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class LineItem:
    name: str
    unit_amount: Decimal
    quantity: int


@dataclass(frozen=True)
class Customer:
    email: str
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    street: str = ""
    city: str = ""
    country: str = ""
    postal_code: str = ""
    state: str = ""


@dataclass(frozen=True)
class PaymentRequest:
    reference: str  # our stable reference, e.g. "pay_42"; echoed back by the gateways that support it
    order_id: int
    amount: Decimal
    currency: str  # any case in; providers normalise
    customer: Customer
    items: tuple[LineItem, ...] = ()
    description: str = ""
    return_url: str = ""  # where the customer's browser goes after a hosted page; "" for the gateway's default
    notification_url: str = ""
    public_base_url: str = ""  # this API as the customer reached it: providers we host ourselves (sandbox) link to it
    idempotency_key: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderPayment:
    provider_payment_id: str
    status: str  # a PaymentStatus value
    amount: Decimal
    currency: str  # upper-case ISO
    client_secret: str = ""
    checkout_url: str = ""
    provider_invoice_id: str = ""
    failure_message: str = ""
    amount_refunded: Decimal = Decimal("0")
    raw: Mapping = field(default_factory=dict)
    reference: str = ""  # our reference ("pay_<pk>") as the gateway echoes it in this read, when it does


@dataclass(frozen=True)
class RefundResult:
    """A refund as the gateway holds it: what creating one answered, or a later read (``retrieve_refund``)."""

    provider_refund_id: str
    status: str  # a RefundStatus value
    amount: Decimal
    currency: str
    raw: Mapping = field(default_factory=dict)
    failure_message: str = ""  # why a failed refund failed, in the gateway's words
    provider_payment_id: str = ""  # the payment it refunds, when the gateway says


@dataclass(frozen=True)
class RefundNotice:
    """What a webhook says about one refund (Stripe's refund events, IntaSend's chargebacks).

    ``status`` None: the event is only a trigger, read the refund from the gateway (``retrieve_refund``) before
    acting. A ``RefundStatus`` (succeeded or failed): the event settles it itself, vouched for by the payment
    re-read that runs first; ``failed_reason`` then says, for people, what failed (e.g. "chargeback 7 was
    cancelled").
    """

    provider_refund_id: str
    status: str | None = None
    failed_reason: str = ""


@dataclass(frozen=True)
class WebhookEvent:
    provider: str
    event_id: str  # unique per delivery type; the app dedupes on (provider, event_id)
    event_type: str  # the gateway's own type, e.g. "payment_intent.succeeded"
    provider_payment_id: str
    reference: str  # our reference if the gateway echoes it, else ""
    status: str | None  # PaymentStatus implied by the event; None when the event is not about payment state
    amount: Decimal | None
    currency: str | None
    failure_message: str = ""
    raw: Mapping = field(default_factory=dict)
    refund: RefundNotice | None = None  # the event is about one of the payment's refunds


class PaymentProviderError(Exception):
    """Base of every error a provider raises; SDK and HTTP errors never escape untranslated.

    ``message`` is for the log and for staff: it may quote the gateway's raw answer or the HTTP client's error
    (host, port, URL, the SDK's advice to write to the gateway's support), so it never reaches a customer.
    ``customer_message`` is what a payer may be shown, when the provider has such words: its own (``public=True``:
    ``message`` is written by this provider, about the request, and quotes nothing the gateway said) or the
    gateway's own text meant for the payer (Stripe's ``user_message`` of a card error). Without one, the
    payments services say what happened in general words (``shop.payments.services._shared``)."""

    default_retryable = False

    def __init__(self, message: str, *, retryable: bool | None = None, code: str = "", public: bool = False,
                 customer_message: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.retryable = self.default_retryable if retryable is None else retryable
        self.code = code
        self.customer_message = customer_message or (message if public else "")


class GatewayUnavailable(PaymentProviderError):
    """Connection error, timeout, 5xx, 429, unreadable answer, or our own credentials refused -> API 503."""

    default_retryable = True


class GatewayRejected(PaymentProviderError):
    """A 4xx business refusal (declined, invalid request, cannot cancel/refund) -> API 400."""


class WebhookVerificationError(PaymentProviderError):
    """Missing/bad/stale signature or an unparseable body -> API 400; the event must not be acted on."""


class PaymentProvider(ABC):
    identifier: str
    display_name: str
    kind: (
        str  # "client" (client_secret for a JS SDK), "redirect" (checkout_url), "direct" (no online payment)
    )
    currencies: tuple[str, ...] = ()  # empty = any currency
    supports_refunds: bool = False
    supports_partial_refunds: bool = False
    # The payment method this provider offers (``shop.payments.methods`` derives its registry from these):
    # its fixed number (the integer id clients send; ``PaymentMethodSetting`` rows use it as their id) and the
    # name the method is listed under.
    method_number: int = 0
    method_name: str = ""
    # Capabilities: how this gateway differs, so the services never ask which gateway they talk to.
    # The gateway holds no amounts (cash on delivery: retrieve/cancel answer amount 0 and currency ""): our
    # Payment row is the ledger, so there is nothing on the gateway side to compare amounts against.
    holds_funds_locally: bool = False
    # Webhooks are signed per message (HMAC / signature): when the gateway cannot be re-read, the verified event
    # itself may be acted on. A static shared challenge (IntaSend) is not enough for that.
    webhooks_signed: bool = False
    # The create answer names a checkout, and the payment's own id (the one retrieve/refund take) arrives with
    # the first webhook, matched by our reference (IntaSend's invoice): the services then bind it.
    binds_payment_id_from_webhook: bool = False
    # ``GatewayRejected`` codes of a read made before the customer paid (nothing at the gateway to apply yet).
    not_paid_yet_codes: frozenset[str] = frozenset()
    # ``GatewayRejected`` codes of a cancel that finds nothing open (no cancel API, an unpaid intention that just
    # expires): our side closing the attempt is the whole cancellation.
    nothing_to_cancel_codes: frozenset[str] = frozenset({"not_cancellable"})
    # Staff record the money as collected by hand (cash on delivery): ``payment_collect``.
    collected_by_hand: bool = False

    # The steps the gateway counts an amount in, as multiples of its minor unit per currency (Stripe: 10 for the
    # three-decimal currencies, whose last digit must be 0); a currency not listed: every minor unit.
    minor_unit_steps: Mapping[str, int] = MappingProxyType({})
    # The smallest amount the gateway charges per currency, in major units (Stripe: 0.50 USD); a currency not
    # listed: no minimum known, none applied. Refunds are not bound by it.
    minimum_charges: Mapping[str, Decimal] = MappingProxyType({})

    def supports_currency(self, currency: str) -> bool:
        return not self.currencies or normalise_currency(currency) in self.currencies

    @classmethod
    def amount_step(cls, currency: str) -> Decimal:
        """The smallest step, in major units, of an amount this gateway charges or refunds in ``currency``: its
        minor unit (0.01 EUR, 1 JPY, 0.001 KWD), times ``minor_unit_steps`` where the gateway is coarser (Stripe:
        0.010 KWD). ``ValueError`` for a malformed currency code."""
        code = normalise_currency(currency)
        return Decimal(cls.minor_unit_steps.get(code, 1)).scaleb(-currency_exponent(code))

    @classmethod
    def minimum_charge(cls, currency: str) -> Decimal | None:
        """The smallest amount, in major units of ``currency``, this gateway charges (``minimum_charges``), or None
        when none is known. ``ValueError`` for a malformed currency code."""
        return cls.minimum_charges.get(normalise_currency(currency))

    @classmethod
    def amount_refusal(cls, amount: Decimal, currency: str) -> str | None:
        """Why this gateway cannot charge or refund exactly ``amount`` (more decimals than the currency has, or
        not a whole number of :meth:`amount_step`), or None when it can. Nothing is rounded: a rounded amount
        would charge or refund the customer something else than the order says."""
        code = normalise_currency(currency)
        step = cls.amount_step(code)
        if not fits_minor_unit(amount, code) or amount % step:
            return f"{cls.display_name} takes {code} amounts in steps of {step}; {money_text(amount, code)} is not one."
        return None

    def _checked_currency(self, currency: str) -> str:
        try:
            code = normalise_currency(currency)
        except ValueError as exc:
            raise GatewayRejected(str(exc), code="invalid_currency", public=True) from exc
        if not self.supports_currency(code):
            raise GatewayRejected(
                f"{self.display_name} does not accept {code}; it accepts {', '.join(self.currencies)}",
                code="unsupported_currency", public=True,
            )
        return code

    @abstractmethod
    def create_payment(self, request: PaymentRequest) -> ProviderPayment: ...

    @abstractmethod
    def retrieve_payment(self, provider_payment_id: str) -> ProviderPayment:
        """The gateway's true current state; webhooks are only a trigger to call this."""

    @abstractmethod
    def cancel_payment(self, provider_payment_id: str) -> ProviderPayment: ...

    @abstractmethod
    def refund_payment(
        self,
        provider_payment_id: str,
        *,
        amount: Decimal,
        currency: str,
        reason: str = "",
        idempotency_key: str = "",
    ) -> RefundResult: ...

    def reusable_after_failure(self, provider_payment_id: str) -> bool:
        """Whether the gateway object of a failed attempt can take a new try as it is (same client_secret or
        checkout page). False by default: a retry is a new attempt at the gateway, kept as a new payment."""
        return False

    def retrieve_refund(self, provider_refund_id: str) -> RefundResult:
        """The gateway's current state of one refund (a refund webhook is only a trigger to call this)."""
        raise NotImplementedError(f"{self.display_name} refunds are not read one by one")

    @abstractmethod
    def parse_webhook(
        self, *, body: bytes, headers: Mapping[str, str], query: Mapping[str, str]
    ) -> WebhookEvent:
        """Verify authenticity first, then translate; raises WebhookVerificationError on any doubt."""


def lower_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Django's HttpHeaders, a plain dict or anything else: one lower-cased dict to read from."""
    return {str(key).lower(): value for key, value in (headers or {}).items()}
