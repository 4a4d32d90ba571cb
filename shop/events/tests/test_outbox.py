"""What each change records in the outbox: one event, in the change's transaction, with a per-resource sequence."""

from decimal import Decimal

import pytest

from shop.accounts.services import user_register
from shop.catalog.services import product_create, product_soft_delete, product_update
from shop.catalog.stock import StockLine, stock_deduct
from shop.catalog.tests.factories import CategoryFactory, ProductFactory, ProductVariantFactory
from shop.core.locking import TransactionRequired
from shop.events.models import Event
from shop.events.services import event_record
from shop.orders.services import order_cancel, order_set_status, shipment_event_add
from shop.payments.checkout import order_place_and_pay

pytestmark = pytest.mark.django_db


def _events(**filters):
    return list(Event.objects.filter(**filters).order_by("id").values_list("type", "sequence"))


def test_product_events_share_one_sequence(django_assert_max_num_queries):
    product = product_create(name="Lamp", slug="lamp", price=Decimal("5.00"), category=CategoryFactory())
    product_update(product=product, data={"price": Decimal("6.00")})
    product_soft_delete(product=product)

    assert _events(resource_id=product.pk) == [("product.created", 1), ("product.updated", 2),
                                               ("product.deleted", 3)]


def test_recording_is_one_query(django_assert_num_queries):
    from django.db import transaction

    with transaction.atomic(), django_assert_num_queries(1):
        event_record(type="customer.created", resource_id=1)
    assert _events(resource_id=1) == [("customer.created", 1)]


@pytest.mark.django_db(transaction=True)
def test_recording_outside_a_transaction_is_refused():
    with pytest.raises(TransactionRequired):
        event_record(type="customer.created", resource_id=1)


def test_a_registration_records_customer_created():
    user = user_register(email="Ada@Example.com", password="Sturdy-Passw0rd!")

    assert _events(resource_type="customer", resource_id=user.pk) == [("customer.created", 1)]


@pytest.mark.parametrize(("own", "default", "stock", "take", "low"), [
    (None, 5, 7, 2, True),    # 7 -> 5: reaches the shop default
    (None, 5, 7, 1, False),   # 7 -> 6: above it
    (None, 5, 5, 1, False),   # already low before: no second event
    (10, 5, 12, 2, True),     # the product's own threshold wins
    (0, 5, 3, 3, True),       # threshold 0: sold out
])
def test_stock_low_when_a_sale_crosses_the_threshold(settings, own, default, stock, take, low):
    from django.db import transaction

    settings.CATALOG_LOW_STOCK_THRESHOLD = default
    product = ProductFactory(stock_quantity=stock, low_stock_threshold=own)

    with transaction.atomic():
        stock_deduct(lines=[StockLine(product.pk, take)])

    events = list(Event.objects.filter(type="stock.low"))
    assert bool(events) is low
    if low:
        assert events[0].data == {"variant_id": None, "stock_quantity": stock - take,
                                  "threshold": default if own is None else own}


def test_stock_low_for_a_variant_names_it(settings):
    from django.db import transaction

    settings.CATALOG_LOW_STOCK_THRESHOLD = 2
    variant = ProductVariantFactory(stock_quantity=3)

    with transaction.atomic():
        stock_deduct(lines=[StockLine(variant.product_id, 1, variant.pk)])

    [event] = Event.objects.filter(type="stock.low")
    assert (event.resource_id, event.data["variant_id"], event.data["stock_quantity"]) == (
        variant.product_id, variant.pk, 2)


def test_an_order_s_life_is_one_ordered_stream(user, staff_user, settings):
    settings.PAYMENT_METHODS = ["sandbox", "cod"]
    product = ProductFactory(stock_quantity=50, price=Decimal("10.00"))
    from shop.orders.services import LineRequest
    from shop.orders.tests.factories import SHIP_TO, pay_order

    order, _, payment = order_place_and_pay(user=user, lines=[LineRequest(quantity=1, product_id=product.pk)],
                                    payment_method="sandbox", shipping_address=SHIP_TO)
    pay_order(order=order, user=user)
    order_set_status(order_id=order.pk, status="shipped", by=staff_user)
    shipment_event_add(order_id=order.pk, status="IN_TRANSIT", message="Hub", by=staff_user)
    shipment_event_add(order_id=order.pk, status="DELIVERED", by=staff_user)

    assert _events(resource_type="order", resource_id=order.pk) == [
        ("order.created", 1), ("order.paid", 2), ("order.shipped", 3), ("shipment.tracking_event", 4),
        ("order.delivered", 5)]
    assert _events(resource_type="payment") == [("payment.succeeded", 1)]


def test_a_cancelled_order_records_order_cancelled(user, settings):
    settings.PAYMENT_METHODS = ["sandbox", "cod"]
    product = ProductFactory(stock_quantity=50)
    from shop.orders.services import LineRequest

    order, _, _ = order_place_and_pay(user=user, lines=[LineRequest(quantity=1, product_id=product.pk)],
                              payment_method="cod")
    order_cancel(order_id=order.pk, by=user, owner=user)

    assert _events(resource_type="order", resource_id=order.pk) == [("order.created", 1), ("order.cancelled", 2)]
    assert Event.objects.get(type="order.cancelled").data["from_status"] == "processing"
