"""Migration 0010 turns the at-most-once claim rows into claimed/sent rows: every row written before it stays sent."""

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import OrderNotification
from shop.orders.notifications import order_email_send
from shop.orders.services import order_emails_sweep
from shop.orders.tests.factories import place_order

BEFORE = ("orders", "0009_money_three_decimals")
AFTER = ("orders", "0010_notification_claims")


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([target])


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_migration_stay_sent(user):
    order = place_order(user=user, product=ProductFactory(stock_quantity=5))
    OrderNotification.objects.filter(order=order).delete()
    mail.outbox.clear()
    sent_at = datetime(2026, 11, 1, 12, 30, tzinfo=UTC)
    try:
        _migrate(BEFORE)
        old_model = MigrationExecutor(connection).loader.project_state([BEFORE]).apps.get_model(
            "orders", "OrderNotification")
        old_model.objects.create(order_id=order.pk, kind="confirmation", sent_at=sent_at)
        old_model.objects.create(order_id=order.pk, kind="shipped", sent_at=sent_at)
    finally:
        _migrate(AFTER)

    rows = list(OrderNotification.objects.filter(order=order).order_by("kind")
                .values_list("kind", "sent_at", "claimed_at", "claimed_by"))
    assert rows == [("confirmation", sent_at, sent_at, ""), ("shipped", sent_at, sent_at, "")]
    assert order_email_send(order_id=order.pk, kind="confirmation", claim_token="task-1") is False
    assert order_emails_sweep() == 0
    assert mail.outbox == []
