"""The broker (Redis) down when an order change commits: the change succeeds, and its customer e-mail is not lost.

Each order e-mail's claim row (``OrderNotification``) is written in the change's own transaction, claimed for the
task queued after the commit; with no broker to take that task, the claim goes stale after the lease and the
orders app's sweep (``order_emails_sweep``, Celery beat every minute) hands it to a new task, which sends it exactly
once. Before, the claim was written by the task itself: a broker down at commit lost the e-mail for good (logged).
The broker is really unreachable here (the ``broker_down`` fixture: Celery publishing to a port nobody listens
on); the mail goes to Django's locmem outbox."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db.models.functions import Now

from shop.cart.models import CartItem
from shop.cart.tests.factories import CartItemFactory
from shop.catalog.tests.factories import ProductFactory
from shop.core.email_claims import CLAIM_LEASE_SECONDS
from shop.orders.models import Order, OrderNotification
from shop.orders.services import order_emails_sweep
from shop.orders.tasks import order_emails_sweep_task, send_order_email
from shop.orders.tests.factories import place_order

QUEUE_FAILED = "could not queue task shop.orders.tasks.send_order_email"


def _past_the_lease() -> None:
    """Every claim as old as a task that never came leaves it: the lease over (by the database's clock)."""
    OrderNotification.objects.update(claimed_at=Now() - timedelta(seconds=CLAIM_LEASE_SECONDS + 5))


def _the_sweep_sends_it_once(claim: OrderNotification) -> None:
    """The broker is back: the sweep leaves a fresh claim to its own task, hands a stale one to a new task that
    sends it, and never sends one that was sent; the original task, arriving after all, sends nothing."""
    assert order_emails_sweep() == 0  # fresh: its own task may still come
    _past_the_lease()
    assert order_emails_sweep_task.delay().get() == 1
    assert order_emails_sweep() == 0
    _past_the_lease()  # sent rows are never stale, however old
    assert order_emails_sweep() == 0
    claim.refresh_from_db()
    assert claim.sent_at is not None
    assert send_order_email.apply(args=(claim.order_id, claim.kind), task_id=claim.claimed_by).get() is False


def _subjects() -> list[str]:
    return [message.subject for message in mail.outbox]


@pytest.mark.django_db(transaction=True)
def test_a_checkout_the_broker_never_took_is_confirmed_by_the_sweep_exactly_once(user, user_client, broker_down,
                                                                                 caplog):
    product = ProductFactory(stock_quantity=3)
    CartItemFactory(cart__user=user, product=product, quantity=1)

    response = user_client.post("/orders/checkout/", {})

    assert response.status_code == 201
    order = Order.objects.get()
    assert order.status == "processing"
    assert not CartItem.objects.exists()
    assert QUEUE_FAILED in caplog.text
    assert mail.outbox == []
    [claim] = OrderNotification.objects.all()
    assert (claim.order_id, claim.kind, claim.sent_at) == (order.pk, "confirmation", None)
    queued_for = claim.claimed_by
    broker_down()  # the broker is back (the tests' inline Celery)

    _the_sweep_sends_it_once(claim)

    assert _subjects() == [f"Your order {order.order_key} is confirmed"]
    assert mail.outbox[0].to == [user.email]
    assert claim.claimed_by != queued_for  # sent by the sweep's task
    assert send_order_email.apply(args=(order.pk, "confirmation"), task_id=queued_for).get() is False
    assert len(mail.outbox) == 1


def _placed_then_broker_down(request, user, **kwargs) -> Order:
    """An order placed while the broker is up (its confirmation sent at once), then the broker goes down."""
    order = place_order(user=user, product=ProductFactory(price=Decimal("30.00"), stock_quantity=3), **kwargs)
    assert _subjects() == [f"Your order {order.order_key} is confirmed"]
    request.getfixturevalue("broker_down")
    return order


@pytest.mark.django_db(transaction=True)
def test_a_cancellation_the_broker_never_took_is_told_by_the_sweep_exactly_once(request, user, user_client, caplog):
    order = _placed_then_broker_down(request, user)

    response = user_client.post(f"/orders/{order.pk}/cancel/")

    assert response.status_code == 200, response.content
    assert response.json() == {"message": "Order cancelled successfully"}
    assert QUEUE_FAILED in caplog.text
    claim = OrderNotification.objects.get(order=order, kind="cancelled")
    assert claim.sent_at is None
    request.getfixturevalue("broker_down")()  # back

    _the_sweep_sends_it_once(claim)

    assert _subjects() == [f"Your order {order.order_key} is confirmed", f"Your order {order.order_key} was cancelled"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("amount, kind, subject", [
    ("5.00", "refund:{refund_id}", "A refund for your order {key}"),  # partial: the order goes on
    (None, "cancelled", "Your order {key} was cancelled"),  # in full: the order is cancelled, and says so
])
def test_a_refund_the_broker_never_took_is_told_by_the_sweep_exactly_once(request, user, staff_user, staff_client,
                                                                          caplog, amount, kind, subject):
    order = _placed_then_broker_down(request, user, paid=True)
    payment = order.payments.get()

    response = staff_client.post("/payments/refund/", {"payment_id": payment.pk, **({"amount": amount} if amount
                                                                                     else {})}, format="json")

    assert response.status_code == 200, response.content
    assert QUEUE_FAILED in caplog.text
    assert response.json()["message"] == "Payment refunded successfully."
    kind = kind.format(refund_id=response.json()["refund"]["id"])
    claim = OrderNotification.objects.get(order=order, kind=kind)
    assert claim.sent_at is None
    request.getfixturevalue("broker_down")()  # back

    _the_sweep_sends_it_once(claim)

    assert _subjects() == [f"Your order {order.order_key} is confirmed", subject.format(key=order.order_key)]
