from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from shop.core.compiled import KEY_RANGE

from .models import Payment, Refund, RefundLine


def refund_queryset() -> QuerySet[Refund]:
    """Refunds shaped for ``RefundOutput``: with their lines (one query for all of them), newest first."""
    return Refund.objects.prefetch_related(Prefetch("lines", queryset=RefundLine.objects.order_by("id"))).order_by(
        "-id")


def refund_get(*, refund_id: int) -> Refund:
    """One refund with its lines and its payment (and the payment's order), for the refund endpoint's answer."""
    return refund_queryset().select_related("payment__order").get(pk=refund_id)


def payment_read_queryset() -> QuerySet[Payment]:
    """Payments shaped for ``PaymentReadOutput``: each with its order and its refunds (and their lines), three
    queries for any number of them; everyone's (the caller narrows it)."""
    return Payment.objects.select_related("order").prefetch_related(Prefetch("refunds", queryset=refund_queryset()))


def payment_list(*, user, status: str | None = None) -> QuerySet[Payment]:
    """The payments ``user`` may read (staff: everyone's), newest first, each with its order and its refunds
    (and their lines): three queries for any number of payments, refunds and refund lines."""
    queryset = payment_read_queryset()
    if not user.is_staff:
        queryset = queryset.filter(user=user)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "-id")


def payment_get(*, payment_id: int, user) -> Payment | None:
    return payment_list(user=user).filter(pk=payment_id).first()


def payment_for_order(*, order_id: int, user) -> Payment | None:
    """The order's most recent attempt (the API answers one payment per order here); None for an order id no key
    column can hold (from the URL: the database would refuse it, a 500)."""
    if order_id not in KEY_RANGE:
        return None
    return payment_list(user=user).filter(order_id=order_id).first()


def payment_statistics(*, user) -> dict:
    """The user's payments counted by status (``<status>_count``, ``total_payments``) and ``total_spent``: a
    Decimal, what captured payments took net of refunds (``StatisticsOutput`` writes it in the shop currency)."""
    counts = {f"{status}_count": Count("id", filter=Q(status=status)) for status in Payment.Status.values}
    row = Payment.objects.filter(user=user).aggregate(
        total_payments=Count("id"),
        total_spent=Sum("amount", filter=Q(status__in=Payment.CAPTURED)),
        total_refunded=Sum("amount_refunded"),
        **counts,
    )
    spent = (row.pop("total_spent") or Decimal(0)) - (row.pop("total_refunded") or Decimal(0))
    return {**row, "total_spent": spent}


def sandbox_payment_for_page(*, payment_id: int, provider_payment_id: str) -> Payment | None:
    """The sandbox attempt a hosted-page token names: the payment *and* its charge must match, so a token
    never reaches another attempt. The order comes along (its key and total are on the page)."""
    return (Payment.objects.select_related("order")
            .filter(pk=payment_id, provider="sandbox", provider_payment_id=provider_payment_id).first())
