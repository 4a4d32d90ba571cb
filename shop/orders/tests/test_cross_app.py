"""Seed 000 "Cross-App Synchronization", the rows this app owns: checkout and cancel, through the API."""

from decimal import Decimal

import pytest

from shop.cart.models import CartItem
from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order

pytestmark = pytest.mark.django_db


def test_checkout_row_order_created_processing_no_payment_stock_deducted_cart_cleared(user_client, settings):
    settings.DEFAULT_PAYMENT_METHOD = "none"  # pay later through POST /payments/create-intent/
    product = ProductFactory(price=Decimal("99.99"), stock_quantity=50)
    user_client.post("/cart/items/", {"product_id": product.id, "quantity": 2})

    response = user_client.post("/orders/checkout/", {})

    assert response.status_code == 201
    order = Order.objects.get()
    assert order.status == "processing"                                   # Order effect
    assert response.json()["payments"] == [] and order.payment_status == "unpaid"  # Payment effect: none yet
    product.refresh_from_db()
    assert product.stock_quantity == 48                                   # Stock effect: deducted
    assert not CartItem.objects.exists()
    assert order.total == Decimal("199.98")                               # price from the cart snapshot


def test_cancel_row_order_cancelled_stock_restored(user_client):
    product = ProductFactory(stock_quantity=50)
    user_client.post("/cart/items/", {"product_id": product.id, "quantity": 2})
    order_id = user_client.post("/orders/checkout/", {}).json()["id"]

    response = user_client.post(f"/orders/{order_id}/cancel/")

    assert response.status_code == 200
    assert response.json() == {"message": "Order cancelled successfully"}
    assert Order.objects.get().status == "cancelled"                      # Order effect
    product.refresh_from_db()
    assert product.stock_quantity == 50                                   # Stock effect: restored
    # Payment effect (active payment cancelled) is the payments app's, through the "order cancelled" hook
    # (shop/orders/hooks.py).
    assert user_client.get(f"/orders/{order_id}/").json()["status"] == "cancelled"
