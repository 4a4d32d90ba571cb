"""The payment's row lock, taken after its order's (AGENTS.md rule 2)."""


from shop.core.exceptions import NotFound
from shop.orders.locks import order_lock
from shop.orders.models import Order

from .models import Payment


def _payment_lock(payment_id: int, *, user=None) -> tuple[Order, Payment]:
    """Lock the payment's order, then the payment (the house lock order). ``user`` limits to their own."""
    filters = {"pk": payment_id}
    if user is not None and not user.is_staff:
        filters["user"] = user
    order_id = Payment.objects.filter(**filters).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound("Payment not found.")
    order = order_lock(order_id=order_id)
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    return order, payment


