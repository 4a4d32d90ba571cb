"""Cancelling payments: a customer's cancel, closing an order's attempts when it is cancelled, and telling the
gateway an attempt is abandoned."""

import logging

from django.db import transaction

from shop.core.enqueue import enqueue_on_commit
from shop.core.exceptions import ApplicationError, NotFound
from shop.orders.models import Order
from shop.orders.policy import Action, order_action_check
from shop.orders.services import order_cancel_and_restock_locked

from ..errors import PaymentErrorCode
from ..gateways import configured_provider_get
from ..locks import order_payments_lock, payment_lock_with_order
from ..models import Payment
from ..providers.base import (
    GatewayRejected,
    GatewayUnavailable,
    PaymentProvider,
)
from ..tasks import cancel_payment_at_gateway, refund_orphan_payment
from ..transitions import payment_status_set_locked
from ._shared import CHANGE, PAYABLE_ORDER_STATUSES, _status_phrase, gateway_error
from .state import order_payment_recalculate

logger = logging.getLogger(__name__)

# --- Cancelling and refunding -------------------------------------------------------------------------------------

def payment_gateway_cancel(*, provider: PaymentProvider, provider_payment_id: str) -> str:
    """Tell the gateway an attempt is abandoned. 400 if it refuses for a reason people must see (e.g. already
    paid), 503 if it cannot be reached; "nothing to cancel" when only our side holds the attempt open."""
    try:
        provider.cancel_payment(provider_payment_id)
    except GatewayRejected as exc:
        if exc.code in provider.nothing_to_cancel_codes:
            logger.info("%s has nothing to cancel for %s: %s", provider.display_name, provider_payment_id,
                        exc.message)
            return "nothing to cancel at the gateway"
        raise gateway_error(provider, exc, CHANGE, doing="cancel_payment") from exc
    except GatewayUnavailable as exc:
        if exc.code == "not_configured":
            # Cancelling needs a credential this server lacks (Paymob's api_key): close our side anyway; an
            # unpaid attempt lapses, a paid one arrives on a cancelled order and is flagged for a refund.
            logger.warning("%s cancel of %s skipped: %s", provider.display_name, provider_payment_id, exc.message)
            return "not configured to cancel at the gateway"
        raise gateway_error(provider, exc, CHANGE, doing="cancel_payment") from exc
    return "cancelled"


def payment_cancel(*, payment_id: int, user) -> Payment:
    """Cancel an open payment at the gateway, then its order (stock restored): no order waits on it.

    An order that was paid keeps going: only the stale attempt closes. The policy (``shop.orders.policy``,
    ``CLOSE_ATTEMPT``) is asked before the gateway is told anything.
    """
    payment = Payment.objects.select_related("order").filter(pk=payment_id).first()
    if payment is None or (not user.is_staff and payment.user_id != user.pk):
        raise NotFound("Payment not found.")
    if payment.status not in Payment.ACTIVE:
        raise ApplicationError(f"This payment {_status_phrase(payment)}; only a pending or processing payment can be "
                               "cancelled.",
                               code=PaymentErrorCode.PAYMENT_NOT_CANCELLABLE)
    order_action_check(actor=user, order=payment.order, action=Action.CLOSE_ATTEMPT)
    if payment.provider_payment_id:
        provider = configured_provider_get(payment.provider)
        payment_gateway_cancel(provider=provider, provider_payment_id=payment.provider_payment_id)
    with transaction.atomic():
        order, payment = payment_lock_with_order(payment_id=payment_id)
        if payment.status in Payment.ACTIVE:
            payment_status_set_locked(payment, to=Payment.Status.CANCELLED)
            payment.save()
        if order.status in PAYABLE_ORDER_STATUSES and not order.was_paid:
            order_cancel_and_restock_locked(order, by=user, reason=Order.CancelReason.PAYMENT_CANCELLED,
                                note="Payment cancelled by the customer.")
    return payment


def payments_cancel_for_order(order: Order) -> None:
    """The orders app's hook: called with the order locked while it is being cancelled.

    Open attempts are closed here at once; the gateway is told after commit, by a retried task. Money already
    captured (staff cancelling a paid order) goes back: the stock was restored, so the payment is refunded in
    full after commit. That is the routine outcome of a staff cancel, so nothing is flagged: ``needs_refund`` is
    true until the refund is accepted, and a refund that fails flags the payment then (``payment_refund``).
    An order with nothing to pay has no payment: its refund is 0, asks no gateway, and is done at once (it reads
    ``refunded``).
    """
    kept = False
    for payment in order_payments_lock(order=order):
        if payment.status in Payment.ACTIVE:
            _attempt_close_locked(payment)
        elif payment.net_paid > 0:
            kept = True
            enqueue_on_commit(refund_orphan_payment, payment.pk)
    if kept or (order.total == 0 and order.was_paid):
        order_payment_recalculate(order)


def _attempt_close_locked(payment: Payment) -> None:
    """Close an open attempt (order and payment locked); the gateway is told after commit by a retried task
    (Stripe cancels the PaymentIntent; IntaSend and an unpaid Paymob intention have nothing to cancel and lapse).
    Should the customer still pay it, the money is an over-payment and goes back (``_apply``)."""
    payment_status_set_locked(payment, to=Payment.Status.CANCELLED)
    payment.save(update_fields=["status", "updated_at"])
    if payment.provider_payment_id:
        enqueue_on_commit(cancel_payment_at_gateway, payment.pk)


