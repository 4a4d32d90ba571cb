from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order, OrderNotification
from shop.orders.notifications import OrderEmailInProgress, order_email_send
from shop.orders.services import expire_unpaid_orders, order_expire
from shop.orders.tasks import expire_unpaid_orders_task, send_order_email

from .factories import place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return ProductFactory(name="Kettle", stock_quantity=10)


def _overdue(order: Order) -> Order:
    Order.objects.filter(pk=order.pk).update(payment_deadline=timezone.now() - timedelta(seconds=1))
    order.refresh_from_db()
    return order


def _stock(product) -> int:
    product.refresh_from_db()
    return product.stock_quantity


def test_overdue_unpaid_order_expires_restores_stock_and_mails(user, product, django_capture_on_commit_callbacks):
    order = _overdue(place_order(user=user, product=product, quantity=3))
    assert _stock(product) == 7

    with django_capture_on_commit_callbacks(execute=True):
        assert expire_unpaid_orders() == 1

    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == ("cancelled", "expired")
    assert _stock(product) == 10
    change = order.status_history.last()
    assert (change.from_status, change.to_status, change.changed_by_id, change.reason) == (
        "processing", "cancelled", None, "expired")
    assert [m.subject for m in mail.outbox] == [f"Your order {order.order_key} expired unpaid"]
    assert expire_unpaid_orders() == 0  # exactly once
    assert _stock(product) == 10


def test_order_within_its_deadline_does_not_expire(user, product):
    order = place_order(user=user, product=product)

    assert expire_unpaid_orders() == 0
    assert order_expire(order_id=order.pk) is False
    assert expire_unpaid_orders(now=order.payment_deadline + timedelta(seconds=1)) == 1


def test_a_paid_order_never_expires(user, product):
    order = _overdue(place_order(user=user, product=product, paid=True))

    assert expire_unpaid_orders() == 0
    assert order_expire(order_id=order.pk) is False
    order.refresh_from_db()
    assert order.status == "processing"
    assert _stock(product) == 9


@pytest.mark.parametrize("status", ["shipped", "delivered", "cancelled"])
def test_orders_past_processing_never_expire(user, staff_user, product, status, settings):
    settings.ORDERS_ALLOW_UNPAID_FULFILMENT = True  # shipped unpaid: only the status keeps it from expiring
    order = _overdue(place_order(user=user, product=product, status=status, staff=staff_user, paid=False))
    stock = _stock(product)

    assert expire_unpaid_orders() == 0
    order.refresh_from_db()
    assert order.status == status
    assert _stock(product) == stock


def test_cash_on_delivery_orders_have_no_deadline_and_never_expire(user, product):
    order = place_order(user=user, product=product, payment_method="cod")

    assert order.payment_deadline is None
    assert expire_unpaid_orders(now=timezone.now() + timedelta(days=365)) == 0


def test_timeout_comes_from_settings(user, product, settings):
    settings.ORDER_PAYMENT_TIMEOUT_MINUTES = 5
    order = place_order(user=user, product=product, payment_method="sandbox")

    assert timedelta(minutes=4) < order.payment_deadline - timezone.now() <= timedelta(minutes=5)


def test_management_command_expires_once(user, product):
    order = _overdue(place_order(user=user, product=product, quantity=2))
    out = StringIO()

    call_command("expire_unpaid_orders", stdout=out)

    assert out.getvalue() == "expired 1 unpaid order(s)\n"
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert _stock(product) == 10


def test_celery_task_expires(user, product):
    order = _overdue(place_order(user=user, product=product))

    assert expire_unpaid_orders_task.delay().get() == 1
    order.refresh_from_db()
    assert order.cancel_reason == "expired"


def test_beat_schedule_runs_the_task_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["orders-expire-unpaid"]
    assert entry == {"task": "shop.orders.tasks.expire_unpaid_orders_task", "schedule": 60.0}
    from config.celery import app

    assert entry["task"] in app.tasks


def test_each_email_is_sent_once_even_when_the_task_runs_twice(user, product):
    order = place_order(user=user, product=product)  # its confirmation claimed for the task queued at commit
    queued = OrderNotification.objects.get(order=order, kind="confirmation").claimed_by

    assert send_order_email.apply(args=(order.pk, "confirmation"), task_id=queued).get() is True
    assert send_order_email.delay(order.pk, "confirmation").get() is False
    assert len(mail.outbox) == 1
    assert OrderNotification.objects.filter(order=order, kind="confirmation").count() == 1


def test_a_failed_send_can_be_retried(user, product, settings):
    order = place_order(user=user, product=product)
    sender = OrderNotification.objects.get().claimed_by  # the task queued when the order was placed
    settings.EMAIL_BACKEND = "shop.orders.tests.test_expiry.BrokenBackend"

    with pytest.raises(OSError):
        order_email_send(order_id=order.pk, kind="confirmation", claim_token=sender)
    assert OrderNotification.objects.get().sent_at is None  # kept for this sender's retry

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with pytest.raises(OrderEmailInProgress):  # anyone else waits for the lease
        order_email_send(order_id=order.pk, kind="confirmation", claim_token="sender-2")
    assert order_email_send(order_id=order.pk, kind="confirmation", claim_token=sender) is True
    assert len(mail.outbox) == 1


def test_unknown_kind_or_missing_order_sends_nothing(user, product):
    order = place_order(user=user, product=product)

    assert order_email_send(order_id=order.pk, kind="spam") is False
    assert order_email_send(order_id=999999, kind="confirmation") is False
    assert mail.outbox == []


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise OSError("SMTP server unreachable")


def test_an_eager_task_logs_no_kombu_hostname_warning(settings, caplog):
    """Without Redis, tasks run in-process; the in-memory broker URL names a host, so kombu has nothing to warn
    about on every e-mail (the tester saw "No hostname was supplied" under `make run`)."""
    import logging

    from django.conf import settings as live

    caplog.set_level(logging.WARNING, logger="kombu")
    assert send_order_email.delay(999999, "confirmation").get() is False
    assert [r.getMessage() for r in caplog.records if r.name.startswith("kombu")] == []
    if not live.REDIS_URL:
        assert live.CELERY_BROKER_URL == "memory://localhost/"
