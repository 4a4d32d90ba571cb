"""What the orders app needs from the apps above it, without importing them.

The orders app sits below payments (AGENTS.md rule 11): it never imports ``shop.payments``. Where an order's life
needs the payments side, it calls a hook here, which ``PaymentsConfig.ready()`` fills at start-up:

- ``order_cancelled_run(order)``: an order was cancelled (its row locked, its stock restored, its status saved):
  close its open payment attempts and give back money it kept (``payments_cancel_for_order``).
- ``payment_method_offered(ref)``: the payment method a checkout names (code or number), as offered now with
  staff's limits; it raises the refusal every endpoint taking a method answers (400 ``invalid_payment_method``
  for no method at all, ``method_unavailable`` for one not offered). Checkout checks it against the order's total
  inside its transaction.
- ``payment_method_pays_on_delivery(code)``: whether the method an order was placed with takes no online
  payment (cash on delivery), enabled or not today; the fulfilment policy lets such an order ship unpaid.
- ``order_email_payment_facts(order=, kind=, refund_id=)``: what a ``cancelled`` or ``refund`` e-mail says comes
  back to the customer (template context), or None when there is nothing to send (the refund failed or is gone).

With no payments app registered, no method is offered and cancelling touches no payment.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from shop.core.exceptions import ApplicationError

from .errors import OrderErrorCode

if TYPE_CHECKING:
    from .models import Order


class PaymentMethodFacts(Protocol):
    """What checkout reads of a payment method (``shop.payments.methods.PaymentMethod`` is one)."""

    @property
    def id(self) -> str: ...

    @property
    def is_online(self) -> bool: ...

    def refusal(self, *, total: Decimal, currency: str) -> str | None: ...


OrderCallback = Callable[["Order"], None]

_order_cancelled: list[OrderCallback] = []
_method_offered: list[Callable[[str], PaymentMethodFacts]] = []
_pays_on_delivery: list[Callable[[str], bool]] = []
_email_facts: list[Callable[..., dict | None]] = []


def order_cancelled_register(callback: OrderCallback) -> None:
    """Call ``callback(order)`` whenever an order is cancelled (once per callback, however often registered)."""
    if callback not in _order_cancelled:
        _order_cancelled.append(callback)


def payment_methods_register(*, offered: Callable[[str], PaymentMethodFacts],
                             pays_on_delivery: Callable[[str], bool]) -> None:
    """Name the payments app's method lookups (a second registration replaces the first)."""
    _method_offered[:] = [offered]
    _pays_on_delivery[:] = [pays_on_delivery]


def order_email_facts_register(facts: Callable[..., dict | None]) -> None:
    """Name the payments app's e-mail facts (``facts(order=, kind=, refund_id=) -> dict | None``)."""
    _email_facts[:] = [facts]


def order_email_payment_facts(*, order: Order, kind: str, refund_id: int | None) -> dict | None:
    """The payment facts an order e-mail of ``kind`` shows (``{}`` without a payments app)."""
    return _email_facts[0](order=order, kind=kind, refund_id=refund_id) if _email_facts else {}


def order_cancelled_run(order: Order) -> None:
    """Run the "order cancelled" callbacks, with ``order`` locked, inside the cancelling transaction."""
    for callback in _order_cancelled:
        callback(order)


def payment_method_offered(ref: str) -> PaymentMethodFacts:
    """The offered method named by ``ref`` (code or number); raises the payments app's refusal (400
    ``invalid_payment_method`` or ``method_unavailable``, naming ``payment_method``), or, without a payments app,
    ``method_unavailable``: none is offered."""
    if not _method_offered:
        raise ApplicationError(f"Payment method '{ref}' is not available.", code=OrderErrorCode.METHOD_UNAVAILABLE,
                               extra={"errors": {"payment_method": ["No payment method is offered."]}})
    return _method_offered[0](ref)


def payment_method_pays_on_delivery(code: str) -> bool:
    """Whether ``code`` names a method paid on delivery (no online payment), offered today or not."""
    return _pays_on_delivery[0](code) if _pays_on_delivery else False
