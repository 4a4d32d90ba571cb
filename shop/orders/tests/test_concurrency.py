"""Invariants under real concurrency: threads, each with its own PostgreSQL connection, released together."""

import random
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone
from rest_framework.test import APIClient

from shop.accounts.tests.factories import UserFactory
from shop.cart.models import CartItem
from shop.cart.tests.factories import CartItemFactory
from shop.catalog.models import Product, ProductVariant
from shop.catalog.tests.factories import ProductFactory, ProductVariantFactory
from shop.core.exceptions import ApplicationError
from shop.orders.models import Order, OrderItem, OrderStatusChange
from shop.orders.services import (
    LineRequest,
    expire_unpaid_orders,
    order_cancel,
    order_create,
    order_expire,
    order_set_status,
)
from tests.concurrency import resent_when_in_progress, run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _assert_only_domain_refusals(results):
    """Refusals (no stock, wrong status) are expected; a deadlock, lock timeout or crash is not."""
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, ApplicationError)]
    assert not unexpected, unexpected


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _post(user, url, data=None, **headers):
    def call():
        response = _client(user).post(url, data or {}, format="json", **headers)
        return response.status_code, response.json()
    return call


def test_racing_checkouts_sell_exactly_the_stock():
    stock, buyers = 5, 12
    product = ProductFactory(name="Hot item", stock_quantity=stock)
    users = UserFactory.create_batch(buyers)
    for user in users:
        CartItemFactory(cart__user=user, product=product, quantity=1)

    results = run_concurrently(*[_post(user, "/orders/checkout/") for user in users])

    statuses = Counter(status for status, _ in results)
    assert statuses == {201: stock, 400: buyers - stock}, results
    for status, body in results:
        if status == 400:
            assert body["code"] == "insufficient_stock"
            assert "Hot item" in body["detail"]
    product.refresh_from_db()
    assert product.stock_quantity == 0
    assert Order.objects.count() == stock
    assert OrderItem.objects.aggregate(units=Sum("quantity"))["units"] == stock
    winners = set(Order.objects.values_list("user_id", flat=True))
    losers = {user.id for user in users} - winners
    assert set(CartItem.objects.values_list("cart__user_id", flat=True)) == losers  # losers kept their carts


def test_racing_multi_line_checkouts_never_oversell_any_line():
    a = ProductFactory(name="A", stock_quantity=3)
    b = ProductFactory(name="B", stock_quantity=3)
    users = UserFactory.create_batch(8)
    for index, user in enumerate(users):
        # half the buyers add A then B, the other half B then A: lock ordering must prevent deadlocks
        first, second = (a, b) if index % 2 else (b, a)
        CartItemFactory(cart__user=user, product=first, quantity=1)
        CartItemFactory(cart__user=user, product=second, quantity=1)

    results = run_concurrently(*[_post(user, "/orders/checkout/") for user in users])

    assert Counter(status for status, _ in results) == {201: 3, 400: 5}, results
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.stock_quantity, b.stock_quantity) == (0, 0)


def test_same_idempotency_key_twice_at_once_makes_one_order(settings):
    # No payment to open, so the twin is never the 409 request_in_progress of a payment still opening (the tests
    # below, and shop/payments/tests/test_request_in_progress.py).
    settings.DEFAULT_PAYMENT_METHOD = "none"
    product = ProductFactory(stock_quantity=10)
    user = UserFactory()
    CartItemFactory(cart__user=user, product=product, quantity=2)

    results = run_concurrently(*[_post(user, "/orders/checkout/", HTTP_IDEMPOTENCY_KEY="retry-1")
                                 for _ in range(2)])

    assert sorted(status for status, _ in results) == [200, 201], results
    assert results[0][1] == results[1][1]
    assert Order.objects.count() == 1
    product.refresh_from_db()
    assert product.stock_quantity == 8


def test_same_idempotency_key_on_direct_orders_at_once_makes_one_order():
    product = ProductFactory(stock_quantity=10)
    user = UserFactory()
    body = {"items": [{"product_id": product.id, "quantity": 3}]}

    calls = tuple(_post(user, "/orders/", body, HTTP_IDEMPOTENCY_KEY="k") for _ in range(3))
    # A twin arriving while the first opens the order's payment is told to send it again: it then gets the order.
    results = resent_when_in_progress(run_concurrently(*calls), calls)

    assert sorted(status for status, _ in results) == [200, 200, 201], results
    assert len({body["id"] for _, body in results}) == 1
    product.refresh_from_db()
    assert product.stock_quantity == 7


def test_same_idempotency_key_with_different_requests_at_once_makes_one_order():
    a = ProductFactory(name="A", stock_quantity=10)
    b = ProductFactory(name="B", stock_quantity=10)
    user = UserFactory()
    bodies = [{"items": [{"product_id": a.id, "quantity": 1}]}, {"items": [{"product_id": b.id, "quantity": 3}]}]

    calls = tuple(_post(user, "/orders/checkout/", body, HTTP_IDEMPOTENCY_KEY="k1")
                  for body in bodies for _ in range(2))
    results = resent_when_in_progress(run_concurrently(*calls), calls)

    order = Order.objects.get()  # exactly one
    winner = 0 if order.items.get().product_id == a.id else 1
    for index, (status, body) in enumerate(results):
        if index // 2 == winner:  # the winning request and its twin: the order
            assert status in (200, 201), results
            assert body["id"] == order.id
        else:
            assert (status, body["code"]) == (422, "idempotency_key_reused"), results
    assert sorted(status for status, _ in results) == [200, 201, 422, 422], results
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.stock_quantity, b.stock_quantity) == ((9, 10) if winner == 0 else (10, 7))


