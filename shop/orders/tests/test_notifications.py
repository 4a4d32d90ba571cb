"""The confirmation e-mail as a Celery worker sends it: outside any transaction, its claim row one INSERT (no BEGIN
and COMMIT around it), and a duplicate task sends nothing."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import OrderNotification
from shop.orders.notifications import order_email_send
from shop.orders.tests.factories import place_order


@pytest.mark.django_db(transaction=True)
def test_a_worker_claims_and_sends_once_with_no_transaction_around_the_claim(user):
    order = place_order(user=user, product=ProductFactory(stock_quantity=5))
    OrderNotification.objects.filter(order=order).delete()
    mail.outbox.clear()

    with CaptureQueriesContext(connection) as queries:
        assert order_email_send(order_id=order.pk, kind="confirmation") is True
    assert order_email_send(order_id=order.pk, kind="confirmation") is False

    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    assert OrderNotification.objects.filter(order=order, kind="confirmation").count() == 1
    statements = [query["sql"].split()[0] for query in queries.captured_queries]
    assert statements == ["SELECT", "SELECT", "INSERT"], statements  # the order with its lines, the claim
