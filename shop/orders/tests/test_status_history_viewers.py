"""Who moved an order's status (``status_history[].changed_by``) is shown to staff, and to a customer only for the
customer's own moves: a staff member's user id is the shop's, never in a customer's or a guest's answer (null
there, as staff's notes are ""). Worked out from the rows the order read already holds: no query per row."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from shop.catalog.tests.factories import ProductFactory
from shop.orders.tests.factories import place_order
from shop.orders.tests.guests import guest_cart, guest_checkout, guest_order_url

pytestmark = pytest.mark.django_db


def _moves(body: dict) -> list[tuple]:
    return [(h["from_status"], h["to_status"], h["changed_by"]) for h in body["status_history"]]


@pytest.fixture
def product(db):
    return ProductFactory(price=Decimal("25.00"), stock_quantity=9)


@pytest.fixture
def cod_on(settings):
    settings.PAYMENT_METHODS = ["sandbox", "cod"]
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.SHOP_CURRENCY = "USD"


def test_a_customer_sees_their_own_moves_by_id_and_staffs_as_null(user, user_client, staff_user, staff_client,
                                                                   product):
    order = place_order(user=user, product=product, status="delivered", staff=staff_user)
    own = [("", "pending", user.pk), ("pending", "processing", user.pk)]
    by_staff = [("processing", "shipped"), ("shipped", "delivered")]

    mine = user_client.get(f"/orders/{order.pk}/")
    listed = user_client.get("/orders/").json()["results"][0]
    staffs = staff_client.get(f"/orders/{order.pk}/")
    staff_listed = staff_client.get("/orders/admin/").json()["results"][0]

    assert mine.status_code == 200 and staffs.status_code == 200
    assert _moves(mine.json()) == _moves(listed) == own + [(*move, None) for move in by_staff]
    assert _moves(staffs.json()) == _moves(staff_listed) == own + [(*move, staff_user.pk) for move in by_staff]


def test_a_customers_own_cancel_keeps_their_id_and_staffs_status_answer_shows_its_own(
        user, user_client, staff_user, staff_client, product):
    cancelled = place_order(user=user, product=product)
    moved = place_order(user=user, product=product)

    assert user_client.post(f"/orders/{cancelled.pk}/cancel/", {}, format="json").status_code == 200
    answer = staff_client.post(f"/orders/admin/{moved.pk}/status/", {"status": "cancelled"}, format="json")

    assert _moves(user_client.get(f"/orders/{cancelled.pk}/").json())[-1] == ("processing", "cancelled", user.pk)
    assert answer.status_code == 200, answer.content
    assert _moves(answer.json()["order"])[-1] == ("processing", "cancelled", staff_user.pk)
    assert _moves(user_client.get(f"/orders/{moved.pk}/").json())[-1] == ("processing", "cancelled", None)


def test_a_guest_never_sees_the_staff_member_who_moved_their_order(staff_user, staff_client, cod_on, product):
    guest = APIClient()
    placed = guest_checkout(guest, guest_cart(guest, (product, 1)), payment_method="cod").json()
    shipped = staff_client.post(f"/orders/admin/{placed['id']}/status/", {"status": "shipped"}, format="json")
    assert shipped.status_code == 200, shipped.content

    read = guest.get(guest_order_url(placed))

    assert read.status_code == 200, read.content
    assert _moves(read.json()) == [("", "pending", None), ("pending", "processing", None),
                                   ("processing", "shipped", None)]
    assert _moves(staff_client.get(f"/orders/{placed['id']}/").json())[-1] == ("processing", "shipped",
                                                                              staff_user.pk)


def test_hiding_staff_ids_costs_no_query_per_history_row(user, user_client, staff_user, staff_client, product,
                                                         django_assert_max_num_queries):
    short = place_order(user=user, product=product)
    long = place_order(user=user, product=product, status="delivered", staff=staff_user)
    with django_assert_max_num_queries(100) as counted:
        user_client.get(f"/orders/{short.pk}/")
    budget = len(counted.captured_queries)

    for client in (user_client, staff_client):
        with django_assert_max_num_queries(budget):
            response = client.get(f"/orders/{long.pk}/")
        assert response.status_code == 200 and len(response.json()["status_history"]) == 4
