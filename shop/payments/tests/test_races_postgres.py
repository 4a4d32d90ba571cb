"""Races between a payment succeeding and the order being cancelled or expiring, on real PostgreSQL row locks.

Whatever the interleaving, the end state is one of the two consistent ones: a paid order that was not
cancelled, or a cancelled order whose money went back. Never a paid order whose stock was restored.
"""

from decimal import Decimal

import pytest

from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order
from shop.orders.services import order_cancel, order_expire
from shop.orders.tests.factories import place_order
from shop.payments.models import Payment
from shop.payments.providers.base import WebhookEvent
from shop.payments.services import payment_start, webhook_process
from tests.concurrency import raised, run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run_together(*targets) -> list[Exception]:
    """What the targets raised, run at once (``[]``: every one returned)."""
    return raised(run_concurrently(*targets))


def _succeeded_event(payment: Payment, n: int) -> WebhookEvent:
    return WebhookEvent(provider="stripe", event_id=f"evt_race_{payment.pk}_{n}", event_type="payment_intent.succeeded",
                        provider_payment_id=payment.provider_payment_id, reference=f"pay_{payment.pk}",
                        status="succeeded", amount=payment.amount, currency=payment.currency)


def _assert_consistent(order_id: int, product, initial_stock: int, quantity: int):
    order = Order.objects.get(pk=order_id)
    payment = Payment.objects.get(order=order)
    product.refresh_from_db()
    if order.status == "cancelled":
        assert product.stock_quantity == initial_stock, "cancelled order must have its stock back, once"
        assert payment.status in ("cancelled", "refunded"), payment.status
        assert not order.is_fully_paid
    else:
        assert order.status == "processing" and order.is_fully_paid
        assert payment.status == "succeeded"
        assert product.stock_quantity == initial_stock - quantity


@pytest.mark.parametrize("round_", range(4))
def test_webhook_succeeded_racing_customer_cancel(user, stripe_on, round_):
    product = ProductFactory(price=Decimal("20.00"), stock_quantity=10)
    order = place_order(user=user, product=product, quantity=3)
    payment = payment_start(order_id=order.pk, user=user, method_id="stripe")
    stripe_on.succeed(payment.provider_payment_id)

    def cancel():
        try:
            order_cancel(order_id=order.pk, by=user, owner=user)
        except Exception as exc:
            if getattr(exc, "code", "") not in ("order_paid",):
                raise

    errors = _run_together(lambda: webhook_process(provider_name="stripe", event=_succeeded_event(payment, round_)),
                           cancel)

    assert errors == []
    # A cancel that won the race leaves a succeeded payment on a cancelled order: the webhook flags it and the
    # refund task (eager here, run on commit) gives the money back.
    _assert_consistent(order.pk, product, 10, 3)


@pytest.mark.parametrize("round_", range(4))
def test_webhook_succeeded_racing_expiry(user, stripe_on, round_):
    product = ProductFactory(price=Decimal("20.00"), stock_quantity=10)
    order = place_order(user=user, product=product, quantity=2)
    payment = payment_start(order_id=order.pk, user=user, method_id="stripe")
    stripe_on.succeed(payment.provider_payment_id)
    deadline = Order.objects.get(pk=order.pk).payment_deadline

    errors = _run_together(lambda: webhook_process(provider_name="stripe", event=_succeeded_event(payment, round_)),
                           lambda: order_expire(order_id=order.pk, now=deadline))

    assert errors == []
    _assert_consistent(order.pk, product, 10, 2)


def test_concurrent_refunds_never_exceed_the_payment(user, staff_user, stripe_on):
    product = ProductFactory(price=Decimal("50.00"), stock_quantity=10)
    order = place_order(user=user, product=product, quantity=2)
    payment = payment_start(order_id=order.pk, user=user, method_id="stripe")
    stripe_on.succeed(payment.provider_payment_id)
    webhook_process(provider_name="stripe", event=_succeeded_event(payment, 99))
    from shop.payments.services import payment_refund

    outcomes = []

    def refund():
        try:
            payment_refund(payment_id=payment.pk, user=staff_user, amount=Decimal("60.00"))  # partial: staff
            outcomes.append("ok")
        except Exception as exc:
            outcomes.append(getattr(exc, "code", repr(exc)))

    errors = _run_together(refund, refund, refund)

    assert errors == []
    assert sorted(outcomes) == ["ok", "refund_exceeds_balance", "refund_exceeds_balance"]
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("60.00")
    assert len([r for r in stripe_on.requests if r[1] == "/v1/refunds"]) == 1
