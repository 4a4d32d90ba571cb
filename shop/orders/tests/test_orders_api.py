from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from shop.catalog.tests.factories import ProductFactory, ProductVariantFactory
from shop.orders.models import Order, OrderStatusChange
from shop.orders.transitions import ALLOWED_TRANSITIONS

from .factories import place_order

pytestmark = pytest.mark.django_db

STATUSES = ["pending", "processing", "shipped", "delivered", "cancelled"]


@pytest.fixture
def product():
    return ProductFactory(name="Kettle", price=Decimal("25.00"), stock_quantity=10)


def _stock(product) -> int:
    product.refresh_from_db()
    return product.stock_quantity


# A customer cancels through the cancel endpoint or, as the IntaSend-era order API does, by PATCHing the status
# (in any case): the same rules either way.
CANCEL_ROUTES = ["post-cancel", "patch-status"]


def _cancel(client, order_id: int, route: str, **body):
    if route == "post-cancel":
        return client.post(f"/orders/{order_id}/cancel/", body, format="json")
    return client.patch(f"/orders/{order_id}/", {"status": "CANCELLED", **body}, format="json")


@pytest.mark.parametrize("spelling", ["canceled", "Canceled"])
def test_the_us_spelling_cancels_too(user, user_client, staff_client, product, spelling):
    mine, staffs = place_order(user=user, product=product), place_order(user=user, product=product)

    by_customer = user_client.patch(f"/orders/{mine.pk}/", {"status": spelling}, format="json")
    by_staff = staff_client.post(f"/orders/admin/{staffs.pk}/status/", {"status": spelling}, format="json")

    assert by_customer.status_code == 200, by_customer.json()
    assert by_customer.json()["status"] == "cancelled"
    assert by_staff.status_code == 200, by_staff.json()
    assert by_staff.json()["order"]["status"] == "cancelled"


def _order_in(status: str, *, user, product, staff, quantity=2) -> Order:
    """A paid order in ``status`` (paid, so that the shipping rule lets the transition table through)."""
    if status == "pending":  # checkout never leaves an order pending; build one for the transition table
        order = place_order(user=user, product=product, quantity=quantity, paid=True)
        Order.objects.filter(pk=order.pk).update(status="pending")
        order.refresh_from_db()
        return order
    return place_order(user=user, product=product, quantity=quantity, status=status, staff=staff, paid=True)


# --- Reading ----------------------------------------------------------------------------------------------------

