"""The payment facts an order's e-mails tell the customer: what a cancelled order gives back, what one refund
returns. The orders app's e-mails (``shop.orders.notifications``) ask for them through the
``order_email_payment_facts`` hook that ``PaymentsConfig.ready()`` fills."""

from dataclasses import dataclass
from decimal import Decimal

from shop.core.money import money_text
from shop.orders.models import Order

from .models import Payment, Refund


@dataclass(frozen=True)
class RefundLine:
    """An amount of money in one currency, e.g. ``RefundLine(Decimal("49.99"), "EGP")`` → ``"49.99 EGP"``."""

    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{money_text(self.amount, self.currency)} {self.currency}"


@dataclass(frozen=True)
class RefundSummary:
    """What an order's customer gets back, per currency: ``refunded`` confirmed by the gateway, ``on_its_way``
    asked for and not yet confirmed (a pending refund) or queued (money still held on a cancelled order); each a
    list of ``"49.99 EGP"`` strings, one per currency."""

    refunded: list[str]
    on_its_way: list[str]


def _lines(totals: dict[str, Decimal]) -> list[str]:
    return [str(RefundLine(amount, currency)) for currency, amount in sorted(totals.items()) if amount > 0]


def order_refund_summary(order: Order) -> RefundSummary:
    """Sum the order's refunds (two queries). On a cancelled order, money still held is counted as on its way:
    cancelling a paid order queues its full refund (``payments_cancel_for_order``)."""
    refunded: dict[str, Decimal] = {}
    pending: dict[str, Decimal] = {}
    for refund in Refund.objects.filter(payment__order=order).select_related("payment"):
        currency = refund.payment.currency.upper()
        if refund.status == Refund.Status.SUCCEEDED:
            refunded[currency] = refunded.get(currency, Decimal("0")) + refund.amount
        elif refund.status == Refund.Status.PENDING:
            pending[currency] = pending.get(currency, Decimal("0")) + refund.amount
    if order.status == Order.Status.CANCELLED:
        for payment in Payment.objects.filter(order=order, status__in=Payment.CAPTURED):
            if payment.net_paid > 0:
                currency = payment.currency.upper()
                pending[currency] = pending.get(currency, Decimal("0")) + payment.net_paid
    return RefundSummary(refunded=_lines(refunded), on_its_way=_lines(pending))


def order_email_payment_facts(*, order: Order, kind: str, refund_id: int | None) -> dict | None:
    """The template context an order e-mail of ``kind`` needs from payments: ``refunds`` (a ``RefundSummary``)
    for ``cancelled``; ``refund`` and ``refund_amount`` for ``refund`` (None: that refund is gone or failed, so
    no e-mail). Other kinds: nothing to add."""
    if kind == "cancelled":
        return {"refunds": order_refund_summary(order)}
    if kind == "refund":
        refund = Refund.objects.select_related("payment").filter(pk=refund_id, payment__order=order).first()
        if refund is None or refund.status == Refund.Status.FAILED:
            return None
        return {"refund": refund, "refund_amount": RefundLine(refund.amount, refund.payment.currency.upper())}
    return {}
