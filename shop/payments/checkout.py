"""Checkout with its payment: the orchestration the order endpoints run. It lives on the payments side, above the
orders app (AGENTS.md rule 11): the order is placed by ``shop.orders.services.order_create``, then its payment is
opened by ``payment_start``; a payment that cannot start undoes the checkout (``order_create_undo``)."""

from django.utils import timezone

from shop.cart.selectors import cart_holds_anything
from shop.cart.services import cart_clear
from shop.core.errors import CoreErrorCode
from shop.core.exceptions import ApplicationError
from shop.core.idempotency import request_in_progress
from shop.core.metrics import record_checkout
from shop.orders.models import Order
from shop.orders.services import LineRequest, order_create, order_create_undo

from .methods import PaymentMethod, default_method, method_get
from .models import Payment, opening_window
from .services import payment_reserve_for_checkout, payment_start


def _checkout_settling(order: Order, payment: Payment) -> bool:
    """Whether the request that placed ``order`` (under the same Idempotency-Key) is still settling its payment: the
    attempt awaits the gateway's answer, or the gateway failed it and that request is about to undo the checkout
    (its attempt failed, the order not cancelled yet). Bounded by ``opening_window()``: a request that died
    there leaves the order to be answered as it stands."""
    if payment.awaits_gateway():
        return True
    return (payment.status == Payment.Status.FAILED and not payment.provider_payment_id
            and payment.idempotency_key == f"checkout-{order.order_key}" and order.status != Order.Status.CANCELLED
            and payment.updated_at > timezone.now() - opening_window())


def order_place_and_pay(*, user, lines: list[LineRequest] | None = None, payment_method: str | None = None,
                        return_url: str = "", base_url: str = "",
                        **checkout) -> tuple[Order, bool, Payment | None]:
    """Place an order (from the cart, or from ``lines``: a direct order), then open its payment with the chosen
    method. Returns ``(order, created, payment)``; ``checkout``: ``order_create``'s other keyword arguments.

    ``payment_method`` is a method code or number; without one, the shop's default method is used
    (``shop.payments.methods.default_method``: ``DEFAULT_PAYMENT_METHOD``, else the first active method), and no
    payment is opened when there is none. A direct order (``lines``) also empties the user's cart, its voucher
    code too, once it is placed and its payment opened, as a cart checkout does (the cart's code held no use: a
    code is reserved only by the order placed with it, so dropping it releases nothing; a direct order sends its
    own ``voucher``). An order whose total is 0 is placed paid with no method (``order_create``): no payment is
    opened, whatever ``payment_method`` said. ``return_url`` and ``base_url`` go to ``payment_start`` (where a
    hosted payment page sends the customer back; this API's public base as the customer reached it).

    The gateway is called after the order commits (no row lock is held across the network). If it cannot
    start the payment (down, 5xx, refused), the checkout is undone: the order is cancelled with its stock
    restored, the cart refilled as it was, and the error (503 or 400) goes to the client; the failed attempt
    stays recorded on the cancelled order. The same request (its Idempotency-Key) sent while that is still under
    way is the 409 ``request_in_progress``: its answer is not known yet (``_checkout_settling``).

    Staff's method settings are read once (the checkout and the payment use that reading), and a new order's
    payment attempt is reserved in the checkout's own transaction (``payment_reserve_for_checkout``).
    """
    method: PaymentMethod | None
    if not payment_method:
        method = default_method()
        payment_method = method.id if method else None
    else:
        method = method_get(payment_method)  # None: order_create refuses the method (or replays an earlier order)
    reserved: list[Payment] = []

    def reserve(order: Order) -> None:
        if order.payment_method and method is not None:
            reserved.append(payment_reserve_for_checkout(order=order, method=method,
                                                         idempotency_key=f"checkout-{order.order_key}"))

    try:
        order, created = order_create(user=user, lines=lines, payment_method=payment_method, method=method,
                                      placed=reserve, **checkout)
    except ApplicationError as exc:
        record_checkout(exc.code)
        raise
    if not created:
        payment = Payment.objects.filter(order=order).order_by("-id").first() if order.payment_method else None
        if payment is not None and _checkout_settling(order, payment):
            # Its answer is not known yet: replaying the order now would show one the gateway may still undo.
            record_checkout(CoreErrorCode.REQUEST_IN_PROGRESS)
            raise request_in_progress()
        record_checkout("replayed")
        return order, created, payment
    record_checkout("placed")
    payment = None
    if order.payment_method:
        try:
            payment = payment_start(order_id=order.pk, user=user, method_id=order.payment_method,
                                    idempotency_key=f"checkout-{order.order_key}", return_url=return_url,
                                    base_url=base_url, announce_order=True, method=method,
                                    reserved=reserved[0] if reserved else None)
        except ApplicationError as exc:
            order_create_undo(order_id=order.pk, refill_cart=lines is None)
            record_checkout(f"undone_{exc.code}")
            # The order stays visible, cancelled (``payment_unavailable``), as the record of what happened; the
            # answer says so, so "nothing changed" is never claimed for an order the customer can see.
            exc.message = (f"{exc.message} Order {order.order_key} was cancelled and its stock released"
                           f"{'; your cart is as it was' if lines is None else ''}.")
            exc.extra = {**exc.extra, "order_id": order.pk, "order_status": Order.Status.CANCELLED}
            raise
    # A direct order empties the cart too ("on successful create, the user's cart is cleared"), once its payment
    # has opened: an undone checkout leaves the cart as it was. An empty cart costs one query, not a transaction (a
    # line added meanwhile stays, as if added just after).
    if lines is not None and cart_holds_anything(user=user):
        cart_clear(user=user)
    return order, created, payment
