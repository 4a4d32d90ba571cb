"""Issue 11.4: ``status`` on a customer's own ``/orders/`` (it used to return every order) and on the staff list."""

from decimal import Decimal

import pytest

from shop.catalog.tests.factories import ProductFactory

from .factories import place_order

pytestmark = pytest.mark.django_db

CHOICES = "pending, processing, shipped, delivered, cancelled"
# COUNT + page + the prefetches of the orders' related rows (discounts included): 7, whatever the number of orders.
QUERY_BUDGET = 7


@pytest.fixture
def orders(user, other_user, staff_user):
    product = ProductFactory(name="Kettle", price=Decimal("25.00"), stock_quantity=20)
    return {
        "processing": place_order(user=user, product=product),
        "cancelled": place_order(user=user, product=product, status="cancelled", staff=staff_user),
        "shipped": place_order(user=user, product=product, status="shipped", staff=staff_user),
        "theirs": place_order(user=other_user, product=product, status="cancelled", staff=staff_user),
    }


def _ids(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content
    return [order["id"] for order in response.json()["results"]]


def test_a_customer_filters_their_own_orders_by_status(user_client, orders):
    assert _ids(user_client, "/orders/?status=cancelled") == [orders["cancelled"].id]
    assert _ids(user_client, "/orders/?status=shipped") == [orders["shipped"].id]
    assert _ids(user_client, "/orders/?status=delivered") == []
    assert _ids(user_client, "/orders/") == [orders["shipped"].id, orders["cancelled"].id, orders["processing"].id]


@pytest.mark.parametrize("spelling", ["canceled", "CANCELED", " Cancelled "])
def test_the_us_spelling_and_any_case_filter_cancelled_orders(user_client, staff_client, orders, spelling):
    assert _ids(user_client, f"/orders/?status={spelling}") == [orders["cancelled"].id]
    assert _ids(staff_client, f"/orders/admin/?status={spelling}") == [orders["theirs"].id, orders["cancelled"].id]


def test_staff_filter_every_order_by_status(staff_client, orders):
    assert _ids(staff_client, "/orders/admin/?status=cancelled") == [orders["theirs"].id, orders["cancelled"].id]


@pytest.mark.parametrize("url", ["/orders/?status=bogus", "/orders/admin/?status=bogus"])
def test_an_unknown_status_is_a_400_listing_the_statuses(user_client, staff_client, orders, url):
    client = staff_client if "admin" in url else user_client
    message = f"'bogus' is not a valid choice; valid choices: {CHOICES}."

    response = client.get(url)

    assert response.status_code == 400
    assert response.json() == {"detail": f"status: {message}", "code": "invalid", "errors": {"status": [message]}}


def test_payments_status_400_names_the_parameter_and_its_choices(user_client):
    response = user_client.get("/payments/?status=paid")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and list(body["errors"]) == ["status"]
    assert body["errors"]["status"] == [
        "'paid' is not a valid choice; valid choices: pending, processing, succeeded, failed, cancelled, refunded, "
        "partially_refunded."
    ]


def test_the_order_list_query_count_does_not_grow_with_orders(user, user_client, staff_user, orders,
                                                             django_assert_max_num_queries):
    product = ProductFactory(price=Decimal("3.00"), stock_quantity=50)
    for _ in range(8):
        place_order(user=user, product=product, status="cancelled", staff=staff_user)

    with django_assert_max_num_queries(QUERY_BUDGET):
        response = user_client.get("/orders/?status=cancelled")

    assert response.status_code == 200 and response.json()["count"] == 9



@pytest.mark.parametrize(("query", "sent_from", "sent_to"), [
    ("created_from=2026-12-02&created_to=2026-12-01", "2026-12-02", "2026-12-01"),  # the tester's
    ("created_from=2026-12-01T10:00:00Z&created_to=2026-12-01T11:00:00%2B02:00", "2026-12-01T10:00:00Z",
     "2026-12-01T11:00:00+02:00"),  # 10:00 UTC is after 09:00 UTC, whatever the clock said
])
def test_a_date_range_upside_down_is_a_400_naming_both_bounds(staff_client, orders, query, sent_from, sent_to):
    """Found by a tester: it answered 200 with an empty list, while a price range upside down is a documented
    400. Every list's ranges are refused by one mechanism (``shop.core.filters.StrictFilterSet.ranges``)."""
    response = staff_client.get(f"/orders/admin/?{query}")

    assert response.status_code == 400, response.content
    message = (f"created_from ({sent_from}) is after created_to ({sent_to}); give a range whose start is at most its "
               "end.")
    assert response.json() == {"detail": f"created_from: {message}", "code": "invalid",
                               "errors": {"created_from": [message], "created_to": [message]}}


def test_a_range_of_one_moment_and_a_range_in_order_are_lists(staff_client, orders):
    for query in ("created_from=2026-12-01T10:00:00Z&created_to=2026-12-01T10:00:00Z",
                  "created_from=2000-01-01&created_to=2999-01-01", "created_from=2000-01-01", "created_to=2999-01-01"):
        response = staff_client.get(f"/orders/admin/?{query}")
        assert response.status_code == 200, (query, response.content)
    assert response.json()["count"] == len(orders)


def test_a_date_alone_as_the_upper_bound_means_the_whole_of_that_day(staff_client, orders):
    """Found by a tester: ``created_from=<today>&created_to=<today>`` listed nothing, ``created_to`` being that
    day's midnight; a date alone ends at the end of its day, a date-time is taken as sent."""
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    placed_at = {order.pk: order.created_at for order in orders.values()}
    earliest = min(placed_at.values())

    whole_day = _ids(staff_client, f"/orders/admin/?created_from={today}&created_to={today}")
    before_the_first = _ids(staff_client, "/orders/admin/?created_to="
                            + earliest.isoformat().replace("+00:00", "Z").replace("+", "%2B"))
    to_midnight = _ids(staff_client, f"/orders/admin/?created_to={today}T00:00:00Z")

    assert sorted(whole_day) == sorted(placed_at)
    assert before_the_first == [pk for pk, at in placed_at.items() if at <= earliest]
    assert to_midnight == []
