"""Payments moved by a person: cash collected on delivery, the sandbox's outcome buttons, and staff's payment
method settings."""


from django.db import transaction

from shop.core.exceptions import ApplicationError, NotFound
from shop.orders.errors import OrderErrorCode
from shop.orders.models import Order

from ..errors import PaymentErrorCode
from ..gateways import configured_provider_get, provider_class
from ..locks import payment_lock_with_order
from ..methods import BY_NUMBER
from ..models import Payment, PaymentMethodSetting, SandboxCharge
from ..providers.base import (
    GatewayRejected,
    PaymentStatus,
    ProviderPayment,
)
from ..sandbox import SandboxProvider
from ._shared import CHANGE, _gateway_call, _status_phrase
from .state import _apply
from .webhooks import webhook_process


def payment_collect_check(payment: Payment | None, *, order: Order | None = None) -> None:
    """Refuse (``ApplicationError``) what ``payment_collect`` refuses, without locks: for pages that preview an
    action (the admin's confirmation page). ``None``: the order has no payment at all (400 ``not_cod``).
    ``order``: the payment's order when the caller holds it (locked), else it is read. An order already paid
    online is 400 ``order_paid``: taking the cash too would be an over-payment."""
    if payment is None or not provider_class(payment.provider).collected_by_hand:
        raise ApplicationError("Only cash-on-delivery payments are collected by hand; this order has none.",
                               code=PaymentErrorCode.NOT_COD)
    if payment.status not in Payment.CAPTURED and (order or payment.order).was_paid:
        raise ApplicationError("This order is already paid; the cash must not be taken.",
                               code=OrderErrorCode.ORDER_PAID)
    if payment.status not in Payment.ACTIVE:
        if payment.status in Payment.CAPTURED:
            message = f"This cash-on-delivery payment {_status_phrase(payment)}: the cash was collected before."
        else:
            message = f"This cash-on-delivery payment {_status_phrase(payment)}: there is no cash to collect."
        raise ApplicationError(message, code=PaymentErrorCode.NOT_COLLECTABLE)


def payment_collect(*, payment_id: int, user) -> Payment:
    """Staff record cash collected on delivery: the payment succeeds and the order counts as paid."""
    with transaction.atomic():
        order, payment = payment_lock_with_order(payment_id=payment_id)
        payment_collect_check(payment, order=order)
        _apply(order, payment, ProviderPayment(provider_payment_id=payment.provider_payment_id,
                                               status=PaymentStatus.SUCCEEDED, amount=payment.amount,
                                               currency=payment.currency))
    return payment


def payment_sandbox_outcome(*, payment_id: int, user, succeed: bool) -> str:
    """The sandbox's 'customer paid / card declined' button, through the same path as a verified webhook.

    ``user``: the caller, limited to their own payments (staff: any); ``None`` when the caller was authorised
    otherwise (the hosted page's signed token, bound to this payment). Returns the webhook outcome.
    """
    payment = Payment.objects.filter(pk=payment_id, provider="sandbox").first()
    if payment is None or (user is not None and not user.is_staff and payment.user_id != user.pk):
        raise NotFound("Payment not found.")
    provider = configured_provider_get("sandbox")
    assert isinstance(provider, SandboxProvider)
    if not payment.provider_payment_id:
        raise ApplicationError("This payment was never opened.", code=PaymentErrorCode.NOT_STARTED)
    if payment.status not in Payment.ACTIVE:
        # A real gateway cannot decline a charge it already took (or one that was closed) either.
        raise ApplicationError(f"This payment {_status_phrase(payment)}; only an open sandbox payment can succeed "
                               "or fail.",
                               code=PaymentErrorCode.NOT_OPEN)
    event = _gateway_call(provider, _sandbox_set_outcome, provider, payment.provider_payment_id,
                          status=PaymentStatus.SUCCEEDED if succeed else PaymentStatus.FAILED, action=CHANGE)
    return webhook_process(provider_name="sandbox", event=event)


def _sandbox_set_outcome(provider: SandboxProvider, provider_payment_id: str, *, status: str):
    try:
        return provider.set_outcome(provider_payment_id, status=status)
    except GatewayRejected as exc:
        if exc.code != SandboxProvider.ALREADY_DECIDED:
            raise
        # The other button won the race (its outcome may not be on the payment yet): the same refusal as a click
        # on an attempt already closed, naming the outcome that won.
        decided = SandboxCharge.objects.filter(provider_payment_id=provider_payment_id).values_list(
            "status", flat=True).first()
        raise ApplicationError(f"This payment {_status_phrase(Payment(status=decided or ''))}; only an open sandbox "
                               "payment can succeed or fail.", code=PaymentErrorCode.NOT_OPEN) from exc


# --- Payment method settings (staff) ------------------------------------------------------------------------------

@transaction.atomic
def payment_method_setting_save(*, number: int, data: dict) -> PaymentMethodSetting:
    """Staff switch a registry method on or off, rename it, or limit it (``data``: any of ``is_active``, ``name``,
    ``min_order_total``, ``max_order_total`` (Decimal or None), ``currencies`` (list of ISO 4217 codes)).

    404 for a number the registry does not know; 400 naming the field when the limits do not validate, and
    400 ``unsupported_currency`` naming ``currencies`` (with the provider's list) for a currency the provider
    itself does not take (``PaymentMethod.currencies`` in the registry; empty = any).
    """
    method = BY_NUMBER.get(number)
    if method is None:
        raise NotFound("Payment method not found.")
    PaymentMethodSetting.objects.get_or_create(pk=number, defaults={"code": method.id})
    setting = PaymentMethodSetting.objects.select_for_update().get(pk=number)
    for field in ("is_active", "name", "min_order_total", "max_order_total"):
        if field in data:
            setattr(setting, field, data[field])
    if "currencies" in data:
        codes = [code.upper() for code in data["currencies"]]
        unsupported = [code for code in codes if method.currencies and code not in method.currencies]
        if unsupported:
            message = (f"{method.name} does not take {', '.join(unsupported)}; it takes "
                       f"{', '.join(method.currencies)}.")
            raise ApplicationError(message, code=PaymentErrorCode.UNSUPPORTED_CURRENCY,
                                   extra={"errors": {"currencies": [message]}})
        setting.currencies = ",".join(codes)
    setting.full_clean()
    setting.save()
    return setting