def test_list_shows_only_my_orders_newest_first_paginated(user, other_user, user_client, product):
    first = place_order(user=user, product=product)
    second = place_order(user=user, product=product)
    place_order(user=other_user, product=product)

    response = user_client.get("/orders/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [order["id"] for order in body["results"]] == [second.id, first.id]


def test_staff_list_every_order_on_the_customer_list(user, other_user, staff_client, product):
    mine = place_order(user=user, product=product)
    theirs = place_order(user=other_user, product=product)

    body = staff_client.get("/orders/").json()

    assert body["count"] == 2
    assert [(o["id"], o["user"]) for o in body["results"]] == [(theirs.id, other_user.id), (mine.id, user.id)]


def test_detail_of_my_order(user, user_client, product):
    order = place_order(user=user, product=product, quantity=3)

    response = user_client.get(f"/orders/{order.id}/")

    assert response.status_code == 200
    assert response.json()["id"] == order.id
    assert response.json()["total"] == "75.00"
    assert response.json()["items"][0]["quantity"] == 3


def test_order_list_query_budget_is_constant(user, user_client, django_assert_num_queries):
    for _ in range(2):
        place_order(user=user, product=ProductFactory())
    # count, orders+address+shipment, items+product+variant+variant's product, history, shipment events, payments,
    # discounts
    with django_assert_num_queries(7):
        assert len(user_client.get("/orders/").json()["results"]) == 2
    for _ in range(6):
        variant = ProductVariantFactory()
        place_order(user=user, product=variant.product, variant=variant, quantity=2)
    with django_assert_num_queries(7):
        assert len(user_client.get("/orders/").json()["results"]) == 8


def test_order_detail_query_budget_is_constant_in_items(user, user_client, django_assert_num_queries):
    from shop.orders.services import LineRequest, order_create

    products = ProductFactory.create_batch(8)
    small, _ = order_create(user=user, lines=[LineRequest(quantity=1, product_id=products[0].pk)])
    big, _ = order_create(user=user, lines=[LineRequest(quantity=1, product_id=p.pk) for p in products])
    # order+address+shipment, items, history, shipment events, payments, discounts
    with django_assert_num_queries(6):
        assert len(user_client.get(f"/orders/{small.id}/").json()["items"]) == 1
    with django_assert_num_queries(6):
        assert len(user_client.get(f"/orders/{big.id}/").json()["items"]) == 8


# --- IDOR: every id-taking endpoint, owner vs other user vs staff vs anonymous ------------------------------------

OWNER_ENDPOINTS = [("get", "/orders/{id}/", None), ("post", "/orders/{id}/cancel/", {}),
                   ("patch", "/orders/{id}/", {"status": "cancelled"})]
STAFF_ENDPOINTS = [
    ("post", "/orders/admin/{id}/status/", {"status": "shipped"}),
    ("patch", "/orders/{id}/status/", {"status": "shipped"}),
    ("patch", "/orders/admin/{id}/shipment/", {"carrier": "DHL"}),
    ("post", "/orders/admin/{id}/shipment/events/", {"status": "IN_TRANSIT"}),
]


@pytest.mark.parametrize(("method", "url", "data"), OWNER_ENDPOINTS)
def test_other_users_get_404_and_anonymous_401_on_owner_endpoints(user, other_client, api_client, product,
                                                                  method, url, data):
    order = place_order(user=user, product=product)

    response = getattr(other_client, method)(url.format(id=order.id), data, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "Order not found.", "code": "not_found"}
    assert getattr(api_client, method)(url.format(id=order.id), data, format="json").status_code == 401
    order.refresh_from_db()
    assert order.status == "processing"
    assert _stock(product) == 9


def test_staff_read_any_order_through_the_order_endpoints_and_the_admin_list(user, staff_client, product):
    order = place_order(user=user, product=product)

    detail = staff_client.get(f"/orders/{order.id}/")
    assert detail.status_code == 200 and (detail.json()["id"], detail.json()["user"]) == (order.id, user.id)
    assert staff_client.get("/orders/").json()["results"][0]["id"] == order.id
    assert staff_client.get("/orders/admin/").json()["results"][0]["id"] == order.id


@pytest.mark.parametrize(("method", "url", "data"), STAFF_ENDPOINTS)
def test_staff_endpoints_refuse_customers_even_the_owner(user, user_client, api_client, product, method, url, data):
    order = place_order(user=user, product=product)

    response = getattr(user_client, method)(url.format(id=order.id), data, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert getattr(api_client, method)(url.format(id=order.id), data, format="json").status_code == 401
    order.refresh_from_db()
    assert order.status == "processing"
    assert order.shipment.carrier == ""
    assert order.shipment.events.count() == 1


@pytest.mark.parametrize(("method", "url", "data"), STAFF_ENDPOINTS)
def test_staff_endpoints_404_for_missing_orders(staff_client, method, url, data):
    response = getattr(staff_client, method)(url.format(id=999999), data, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_admin_list_is_staff_only(user_client, api_client):
    assert user_client.get("/orders/admin/").status_code == 403
    assert api_client.get("/orders/admin/").status_code == 401


# --- Cancel -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("route", CANCEL_ROUTES)
def test_cancel_restores_stock_records_history_and_mails(user, user_client, product, route,
                                                         django_capture_on_commit_callbacks):
    order = place_order(user=user, product=product, quantity=3)
    assert _stock(product) == 7

    with django_capture_on_commit_callbacks(execute=True):
        response = _cancel(user_client, order.id, route, note="changed my mind")

    assert response.status_code == 200
    if route == "post-cancel":
        assert response.json() == {"message": "Order cancelled successfully"}
    else:  # the order itself, as the IntaSend-era API answers
        body = response.json()
        assert (body["id"], body["status"], body["cancel_reason"], body["payment_outcome"]) == (
            order.id, "cancelled", "customer", "cancelled")
    assert _stock(product) == 10
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == ("cancelled", "customer")
    assert order.cancelled_at is not None
    last = order.status_history.last()
    assert (last.from_status, last.to_status, last.changed_by_id, last.reason, last.note) == (
        "processing", "cancelled", user.id, "customer", "changed my mind")
    assert order.shipment.status == "CANCELLED"
    assert [m.subject for m in mail.outbox] == [f"Your order {order.order_key} was cancelled"]


def test_cancel_variant_order_restores_the_variant_stock(user, user_client):
    variant = ProductVariantFactory(stock_quantity=4)
    order = place_order(user=user, product=variant.product, variant=variant, quantity=3)

    assert user_client.post(f"/orders/{order.id}/cancel/").status_code == 200

    variant.refresh_from_db()
    assert variant.stock_quantity == 4
    assert _stock(variant.product) == 10


@pytest.mark.parametrize("route", CANCEL_ROUTES)
@pytest.mark.parametrize("status", ["shipped", "delivered", "cancelled"])
def test_cancel_refused_after_shipping_or_twice(user, staff_user, user_client, product, status, route):
    order = place_order(user=user, product=product, quantity=2, status=status, staff=staff_user)
    stock = _stock(product)
    history = order.status_history.count()

    response = _cancel(user_client, order.id, route)

    assert response.status_code == 400
    assert response.json() == {"detail": f"Order cannot be cancelled: it is already {status}.",
                               "code": "not_cancellable"}
    assert _stock(product) == stock
    assert order.status_history.count() == history


@pytest.mark.parametrize("route", CANCEL_ROUTES)
def test_customer_cannot_cancel_a_paid_order(user, user_client, product, route):
    order = place_order(user=user, product=product, paid=True)

    response = _cancel(user_client, order.id, route)

    assert response.status_code == 400
    assert response.json() == {"detail": "This order is already paid; contact support to cancel it.",
                               "code": "order_paid"}
    assert _stock(product) == 9


def test_cancel_after_product_deleted_restores_nothing_for_it_but_still_cancels(user, user_client, product):
    order = place_order(user=user, product=product)
    variant = ProductVariantFactory(stock_quantity=5)
    variant_order = place_order(user=user, product=variant.product, variant=variant)
    product.delete()
    variant.delete()

    assert user_client.post(f"/orders/{order.id}/cancel/").status_code == 200
    assert user_client.post(f"/orders/{variant_order.id}/cancel/").status_code == 200
    assert _stock(variant.product) == 10  # the deleted variant's units were not put on the product


@pytest.mark.parametrize("body", [{"status": "shipped"}, {"status": "PROCESSING"},
                                  {"status": "cancelled", "notes": "x"}, {"notes": "rush"}, {"shipping_fee": "0.00"}])
def test_a_customer_patch_other_than_cancel_is_403_and_changes_nothing(user, user_client, product, body):
    order = place_order(user=user, product=product)

    response = user_client.patch(f"/orders/{order.id}/", body, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": 'You can only cancel your order here (send {"status": "cancelled"}).',
                               "code": "permission_denied"}
    order.refresh_from_db()
    assert (order.status, order.notes, _stock(product)) == ("processing", "", 9)


def test_staff_patch_moves_any_order_along_the_pipeline_and_refuses_other_fields(user, staff_client, product):
    order = place_order(user=user, product=product, paid=True)  # an unpaid online order would not ship

    refused = staff_client.patch(f"/orders/{order.id}/", {"status": "shipped", "notes": "x"}, format="json")
    shipped = staff_client.patch(f"/orders/{order.id}/", {"status": "Shipped"}, format="json")

    assert refused.status_code == 400
    assert refused.json()["code"] == "not_updatable"
    assert refused.json()["errors"] == {"notes": ["Cannot be changed here."]}
    assert shipped.status_code == 200
    assert (shipped.json()["id"], shipped.json()["status"]) == (order.id, "shipped")
    assert staff_client.patch(f"/orders/{order.id}/", {"status": "cancelled"}, format="json").json() == {
        "detail": "Order cannot be cancelled: it is already shipped.", "code": "not_cancellable"}


# --- Staff status changes: the full transition table -------------------------------------------------------------

@pytest.mark.parametrize("spelling", [str.lower, str.upper])  # statuses are compared case-insensitively
@pytest.mark.parametrize("target", STATUSES)
@pytest.mark.parametrize("source", STATUSES)
def test_status_transition_table(user, staff_user, staff_client, product, source, target, spelling):
    order = _order_in(source, user=user, product=product, staff=staff_user)
    stock_before = _stock(product)
    history_before = order.status_history.count()
    allowed = target in ALLOWED_TRANSITIONS[source]

    response = staff_client.post(f"/orders/admin/{order.id}/status/",
                                 {"status": spelling(target), "note": "by the book"})

    order.refresh_from_db()
    if allowed:
        assert response.status_code == 200
        assert response.json()["message"] == "Order status updated successfully"
        assert response.json()["order"]["status"] == target
        assert order.status == target
        change = order.status_history.last()
        assert (change.from_status, change.to_status, change.changed_by_id, change.note) == (
            source, target, staff_user.id, "by the book")
        assert _stock(product) == stock_before + (2 if target == "cancelled" else 0)
    else:
        assert response.status_code == 400
        if target == "cancelled":  # the cancel policy answers, as every cancel endpoint does (orders/policy.py)
            assert response.json() == {"detail": f"Order cannot be cancelled: it is already {source}.",
                                       "code": "not_cancellable"}
        else:
            assert response.json() == {"detail": f"Cannot change an order from {source} to {target}.",
                                       "code": "invalid_transition"}
        assert order.status == source
        assert order.status_history.count() == history_before
        assert _stock(product) == stock_before


def test_the_transition_table_is_the_seeds(user):
    assert {k: set(v) for k, v in ALLOWED_TRANSITIONS.items()} == {
        "pending": {"processing", "cancelled"}, "processing": {"shipped", "cancelled"}, "shipped": {"delivered"},
        "delivered": set(), "cancelled": set()}


def test_unknown_status_is_a_400(user, staff_client, product):
    order = place_order(user=user, product=product)

    response = staff_client.post(f"/orders/admin/{order.id}/status/", {"status": "teleported"})

    assert response.status_code == 400
    assert "status" in response.json()["errors"]


def test_shipping_and_delivering_move_the_shipment_and_mail(user, staff_client, product,
                                                            django_capture_on_commit_callbacks):
    order = place_order(user=user, product=product, paid=True)

    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.patch(f"/orders/{order.id}/status/", {"status": "shipped"}).status_code == 200
        body = staff_client.post(f"/orders/admin/{order.id}/status/", {"status": "delivered"}).json()["order"]

    assert [e["status"] for e in body["shipment"]["events"]] == ["ORDER_PLACED", "SHIPPED", "DELIVERED"]
    assert body["shipment"]["status"] == "DELIVERED"
    assert body["shipment"]["delivered_at"] is not None
    assert [m.subject for m in mail.outbox] == [f"Your order {order.order_key} has shipped",
                                                f"Your order {order.order_key} was delivered"]


def test_staff_cancel_records_reason_staff(user, staff_user, staff_client, product):
    order = place_order(user=user, product=product, quantity=4)

    staff_client.post(f"/orders/admin/{order.id}/status/", {"status": "cancelled", "note": "fraud"})

    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == ("cancelled", "staff")
    assert _stock(product) == 10


# --- Staff list filters -------------------------------------------------------------------------------------------

def test_admin_list_filters_by_status_user_and_date(user, other_user, staff_user, staff_client, product):
    mine = place_order(user=user, product=product)
    theirs = place_order(user=other_user, product=product, status="shipped", staff=staff_user)
    Order.objects.filter(pk=mine.pk).update(created_at="2026-01-10T10:00:00Z")
    Order.objects.filter(pk=theirs.pk).update(created_at="2026-02-10T10:00:00Z")

    def ids(query):
        response = staff_client.get(f"/orders/admin/?{query}")
        assert response.status_code == 200
        return [order["id"] for order in response.json()["results"]]

    assert ids("") == [theirs.id, mine.id]
    assert ids("status=shipped") == ids("status=SHIPPED") == [theirs.id]
    assert ids(f"user={user.id}") == [mine.id]
    assert ids("created_from=2026-02-01T00:00:00Z") == [theirs.id]
    assert ids("created_to=2026-02-01T00:00:00Z") == [mine.id]
    assert staff_client.get("/orders/admin/?status=bogus").status_code == 400


# --- Shipments --------------------------------------------------------------------------------------------------

def test_staff_update_shipment_and_add_events(user, user_client, staff_client, product):
    order = place_order(user=user, product=product, paid=True)

    response = staff_client.patch(f"/orders/admin/{order.id}/shipment/", {
        "carrier": "DHL", "tracking_number": "JD0123", "tracking_url": "https://track.example.com/JD0123",
        "estimated_delivery_at": "2026-12-01T12:00:00Z"})
    assert response.status_code == 200
    assert (response.json()["carrier"], response.json()["tracking_number"]) == ("DHL", "JD0123")
    assert response.json()["estimated_delivery_at"] == "2026-12-01T12:00:00Z"

    # After the order was placed whatever day the suite runs (a fixed date once fell before it), and not before its
    # latest event (in transit moves the shipment on): a carrier clock a minute ahead, within the skew allowance.
    left_hub = (timezone.now() + timedelta(minutes=1)).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = staff_client.post(f"/orders/admin/{order.id}/shipment/events/", {
        "status": "IN_TRANSIT", "message": "Left the hub", "location": "Nairobi", "occurred_at": left_hub})
    assert response.status_code == 201
    assert response.json()["status"] == "IN_TRANSIT"
    assert response.json()["location"] == "Nairobi"

    shipment = user_client.get(f"/orders/{order.id}/").json()["shipment"]
    assert shipment["status"] == "IN_TRANSIT"
    assert shipment["tracking_url"] == "https://track.example.com/JD0123"
    assert [e["status"] for e in shipment["events"]] == ["ORDER_PLACED", "IN_TRANSIT"]


@pytest.mark.parametrize("data", [{"status": "LOST_IN_SPACE"}, {"status": "IN_TRANSIT", "occurred_at": "soon"}])
def test_bad_shipment_events_are_400(user, staff_client, product, data):
    order = place_order(user=user, product=product)

    response = staff_client.post(f"/orders/admin/{order.id}/shipment/events/", data)

    assert response.status_code == 400
    assert order.shipment.events.count() == 1


def test_bad_tracking_url_is_400(user, staff_client, product):
    order = place_order(user=user, product=product)

    response = staff_client.patch(f"/orders/admin/{order.id}/shipment/", {"tracking_url": "not a url"})

    assert response.status_code == 400
    assert "tracking_url" in response.json()["errors"]


def test_cancelled_orders_shipment_cannot_move(user, staff_user, staff_client, product):
    order = place_order(user=user, product=product, status="cancelled", staff=staff_user)

    response = staff_client.post(f"/orders/admin/{order.id}/shipment/events/", {"status": "IN_TRANSIT"})

    assert response.status_code == 400
    assert response.json()["code"] == "order_cancelled"


def test_history_is_listed_on_the_order(user, user_client, staff_user, product):
    order = place_order(user=user, product=product, status="delivered", staff=staff_user)

    history = user_client.get(f"/orders/{order.id}/").json()["status_history"]

    assert [(h["from_status"], h["to_status"]) for h in history] == [
        ("", "pending"), ("pending", "processing"), ("processing", "shipped"), ("shipped", "delivered")]
    assert OrderStatusChange.objects.filter(order=order).count() == 4


def test_admin_list_query_budget_is_constant(user, other_user, staff_client, django_assert_num_queries):
    place_order(user=user, product=ProductFactory())
    # count, orders+address+shipment, items, history, shipment events, payments, discounts (staff is
    # force-authenticated)
    with django_assert_num_queries(7):
        assert len(staff_client.get("/orders/admin/").json()["results"]) == 1
    for buyer in (user, other_user) * 3:
        place_order(user=buyer, product=ProductFactory(), quantity=2)
    with django_assert_num_queries(7):
        assert len(staff_client.get("/orders/admin/").json()["results"]) == 7
