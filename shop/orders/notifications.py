"""Order emails. Each (order, kind) is sent at most once: the claim row is written before sending and
removed again if sending fails, so a retry sends it and a duplicate task does not."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from .models import Order, OrderNotification

SUBJECTS = {
    "confirmation": "Your order {key} is confirmed",
    "shipped": "Your order {key} has shipped",
    "delivered": "Your order {key} was delivered",
    "cancelled": "Your order {key} was cancelled",
    "expired": "Your order {key} expired unpaid",
}
TEMPLATES = {
    "confirmation": "orders/order_confirmation.txt",
    "shipped": "orders/order_status.txt",
    "delivered": "orders/order_status.txt",
    "cancelled": "orders/order_status.txt",
    "expired": "orders/order_expired.txt",
}


def order_email_send(*, order_id: int, kind: str) -> bool:
    """Send the ``kind`` email for an order; False if already sent, the order is gone, or the kind is unknown."""
    if kind not in SUBJECTS:
        return False
    order = Order.objects.select_related("user").prefetch_related("items").filter(pk=order_id).first()
    if order is None:
        return False
    try:
        with transaction.atomic():
            claim = OrderNotification.objects.create(order=order, kind=kind)
    except IntegrityError:
        return False
    try:
        send_mail(
            subject=SUBJECTS[kind].format(key=order.order_key),
            message=render_to_string(TEMPLATES[kind], {"order": order, "user": order.user, "kind": kind}),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[order.user.email],
        )
    except Exception:
        claim.delete()  # let the retry send it
        raise
    return True
