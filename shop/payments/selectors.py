from django.db.models import Count, Q, QuerySet, Sum

from .models import Payment


def payment_list(*, user, status: str | None = None) -> QuerySet[Payment]:
    queryset = Payment.objects.select_related("order")
    if not user.is_staff:
        queryset = queryset.filter(user=user)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "-id")


def payment_get(*, payment_id: int, user) -> Payment | None:
    return payment_list(user=user).filter(pk=payment_id).first()


def payment_for_order(*, order_id: int, user) -> Payment | None:
    """The order's most recent attempt (the API answers one payment per order here)."""
    return payment_list(user=user).filter(order_id=order_id).first()


def payment_statistics(*, user) -> dict:
    counts = {f"{status}_count": Count("id", filter=Q(status=status)) for status in Payment.Status.values}
    row = Payment.objects.filter(user=user).aggregate(
        total_payments=Count("id"),
        total_spent=Sum("amount", filter=Q(status__in=Payment.CAPTURED)),
        total_refunded=Sum("amount_refunded"),
        **counts,
    )
    spent = (row.pop("total_spent") or 0) - (row.pop("total_refunded") or 0)
    return {**row, "total_spent": f"{spent:.2f}"}


def sandbox_payment_for_page(*, payment_id: int, provider_payment_id: str) -> Payment | None:
    """The sandbox attempt a hosted-page token names: the payment *and* its charge must match, so a token
    never reaches another attempt. The order comes along (its key and total are on the page)."""
    return (Payment.objects.select_related("order")
            .filter(pk=payment_id, provider="sandbox", provider_payment_id=provider_payment_id).first())