def _placed(product, quantity=2, **kwargs) -> Order:
    order, _ = order_create(user=UserFactory(), lines=[LineRequest(quantity=quantity, product_id=product.pk)],
                              **kwargs)
    return order


def test_cancel_and_cancel_restore_stock_once():
    product = ProductFactory(stock_quantity=10)
    order = _placed(product, quantity=4)

    results = run_concurrently(*[_post(order.user, f"/orders/{order.id}/cancel/") for _ in range(2)])

    assert sorted(status for status, _ in results) == [200, 400], results
    product.refresh_from_db()
    assert product.stock_quantity == 10
    assert OrderStatusChange.objects.filter(order=order, to_status="cancelled").count() == 1


def test_cancel_and_expire_restore_stock_once():
    product = ProductFactory(stock_quantity=10)
    orders = [_placed(product, quantity=1) for _ in range(4)]
    Order.objects.update(payment_deadline=timezone.now() - timedelta(minutes=1))
    calls = []
    for order in orders:
        calls.append(_post(order.user, f"/orders/{order.id}/cancel/"))
        calls.append(lambda pk=order.pk: order_expire(order_id=pk))
    calls.append(expire_unpaid_orders)

    run_concurrently(*calls)

    product.refresh_from_db()
    assert product.stock_quantity == 10
    for order in orders:
        order.refresh_from_db()
        assert order.status == "cancelled"
        assert order.cancel_reason in ("customer", "expired")
        assert OrderStatusChange.objects.filter(order=order, to_status="cancelled").count() == 1


def test_staff_ship_racing_a_cancel_leaves_one_consistent_outcome():
    product = ProductFactory(stock_quantity=10)
    staff = UserFactory(is_staff=True)
    order = _placed(product, quantity=3)

    results = run_concurrently(_post(order.user, f"/orders/{order.id}/cancel/"),
                               _post(staff, f"/orders/admin/{order.id}/status/", {"status": "shipped"}))

    order.refresh_from_db()
    product.refresh_from_db()
    assert sorted(status for status, _ in results) == [200, 400], results
    assert (order.status, product.stock_quantity) in (("cancelled", 10), ("shipped", 7))


def test_stock_is_conserved_under_a_random_mix_of_operations():
    rng = random.Random(20261123)
    products = [ProductFactory(stock_quantity=rng.randint(8, 14)) for _ in range(3)]
    initial = {p.pk: p.stock_quantity for p in products}
    variants = [ProductVariantFactory(stock_quantity=rng.randint(6, 10)) for _ in range(2)]
    initial_variants = {v.pk: v.stock_quantity for v in variants}
    users = UserFactory.create_batch(6)
    staff = UserFactory(is_staff=True)
    # a few orders to cancel, ship and expire while new checkouts race them
    existing = [_placed(rng.choice(products), quantity=1) for _ in range(4)]
    Order.objects.filter(pk__in=[o.pk for o in existing[:2]]).update(
        payment_deadline=timezone.now() - timedelta(minutes=1))

    def checkout(user):
        picks = rng.sample(products, k=rng.randint(1, 3))
        lines = [LineRequest(quantity=rng.randint(1, 3), product_id=p.pk) for p in picks]
        if user.pk % 2:
            variant = rng.choice(variants)
            lines.append(LineRequest(quantity=rng.randint(1, 2), product_id=variant.product_id, variant_id=variant.pk))
        return lambda: order_create(user=user, lines=lines)

    calls = [checkout(user) for user in users for _ in range(2)]
    for order in existing:
        calls.append(lambda pk=order.pk, user=order.user: order_cancel(order_id=pk, by=user, owner=user))
        calls.append(lambda pk=order.pk: order_set_status(order_id=pk, status="shipped", by=staff))
    calls.append(expire_unpaid_orders)
    calls.append(expire_unpaid_orders)
    rng.shuffle(calls)

    _assert_only_domain_refusals(run_concurrently(*calls))

    # then a second wave acting on whatever the first created
    recent = list(Order.objects.order_by("pk").values_list("pk", "user_id"))
    wave = []
    for pk, user_id in rng.sample(recent, k=min(4, len(recent))):
        wave.append(lambda pk=pk, user_id=user_id: order_cancel(order_id=pk, by=None, owner=None))
        wave.append(lambda pk=pk: order_set_status(order_id=pk, status=rng.choice(["shipped", "delivered"]),
                                                   by=staff))
    Order.objects.filter(pk__in=[pk for pk, _ in recent[::3]]).update(
        payment_deadline=timezone.now() - timedelta(minutes=1))
    wave.append(expire_unpaid_orders)
    _assert_only_domain_refusals(run_concurrently(*wave))

    live = OrderItem.objects.exclude(order__status="cancelled")
    sold = dict(live.filter(variant=None).values_list("product_id").annotate(units=Sum("quantity")))
    sold_variants = dict(live.exclude(variant=None).values_list("variant_id").annotate(units=Sum("quantity")))
    assert OrderItem.objects.exclude(variant=None).exists(), "the mix never exercised variant stock"
    for variant in ProductVariant.objects.all():
        assert variant.stock_quantity >= 0
        assert initial_variants[variant.pk] == variant.stock_quantity + sold_variants.get(variant.pk, 0), variant
    for product in Product.objects.filter(pk__in=initial):
        assert product.stock_quantity >= 0
        assert initial[product.pk] == product.stock_quantity + sold.get(product.pk, 0), product
    statuses = set(Order.objects.values_list("status", flat=True))
    assert "cancelled" in statuses and statuses & {"processing", "shipped", "delivered"}
    assert Decimal("0") <= sum(Order.objects.values_list("total", flat=True))
