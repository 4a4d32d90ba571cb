import pytest
from rest_framework.test import APIClient

from shop.accounts.tests.factories import UserFactory
from shop.cart.models import Cart, CartItem
from shop.catalog.tests.factories import ProductFactory
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_concurrent_first_requests_create_one_cart():
    user = UserFactory()

    statuses = run_concurrently(*[lambda: _client(user).get("/cart/").status_code for _ in range(6)])

    assert statuses == [200] * 6
    assert Cart.objects.filter(user=user).count() == 1


def test_concurrent_adds_of_the_same_product_all_count():
    user = UserFactory()
    product = ProductFactory(stock_quantity=100)

    statuses = run_concurrently(*[
        lambda: _client(user).post("/cart/items/", {"product_id": product.id, "quantity": 2}).status_code
        for _ in range(6)
    ])

    assert statuses == [200] * 6
    assert list(CartItem.objects.values_list("quantity", flat=True)) == [12]


def test_a_line_added_during_checkout_is_either_ordered_or_kept():
    from shop.orders.models import OrderItem

    user = UserFactory()
    first, second = ProductFactory(stock_quantity=5), ProductFactory(stock_quantity=5)
    _client(user).post("/cart/items/", {"product_id": first.id})

    results = run_concurrently(
        lambda: _client(user).post("/orders/checkout/", {}).status_code,
        lambda: _client(user).post("/cart/items/", {"product_id": second.id}).status_code,
    )

    assert results == [201, 200]
    ordered = set(OrderItem.objects.values_list("product_id", flat=True))
    in_cart = set(CartItem.objects.values_list("product_id", flat=True))
    assert ordered | in_cart == {first.id, second.id}
    assert not ordered & in_cart
