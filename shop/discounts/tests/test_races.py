"""Races on a voucher's counters, on PostgreSQL: the guarded UPDATEs never hand out a use that is not there."""

from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from shop.accounts.tests.factories import UserFactory
from shop.cart.models import Cart, CartItem
from shop.catalog.tests.factories import ProductFactory
from shop.discounts.models import Redemption, Voucher, VoucherCustomer
from shop.discounts.tests.factories import VoucherFactory
from shop.orders.models import Order
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RESULTS: dict[str, object] = {}


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _checkout(user, **body):
    response = _client(user).post("/orders/checkout/", {"payment_method": "sandbox", **body}, format="json")
    return response.status_code, response.json().get("code"), response.json().get("id")


def test_one_use_left_and_twenty_buyers_at_once_exactly_one_order_carries_it(settings):
    assert connection.vendor == "postgresql"
    settings.PAYMENT_METHODS = ["sandbox", "cod"]
    voucher = VoucherFactory(code="LASTONE", usage_limit=5, value=Decimal("50"))
    Voucher.objects.filter(pk=voucher.pk).update(times_used=4)  # 1 use left
    product = ProductFactory(price=Decimal("40.00"), stock_quantity=100)
    buyers = UserFactory.create_batch(20)
    for buyer in buyers:
        client = _client(buyer)
        assert client.post("/cart/items/", {"product_id": product.pk, "quantity": 1}).status_code == 200
        assert client.post("/cart/voucher/", {"code": "lastone"}).status_code == 200

    results = run_concurrently(*[lambda buyer=buyer: _checkout(buyer) for buyer in buyers])

    statuses = sorted((status, code) for status, code, _ in results)
    assert statuses == [(201, None)] + [(400, "usage_limit_reached")] * 19, statuses
    voucher.refresh_from_db()
    assert voucher.times_used == 5  # 4 before + exactly 1
    assert Redemption.objects.filter(voucher=voucher).count() == 1
    winner = Order.objects.get(voucher_redemption__voucher=voucher)
    assert winner.total == Decimal("20.00")  # 40.00 - 50 %
    assert Order.objects.count() == 1
    losers = [buyer for buyer, (status, _, _) in zip(buyers, results, strict=True) if status == 400]
    for loser in losers:  # carts intact: the line and the code stay
        assert CartItem.objects.filter(cart__user=loser).count() == 1
        assert Cart.objects.get(user=loser).voucher_code == "LASTONE"
    product.refresh_from_db()
    assert product.stock_quantity == 99
    RESULTS["twenty_buyers"] = statuses


def test_one_customer_racing_a_once_per_customer_voucher_from_five_sessions_uses_it_once(settings):
    settings.PAYMENT_METHODS = ["sandbox", "cod"]
    voucher = VoucherFactory(code="ONCE", per_customer_limit=1, value=Decimal("10"))
    product = ProductFactory(price=Decimal("10.00"), stock_quantity=50)
    customer = UserFactory()
    items = [{"product_id": product.pk, "quantity": 1}]

    results = run_concurrently(*[lambda: _checkout(customer, items=items, voucher="once") for _ in range(5)])

    statuses = sorted((status, code) for status, code, _ in results)
    assert statuses == [(201, None)] + [(400, "customer_limit_reached")] * 4, statuses
    voucher.refresh_from_db()
    assert voucher.times_used == 1
    assert VoucherCustomer.objects.get(voucher=voucher).times_used == 1
    assert Order.objects.filter(user=customer).count() == 1
    RESULTS["five_sessions"] = statuses


def test_cancels_racing_checkouts_never_lose_or_double_a_use(settings):
    """Ten orders hold the last uses; cancelling them while ten other buyers check out: each use handed back is
    taken at most once, and the counter always equals the orders holding one."""
    settings.PAYMENT_METHODS = ["sandbox", "cod"]
    voucher = VoucherFactory(code="SWAP", usage_limit=10, value=Decimal("10"))
    product = ProductFactory(price=Decimal("10.00"), stock_quantity=100)
    holders = UserFactory.create_batch(10)
    orders = []
    for holder in holders:
        status, _, order_id = _checkout(holder, items=[{"product_id": product.pk, "quantity": 1}], voucher="swap")
        assert status == 201
        orders.append(order_id)
    buyers = UserFactory.create_batch(10)

    cancels = [lambda holder=holder, order_id=order_id: _client(holder).post(f"/orders/{order_id}/cancel/").status_code
               for holder, order_id in zip(holders, orders, strict=True)]
    buys = [lambda buyer=buyer: _checkout(buyer, items=[{"product_id": product.pk, "quantity": 1}], voucher="swap")
            for buyer in buyers]
    results = run_concurrently(*[call for pair in zip(cancels, buys, strict=True) for call in pair])

    assert results[0::2] == [200] * 10
    placed = sum(1 for status, _, _ in results[1::2] if status == 201)
    assert all(code == "usage_limit_reached" for status, code, _ in results[1::2] if status != 201)
    voucher.refresh_from_db()
    holding = Redemption.objects.filter(voucher=voucher, status__in=Redemption.HOLDING).count()
    assert voucher.times_used == holding == placed
    assert Redemption.objects.filter(voucher=voucher, status="released").count() == 10
    RESULTS["cancel_vs_checkout"] = placed
