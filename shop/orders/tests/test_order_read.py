"""``order_get`` reads one order through queries compiled once (``shop.orders.selectors._order_read``); it must
answer exactly what ``order_queryset()`` (the ORM's ``select_related`` + ``prefetch_related``, which order lists
still use) answers for the same order, in as many queries, with every related row linked back as the prefetch
links it (no query when a serializer walks from a line, payment, discount or tracking event to its parent)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shop.catalog.tests.factories import ProductFactory, ProductVariantFactory
from shop.discounts.tests.factories import VoucherFactory
from shop.orders.api.serializers import OrderOutput
from shop.orders.guest import order_access_token
from shop.orders.models import Order
from shop.orders.selectors import guest_order_get, order_get, order_queryset
from shop.orders.tests.factories import ShippingMethodFactory, place_order
from shop.payments.models import Refund

pytestmark = pytest.mark.django_db


def _read_both(order_id: int, **kwargs):
    with CaptureQueriesContext(connection) as orm:
        expected = order_queryset().filter(pk=order_id).first()
        expected_data = OrderOutput(expected).data
    with CaptureQueriesContext(connection) as compiled:
        got = order_get(order_id=order_id, **kwargs)
        got_data = OrderOutput(got).data
    return expected_data, got_data, len(orm), len(compiled), got


def test_a_shipped_partly_refunded_order_with_a_voucher_reads_as_the_orm_reads_it(user, user_client, staff_client):
    plain = ProductFactory(price=Decimal("40.00"), stock_quantity=9)
    shirt = ProductFactory(price=Decimal("20.00"), stock_quantity=0)
    small = ProductVariantFactory(product=shirt, price_override=Decimal("21.00"), stock_quantity=6)
    VoucherFactory(code="TEN", name="Ten off")
    user_client.post("/cart/items/", {"product_id": plain.pk, "quantity": 2}, format="json")
    user_client.post("/cart/items/", {"product_id": shirt.pk, "variant_id": small.pk, "quantity": 1}, format="json")
    assert user_client.post("/cart/voucher/", {"code": "TEN"}, format="json").status_code == 200
    placed = user_client.post("/orders/checkout/", {
        "payment_method": "sandbox", "shipping_address": {
            "full_name": "Ada L", "address_line_1": "1 Analytical St", "city": "London", "country": "GB"}},
        format="json")
    assert placed.status_code == 201, placed.content
    order_id, payment_id = placed.json()["id"], placed.json()["payment_id"]
    assert user_client.post(f"/payments/sandbox/{payment_id}/succeed/").status_code == 200
    assert staff_client.patch(f"/orders/{order_id}/", {"status": "shipped"}, format="json").status_code == 200
    # A carrier clock a minute ahead (within the skew allowance): the event sorts after the shipped one.
    left_hub = (timezone.now() + timedelta(minutes=1)).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert staff_client.post(f"/orders/admin/{order_id}/shipment/events/", {
        "status": "IN_TRANSIT", "message": "Left the hub", "occurred_at": left_hub}).status_code == 201
    refunded = staff_client.post("/payments/refund/", {"payment_id": payment_id, "amount": "5.00"}, format="json")
    assert refunded.status_code == 200, refunded.content

    expected, got, orm_queries, compiled_queries, order = _read_both(order_id)

    assert got == expected
    assert got["discounts"] and len(got["items"]) == 2 and len(got["shipment"]["events"]) >= 2
    assert any(Decimal(line["refunded_amount"]) > 0 for line in got["items"])
    assert compiled_queries == orm_queries == 6
    with CaptureQueriesContext(connection) as walking:
        parents = [line.order for line in order.items.all()] + [payment.order for payment in order.payments.all()]
        parents += [discount.order for discount in order.discounts.all()]
        parents += [change.order for change in order.status_history.all()]
        assert {event.shipment for event in order.shipment.events.all()} == {order.shipment}
    assert len(walking) == 0
    assert all(parent is order for parent in parents)


def test_an_order_with_its_shipping_refunded_reads_as_the_orm_reads_it(user_client, staff_client):
    """The shipping's refunded figures are annotations of the order's own row in both reads (no query more); a
    refund that failed counts in neither."""
    plain = ProductFactory(price=Decimal("40.00"), stock_quantity=9)
    courier = ShippingMethodFactory(price=Decimal("6.00"))
    placed = user_client.post("/orders/checkout/", {
        "payment_method": "sandbox", "shipping_method": courier.pk, "items": [{"product_id": plain.pk}],
        "shipping_address": {"full_name": "Ada L", "address_line_1": "1 Analytical St", "city": "London",
                             "country": "GB"}}, format="json")
    assert placed.status_code == 201, placed.content
    order_id, payment_id = placed.json()["id"], placed.json()["payment_id"]
    assert user_client.post(f"/payments/sandbox/{payment_id}/succeed/").status_code == 200
    for body in ({"shipping": True}, {"amount": "4.00"}):
        assert staff_client.post("/payments/refund/", {"payment_id": payment_id, **body},
                                 format="json").status_code == 200
    Refund.objects.filter(amount=Decimal("4.00")).update(status=Refund.Status.FAILED)

    expected, got, orm_queries, compiled_queries, _ = _read_both(order_id)

    assert got == expected
    assert (got["shipping"]["refunded_amount"], got["shipping"]["refunded_tax"]) == ("6.00", "0.00")
    assert compiled_queries == orm_queries == 6


def test_an_order_without_shipment_or_payment_reads_in_five_queries(user):
    order = place_order(user=user, product=ProductFactory(stock_quantity=3))
    order.shipment.delete()  # an order from before shipments were recorded

    expected, got, orm_queries, compiled_queries, _ = _read_both(order.pk)

    assert got == expected and got["shipment"] is None
    assert compiled_queries == orm_queries == 5


def test_someone_elses_order_a_missing_one_and_an_id_past_64_bits_are_none(user, other_user):
    order = place_order(user=user, product=ProductFactory(stock_quantity=3))

    assert order_get(order_id=order.pk, user=user).pk == order.pk
    assert order_get(order_id=order.pk, user=other_user) is None
    assert order_get(order_id=order.pk + 1000) is None
    assert order_get(order_id=2**63) is None


def test_a_guest_read_needs_the_orders_own_key_and_no_owner(user):
    order = place_order(user=user, product=ProductFactory(stock_quantity=3))
    token = order_access_token(order)  # a token for it (as if issued at checkout)

    assert guest_order_get(order_key=order.order_key, token=token) is None  # a customer's order: not a guest's
    Order.objects.filter(pk=order.pk).update(user=None, email="guest@example.com")  # now a guest's
    assert guest_order_get(order_key=order.order_key, token=token).pk == order.pk
    assert guest_order_get(order_key=order.order_key, token=token[:-2]) is None
