"""An order is read in several queries; a payment committed between them must not show up in some and not others.

A webhook that marks the payment succeeded and the order paid commits both at once. Here that commit lands right
after the read's first query (the order row, or the list's count), from another connection, as a real webhook
would; the answer must then show the order and its payment both as they were before it (one snapshot), never the
order unpaid beside its payment succeeded. PostgreSQL only: under its READ COMMITTED default each statement sees
what had committed when it began.
"""

import threading

import pytest
from django.db import connection, connections, transaction

from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order
from shop.orders.selectors import order_get
from shop.payments.models import Payment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _pay_elsewhere(order_id: int) -> None:
    """The webhook's effect, committed on another connection: payment succeeded, order paid."""

    def pay():
        try:
            with transaction.atomic():
                Payment.objects.filter(order_id=order_id).update(status=Payment.Status.SUCCEEDED)
                Order.objects.filter(pk=order_id).update(payment_status=Order.PaymentStatus.PAID)
        finally:
            connections.close_all()

    thread = threading.Thread(target=pay)
    thread.start()
    thread.join(timeout=10)


class _PayAfterFirstQuery:
    """A Django execute wrapper (``connection.execute_wrapper``) that commits the payment elsewhere once the
    read's first statement on the orders table has run (the order row; a page's count), not before: a request
    reads its user first."""

    def __init__(self, order_id: int) -> None:
        self.order_id, self.fired = order_id, False

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not self.fired and f'"{Order._meta.db_table}"' in sql:
            self.fired = True
            _pay_elsewhere(self.order_id)
        return result


def _placed_with_open_payment(user_client) -> int:
    product = ProductFactory(stock_quantity=5)
    added = user_client.post("/cart/items/", {"product_id": product.pk, "quantity": 1}, format="json")
    assert added.status_code in (200, 201), added.content
    placed = user_client.post("/orders/checkout/", {"payment_method": "sandbox", "shipping_address": {
        "full_name": "Ada L", "address_line_1": "1 Analytical St", "city": "London", "country": "GB"}}, format="json")
    assert placed.status_code == 201, placed.content
    return placed.json()["id"]


def test_one_order_reads_as_of_one_moment(user, user_client):
    order_id = _placed_with_open_payment(user_client)
    wrapper = _PayAfterFirstQuery(order_id)

    with connection.execute_wrapper(wrapper):
        order = order_get(order_id=order_id)

    assert wrapper.fired
    assert order.payment_status == Order.PaymentStatus.UNPAID
    assert [payment.status for payment in order.payments.all()] == [Payment.Status.PENDING]
    # The payment did commit: the next read sees both sides of it.
    again = order_get(order_id=order_id)
    assert again.payment_status == Order.PaymentStatus.PAID
    assert [payment.status for payment in again.payments.all()] == [Payment.Status.SUCCEEDED]


def test_a_page_of_orders_reads_as_of_one_moment(user, user_client):
    order_id = _placed_with_open_payment(user_client)
    wrapper = _PayAfterFirstQuery(order_id)

    with connection.execute_wrapper(wrapper):
        listed = user_client.get("/orders/")

    assert wrapper.fired and listed.status_code == 200
    (order,) = listed.json()["results"]
    assert order["payment_status"] == "unpaid"
    assert [payment["status"] for payment in order["payments"]] == ["pending"]
    assert order["next_step"]  # still open in that snapshot
    assert user_client.get("/orders/").json()["results"][0]["payment_status"] == "paid"


def test_a_snapshot_leaves_the_connection_as_it_found_it(user, user_client):
    order_id = _placed_with_open_payment(user_client)
    order_get(order_id=order_id)

    with connection.cursor() as cursor:
        cursor.execute("SHOW transaction_isolation")
        isolation = cursor.fetchone()[0]
        cursor.execute("SHOW transaction_read_only")
        read_only = cursor.fetchone()[0]
    assert (isolation, read_only) == ("read committed", "off")
    # And a write right after the read is not refused as a write in a read-only transaction.
    Order.objects.filter(pk=order_id).update(notes="Leave it at the door")
    assert Order.objects.get(pk=order_id).notes == "Leave it at the door"
