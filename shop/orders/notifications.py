"""Order emails. Each (order, kind) is sent at most once: the claim row is written before sending and
removed again if sending fails, so a retry sends it and a duplicate task does not.

Kinds: ``confirmation``, ``shipped``, ``delivered``, ``cancelled``, ``expired``, and ``refund:<refund id>`` (one
e-mail per refund that leaves the order open, e.g. a partial refund; a refund that cancels the order is told by
the cancellation e-mail, which says what was refunded or is on its way).
"""


from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from .hooks import order_email_payment_facts
from .models import Order, OrderNotification, Shipment

SUBJECTS = {
    "confirmation": "Your order {key} is confirmed",
    "shipped": "Your order {key} has shipped",
    "delivered": "Your order {key} was delivered",
    "cancelled": "Your order {key} was cancelled",
    "expired": "Your order {key} expired unpaid",
    "refund": "A refund for your order {key}",
}
TEMPLATES = {
    "confirmation": "orders/order_confirmation.txt",
    "shipped": "orders/order_status.txt",
    "delivered": "orders/order_status.txt",
    "cancelled": "orders/order_status.txt",
    "expired": "orders/order_expired.txt",
    "refund": "orders/order_refund.txt",
}


def _recipient(order: Order) -> str:
    """A customer's current e-mail; a guest's the one given at checkout."""
    return order.user.email if order.user is not None else order.email


def _context(order: Order, kind: str, refund_id: int | None) -> dict | None:
    address = getattr(order, "shipping_address", None)
    # A guest has no account: the greeting uses the name on the shipping address.
    greeted = order.user or {"first_name": getattr(address, "full_name", ""), "email": order.email}
    context = {"order": order, "user": greeted, "kind": kind}
    if kind == "confirmation" and order.user is None:
        from .guest import order_access_expires_in, order_access_link

        # A fresh token, signed now: the link works for GUEST_ORDER_LINK_DAYS from this e-mail.
        context["guest_link"] = order_access_link(order)
        context["guest_link_days"] = order_access_expires_in().days
    if kind in ("shipped", "delivered"):
        context["shipment"] = Shipment.objects.filter(order=order).first()
    if kind in ("cancelled", "refund"):
        # What comes back to the customer is the payments app's to say (``shop.payments.notifications``).
        facts = order_email_payment_facts(order=order, kind=kind, refund_id=refund_id)
        if facts is None:
            return None
        context.update(facts)
    return context


def _claim(order: Order, kind: str) -> OrderNotification:
    """The claim row (IntegrityError: this e-mail was claimed already). A task runs outside any transaction: the
    INSERT commits alone, with no BEGIN and COMMIT around it; inside one (a caller's, a test's) a savepoint keeps
    the duplicate's error from breaking that transaction."""
    if not transaction.get_connection().in_atomic_block:
        return OrderNotification.objects.create(order=order, kind=kind)
    with transaction.atomic():
        return OrderNotification.objects.create(order=order, kind=kind)


def order_email_send(*, order_id: int, kind: str) -> bool:
    """Send the ``kind`` email for an order; False if already sent, the order (or the refund of a
    ``refund:<id>`` kind) is gone or failed, or the kind is unknown."""
    base, _, refund_id = kind.partition(":")
    if base not in SUBJECTS or (base == "refund") != refund_id.isdigit():
        return False
    order = (Order.objects.select_related("user", "shipping_address").prefetch_related("items")
             .filter(pk=order_id).first())
    if order is None:
        return False
    context = _context(order, base, int(refund_id) if refund_id else None)
    if context is None:
        return False
    try:
        claim = _claim(order, kind)
    except IntegrityError:
        return False
    try:
        send_mail(
            subject=SUBJECTS[base].format(key=order.order_key),
            message=render_to_string(TEMPLATES[base], context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[_recipient(order)],
        )
    except Exception:
        claim.delete()  # let the retry send it
        raise
    return True
