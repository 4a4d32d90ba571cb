"""The price hold: a cart line keeps the price the customer saw for CART_PRICE_HOLD_MINUTES, then (or on adding more)
takes the catalog's price and says so; checkout charges what the cart shows and refuses a stale expected_total."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shop.cart.models import CartItem
from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def kettle(user_client):
    product = ProductFactory(price=Decimal("10.00"), stock_quantity=50)
    assert user_client.post("/cart/items/", {"product_id": product.pk, "quantity": 2}).status_code == 200
    product.price = Decimal("15.00")
    product.save()
    return product


def _age_lines(minutes: int) -> None:
    """The lines were priced ``minutes`` ago (the clock moves on; nothing of ours is mocked)."""
    CartItem.objects.update(priced_at=timezone.now() - timedelta(minutes=minutes))


def test_within_the_hold_the_line_keeps_the_price_seen_and_checkout_charges_it(user_client, kettle, settings):
    settings.CART_PRICE_HOLD_MINUTES = 60
    _age_lines(59)

    cart = user_client.get("/cart/").json()
    order = user_client.post("/orders/checkout/", {"expected_total": "20.00"}, format="json")

    assert (cart["items"][0]["unit_price"], cart["items"][0]["price_changed"], cart["total"]) == (
        "10.00", None, "20.00")
    assert order.status_code == 201, order.content
    assert order.json()["total"] == "20.00"


def test_after_the_hold_the_line_is_repriced_and_flagged_and_a_stale_expected_total_is_a_409(
    user_client, kettle, settings
):
    settings.CART_PRICE_HOLD_MINUTES = 60
    _age_lines(61)

    cart = user_client.get("/cart/").json()
    stale = user_client.post("/orders/checkout/", {"expected_total": "20.00"}, format="json")

    line = cart["items"][0]
    assert (line["unit_price"], line["price_snapshot"], line["item_total"], line["price_changed"]) == (
        "15.00", "15.00", "30.00", {"old": "10.00", "new": "15.00"})
    assert (cart["total"], cart["cart_total"]) == ("30.00", "30.00")
    assert stale.status_code == 409
    assert (stale.json()["code"], stale.json()["total"]) == ("total_mismatch", "30.00")
    assert not Order.objects.exists() and CartItem.objects.get().quantity == 2
    current = user_client.post("/orders/checkout/", {"expected_total": cart["total"]}, format="json")
    assert current.status_code == 201 and current.json()["total"] == "30.00"


def test_adding_more_of_a_line_reprices_all_of_it_at_once(user_client, kettle):
    response = user_client.post("/cart/items/", {"product_id": kettle.pk, "quantity": 1})

    line = response.json()["items"][0]
    assert (line["quantity"], line["unit_price"], line["item_total"], line["price_changed"]) == (
        3, "15.00", "45.00", {"old": "10.00", "new": "15.00"})
    assert response.json()["total"] == "45.00"
    # Adding again at an unchanged price clears the flag: the customer has seen the new price.
    again = user_client.post("/cart/items/", {"product_id": kettle.pk, "quantity": 1}).json()["items"][0]
    assert (again["unit_price"], again["price_changed"]) == ("15.00", None)


def test_raising_the_quantity_reprices_lowering_it_keeps_the_held_price(user_client, kettle):
    line_id = CartItem.objects.get().pk

    lowered = user_client.put(f"/cart/items/{line_id}/", {"quantity": 1}).json()
    raised = user_client.put(f"/cart/items/{line_id}/", {"quantity": 4}).json()

    assert (lowered["unit_price"], lowered["price_changed"]) == ("10.00", None)
    assert (raised["unit_price"], raised["gross"], raised["price_changed"]) == (
        "15.00", "60.00", {"old": "10.00", "new": "15.00"})


def test_a_hold_of_zero_minutes_always_charges_the_catalog_price(user_client, kettle, settings):
    settings.CART_PRICE_HOLD_MINUTES = 0

    assert user_client.get("/cart/").json()["total"] == "30.00"
