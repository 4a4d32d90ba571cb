"""Who may cancel or refund an order, and when: the one policy every endpoint asks (docs/PAYMENTS.md,
"Who may cancel and refund").

The endpoints and the action each one asks about:

- ``POST /orders/{id}/cancel/``, staff ``POST /orders/admin/{id}/status/ {"status": "cancelled"}``: ``CANCEL``;
- ``POST /payments/refund/``: ``REFUND_FULL`` (no amount, or exactly all that is left of the payment) or
  ``REFUND_PARTIAL`` (any other amount): :func:`refund_action`;
- ``POST /payments/cancel/``: ``CLOSE_ATTEMPT`` (close an open payment attempt; it also cancels the order when
  the order was never paid, and that cancellation is the ``CANCEL`` rule).

The answer depends on who asks (staff, the customer who owns the order, or the system: expiry and automatic
refunds act as staff) and on the order's stage, read under its row lock:

    stage                 actor     CANCEL                    REFUND_FULL               REFUND_PARTIAL
    open, never paid      customer  yes                       yes (nothing captured)    403 partial...
    open, paid            customer  400 order_paid            yes: cancels the order    403 partial...
    open, nothing to pay  customer  yes (refunds 0)           yes (nothing captured)    403 partial...
    shipped or delivered  customer  400 not_cancellable       400 not_cancellable       400 not_cancellable
    cancelled             customer  400 not_cancellable       400 not_cancellable       400 not_cancellable
    open, paid or not     staff     yes                       yes                       yes
    shipped or delivered  staff     400 not_cancellable       yes                       yes
    cancelled             staff     400 not_cancellable       yes                       yes

``CLOSE_ATTEMPT``: a customer may close an attempt while the order is open (a paid order keeps going: only the
stale attempt closes), never once it has shipped (400 ``not_cancellable``: a cash-on-delivery attempt must stay
collectable); staff always.

(``403 partial...`` is ``partial_refund_staff_only``.) "Open" is pending or processing; "paid" means the order was
paid in full once (``Order.paid_at``), so a partial refund never makes it cancellable by the customer again.
"Nothing to pay": an order whose total is 0 (a voucher took everything), paid as placed with no payment; cancelling
it is its whole refund, of 0, so the customer may, as they may refund a paid order in full (whatever
``PAYMENTS_CUSTOMER_REFUNDS`` says: no money moves). A customer's refund is a cancellation with the money back: it
is refused exactly where the cancel endpoint refuses, except for the one difference the product makes — a paid,
unshipped order can be refunded (which cancels it and restores stock once) but not plainly cancelled. Refunds that
are not the customer's own cancellation (partial amounts, after shipping, on a cancelled order) are staff decisions.
The order's state answers first: where the order refuses a full refund (``not_cancellable``), a partial one gets the
same answer, so the same situation gets the same code with or without ``amount``; only where a full refund would be
allowed is another amount 403 ``partial_refund_staff_only``. With ``PAYMENTS_CUSTOMER_REFUNDS=false`` every customer
refund is 403 ``refund_staff_only``.

The refund's own checks (a succeeded payment, an amount within what is left) come after this policy; a payment
with nothing left to refund is asked as a full refund (:func:`refund_action`), so it answers
``not_refundable`` with or without an amount.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.conf import settings

from shop.core.exceptions import ApplicationError

from .errors import OrderErrorCode
from .hooks import payment_method_pays_on_delivery
from .models import Order, OrderAddress
from .transitions import CANCELLABLE


class Action(StrEnum):
    CANCEL = "cancel"
    REFUND_FULL = "refund_full"
    REFUND_PARTIAL = "refund_partial"
    CLOSE_ATTEMPT = "close_attempt"


class Stage(StrEnum):
    OPEN_UNPAID = "open_unpaid"
    OPEN_PAID = "open_paid"
    OPEN_NOTHING_TO_PAY = "open_nothing_to_pay"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Refusal:
    status_code: int
    code: str
    message: str  # formatted with the order's ``status``


NOT_CANCELLABLE = Refusal(400, OrderErrorCode.NOT_CANCELLABLE, "Order cannot be cancelled: it is already {status}.")
ORDER_PAID = Refusal(400, OrderErrorCode.ORDER_PAID, "This order is already paid; contact support to cancel it.")
PARTIAL_STAFF_ONLY = Refusal(403, OrderErrorCode.PARTIAL_REFUND_STAFF_ONLY,
                             "Only the shop can refund part of a payment; a full refund cancels an unshipped order.")
REFUNDS_STAFF_ONLY = Refusal(403, OrderErrorCode.REFUND_STAFF_ONLY, "Refunds are made by the shop; contact support.")

# What a customer (the order's owner) gets, per stage and action; None = allowed. Staff and the system are
# refused only what nobody may do: cancel an order past processing.
CUSTOMER_RULES: dict[Stage, dict[Action, Refusal | None]] = {
    Stage.OPEN_UNPAID: {Action.CANCEL: None, Action.REFUND_FULL: None, Action.REFUND_PARTIAL: PARTIAL_STAFF_ONLY,
                        Action.CLOSE_ATTEMPT: None},
    Stage.OPEN_PAID: {Action.CANCEL: ORDER_PAID, Action.REFUND_FULL: None, Action.REFUND_PARTIAL: PARTIAL_STAFF_ONLY,
                      Action.CLOSE_ATTEMPT: None},
    Stage.OPEN_NOTHING_TO_PAY: {Action.CANCEL: None, Action.REFUND_FULL: None,
                                Action.REFUND_PARTIAL: PARTIAL_STAFF_ONLY, Action.CLOSE_ATTEMPT: None},
    # The order's state answers before the amount: a partial refund is refused as the full one is.
    Stage.SHIPPED: {Action.CANCEL: NOT_CANCELLABLE, Action.REFUND_FULL: NOT_CANCELLABLE,
                    Action.REFUND_PARTIAL: NOT_CANCELLABLE, Action.CLOSE_ATTEMPT: NOT_CANCELLABLE},
    Stage.CANCELLED: {Action.CANCEL: NOT_CANCELLABLE, Action.REFUND_FULL: NOT_CANCELLABLE,
                      Action.REFUND_PARTIAL: NOT_CANCELLABLE, Action.CLOSE_ATTEMPT: None},
}
STAFF_RULES: dict[Stage, dict[Action, Refusal | None]] = {
    stage: {action: NOT_CANCELLABLE if action == Action.CANCEL and stage in (Stage.SHIPPED, Stage.CANCELLED)
            else None for action in Action}
    for stage in Stage
}


def order_stage(order: Order) -> Stage:
    """The stage of ``order`` the policy reads: open (pending/processing) paid or not, or with nothing to pay;
    shipped; cancelled."""
    if order.status == Order.Status.CANCELLED:
        return Stage.CANCELLED
    if order.status not in CANCELLABLE:
        return Stage.SHIPPED  # shipped or delivered: the goods have left
    if order.was_paid:
        return Stage.OPEN_NOTHING_TO_PAY if order.total == 0 else Stage.OPEN_PAID
    return Stage.OPEN_UNPAID


def refund_action(*, payment, amount: Decimal | None) -> Action:
    """Which refund a request for ``amount`` of ``payment`` (a ``shop.payments.models.Payment``, read under its
    lock) is: ``REFUND_FULL`` with no amount, with exactly what is left to refund (``amount`` minus what was
    refunded or is being refunded), or when nothing is left (the refund's own check then answers
    ``not_refundable``, as it does without an amount); ``REFUND_PARTIAL`` for any other amount.
    """
    if amount is None or not payment.can_be_refunded:
        return Action.REFUND_FULL
    return Action.REFUND_FULL if amount == payment.refundable_amount else Action.REFUND_PARTIAL


def order_action_refusal(*, actor, order: Order, action: Action) -> Refusal | None:
    """The policy's answer: ``None`` if ``actor`` may do ``action`` on ``order`` now, else the refusal.

    ``actor`` is the user asking (``None`` for the system: expiry, automatic refunds). Staff and the system
    share one row of the table; anyone else is the customer (ownership is checked by the caller's lookup).
    """
    is_staff = actor is None or actor.is_staff
    refund = action in (Action.REFUND_FULL, Action.REFUND_PARTIAL)
    if refund and not is_staff and not settings.PAYMENTS_CUSTOMER_REFUNDS:
        return REFUNDS_STAFF_ONLY
    rules = STAFF_RULES if is_staff else CUSTOMER_RULES
    return rules[order_stage(order)][action]


def order_action_check(*, actor, order: Order, action: Action) -> None:
    """Raise the policy's refusal as an ``ApplicationError`` (400 or 403 with its stable code); see the table."""
    refusal = order_action_refusal(actor=actor, order=order, action=action)
    if refusal is not None:
        raise ApplicationError(refusal.message.format(status=order.status), code=refusal.code,
                               status_code=refusal.status_code)


# --- Fulfilment: may staff send the goods? -----------------------------------------------------------------------

ORDER_NOT_PAID = OrderErrorCode.ORDER_NOT_PAID


def _pays_on_delivery(order: Order) -> bool:
    """The order was checked out with a direct method (cash on delivery): it ships unpaid by design."""
    return payment_method_pays_on_delivery(order.payment_method)  # the method it was placed with, enabled or not


def order_fulfilment_check(*, order: Order, goods_left: bool = False) -> None:
    """Refuse to send the goods of an order that cannot go: 400 ``order_not_paid`` while it waits for an online
    payment, 409 ``shipping_address_missing`` when it has nowhere to go.

    Asked by the one status move every path shares (``services._set_status_locked``: the status endpoints,
    tracking events that move the order, the admin). Shipping needs the order paid in full and its money still
    kept (``is_fully_paid``: a refund of all of it, done or in flight, stops the goods). Once the goods have left
    (``goods_left``: recording ``delivered``) it only needs to have been paid once (``was_paid``): a refund after
    shipping does not call the parcel back. Cash-on-delivery orders and shops with
    ``ORDERS_ALLOW_UNPAID_FULFILMENT=true`` skip the payment check. Shipping also needs a complete shipping address
    (full name, line 1, city, country: ``OrderAddress.REQUIRED_PARTS``), whatever the payment: an order placed
    without one (a shop that does not ask for a shipping method) or with one in free text (before checkout refused
    it) is not shipped to a guess. Called with the order row locked.
    """
    if not (settings.ORDERS_ALLOW_UNPAID_FULFILMENT or _pays_on_delivery(order)):
        if not order.was_paid:
            raise ApplicationError(f"Order {order.order_key} is waiting for its online payment; it cannot be shipped "
                                   "or delivered before it is paid.", code=ORDER_NOT_PAID)
        if not goods_left and not order.is_fully_paid:
            raise ApplicationError(f"Order {order.order_key}'s payment was refunded in full; it cannot be shipped.",
                                   code=ORDER_NOT_PAID)
    if not goods_left:
        _destination_check(order)


def _destination_check(order: Order) -> None:
    try:
        address: OrderAddress | None = order.shipping_address
    except OrderAddress.DoesNotExist:
        address = None
    missing = list(OrderAddress.REQUIRED_PARTS) if address is None else address.missing_parts
    if missing:
        what = "no shipping address" if address is None else f"no {', '.join(missing)} in its shipping address"
        raise ApplicationError(f"Order {order.order_key} has {what}: there is nowhere to ship it. Cancel it, or "
                               "place it again with a complete address.",
                               code=OrderErrorCode.SHIPPING_ADDRESS_MISSING, status_code=409)
