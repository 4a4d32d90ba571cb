"""A provider with no keys and no network, so a newcomer can walk the whole payment flow on `make run`.

Its "gateway side" is the ``SandboxCharge`` table. Its hosted checkout page (the payment's ``checkout_url``, the
``next_step`` a checkout answers) is ``GET /payments/sandbox/pay/<token>/``: an HTML page with Succeed / Fail
buttons, authorised by the signed token in its URL (a browser follows a redirect; it cannot add a Bearer
header). After a button it redirects to the checkout's ``return_url`` like a real gateway. For scripts,
``POST /payments/sandbox/{payment id}/succeed/`` (or ``/fail/``) with the owner's Bearer token does the same.
Both change the charge's state and then run exactly the path a real, verified webhook runs.
"""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core import signing

from .providers.base import (
    GatewayRejected,
    PaymentProvider,
    PaymentRequest,
    PaymentStatus,
    ProviderPayment,
    RefundResult,
    RefundStatus,
    WebhookEvent,
    WebhookVerificationError,
)

# The one way a sandbox card fails; the re-read (retrieve) reports it like a real gateway's decline reason.
DECLINE_MESSAGE = "Sandbox: the card was declined."


class SandboxProvider(PaymentProvider):
    identifier = "sandbox"
    display_name = "Sandbox"
    kind = "redirect"
    supports_refunds = True
    supports_partial_refunds = True
    method_number, method_name = 4, "Sandbox (test payments, no network)"
    webhooks_signed = True  # its events come from our own signed page token or a verified call

    @staticmethod
    def _state(charge, checkout_url: str = "") -> ProviderPayment:
        return ProviderPayment(
            provider_payment_id=charge.provider_payment_id,
            status=charge.status,
            amount=charge.amount,
            currency=charge.currency,
            amount_refunded=charge.amount_refunded,
            checkout_url=checkout_url,
            failure_message=DECLINE_MESSAGE if charge.status == PaymentStatus.FAILED else "",
        )

    @staticmethod
    def checkout_url(request: PaymentRequest, provider_payment_id: str) -> str:
        """The hosted page for this charge, on this API's public base (our reference is ``pay_<payment id>``)."""
        token = page_token_make(payment_id=int(request.reference.removeprefix("pay_")),
                                provider_payment_id=provider_payment_id, return_url=request.return_url)
        return f"{request.public_base_url.rstrip('/')}/payments/sandbox/pay/{token}/"

    def _charge(self, provider_payment_id: str):
        from .models import SandboxCharge

        charge = SandboxCharge.objects.filter(provider_payment_id=provider_payment_id).first()
        if charge is None:
            raise GatewayRejected(f"No such sandbox payment: {provider_payment_id}", code="resource_missing",
                                  public=True)
        return charge

    def create_payment(self, request: PaymentRequest) -> ProviderPayment:
        from .models import SandboxCharge

        charge = SandboxCharge.objects.create(
            provider_payment_id=f"sbx_{secrets.token_hex(12)}",
            amount=request.amount,
            currency=request.currency.upper(),
        )
        return self._state(charge, self.checkout_url(request, charge.provider_payment_id))

    def retrieve_payment(self, provider_payment_id: str) -> ProviderPayment:
        return self._state(self._charge(provider_payment_id))

    def cancel_payment(self, provider_payment_id: str) -> ProviderPayment:
        charge = self._charge(provider_payment_id)
        if charge.status == PaymentStatus.SUCCEEDED:
            raise GatewayRejected("A succeeded sandbox payment cannot be cancelled; refund it.", public=True)
        charge.status = PaymentStatus.CANCELLED
        charge.save(update_fields=["status"])
        return self._state(charge)

    def refund_payment(self, provider_payment_id: str, *, amount: Decimal, currency: str, reason: str = "",
                       idempotency_key: str = "") -> RefundResult:
        charge = self._charge(provider_payment_id)
        if charge.amount_refunded + amount > charge.amount:
            raise GatewayRejected("Refund exceeds the amount paid.", public=True)
        charge.amount_refunded += amount
        charge.save(update_fields=["amount_refunded"])
        return RefundResult(provider_refund_id=f"sbxre_{secrets.token_hex(8)}", status=RefundStatus.SUCCEEDED,
                            amount=amount, currency=charge.currency)

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str], query: Mapping[str, str]) -> WebhookEvent:
        raise WebhookVerificationError("The sandbox provider has no webhooks; use its succeed/fail endpoints.")

    ALREADY_DECIDED = "not_pending"  # set_outcome's refusal when the charge is no longer pending

    def set_outcome(self, provider_payment_id: str, *, status: str) -> WebhookEvent:
        """What a customer paying (or failing to) on a real gateway would cause: a state change and an event."""
        from .models import SandboxCharge

        charge = self._charge(provider_payment_id)
        # Moved from pending once, by a guarded UPDATE: of two buttons pressed at once exactly one moves it, and
        # the other is refused here, whatever the payment row says yet (the winner may not have recorded it).
        moved = SandboxCharge.objects.filter(pk=charge.pk, status=PaymentStatus.PENDING).update(status=status)
        if not moved:
            charge.refresh_from_db(fields=["status"])
            raise GatewayRejected(f"Sandbox payment {provider_payment_id} is already {charge.status}.",
                                  code=self.ALREADY_DECIDED, public=True)
        return WebhookEvent(
            provider=self.identifier, event_id=f"sbxevt_{secrets.token_hex(8)}", event_type=f"sandbox.{status}",
            provider_payment_id=provider_payment_id, reference="", status=status, amount=charge.amount,
            currency=charge.currency, failure_message=DECLINE_MESSAGE if status == PaymentStatus.FAILED else "",
        )


# --- The hosted page's token -----------------------------------------------------------------------------------
# A django.core.signing token (HMAC with SECRET_KEY, timestamped): whoever holds the page URL may pay or decline
# that one charge, as with a real gateway's checkout link. It names the payment *and* its charge, so a token
# never works for another attempt (nor for a reused id after a database reset), and carries the return URL the
# checkout asked for, so nobody can point the page's redirect elsewhere.

PAGE_TOKEN_SALT = "shop.payments.sandbox.page"
PAGE_TOKEN_GRACE = timedelta(minutes=10)


@dataclass(frozen=True)
class PageToken:
    payment_id: int
    provider_payment_id: str
    return_url: str  # "" when the checkout gave none: the page shows the outcome itself


def page_token_max_age() -> timedelta:
    """How long a page link works: the order's payment window (``ORDER_PAYMENT_TIMEOUT_MINUTES``), plus ten
    minutes so a customer who pays in the last minute still gets the outcome page and the redirect."""
    return timedelta(minutes=settings.ORDER_PAYMENT_TIMEOUT_MINUTES) + PAGE_TOKEN_GRACE


def page_token_make(*, payment_id: int, provider_payment_id: str, return_url: str = "") -> str:
    """A URL-safe token (``[A-Za-z0-9_:-]``, about 100 characters plus the compressed return URL)."""
    return signing.dumps({"p": payment_id, "c": provider_payment_id, "r": return_url}, salt=PAGE_TOKEN_SALT,
                         compress=True)


def page_token_read(token: str) -> PageToken | None:
    """The token's content, or None when it is malformed, tampered with, signed with another key, or expired."""
    try:
        data = signing.loads(token, salt=PAGE_TOKEN_SALT, max_age=page_token_max_age())
        return PageToken(payment_id=int(data["p"]), provider_payment_id=str(data["c"]), return_url=str(data["r"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):  # SignatureExpired is a BadSignature
        return None
