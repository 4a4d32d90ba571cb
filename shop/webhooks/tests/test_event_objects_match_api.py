"""Every event's ``object`` is its resource as the API answers it to staff (docs/WEBHOOKS.md), key for key and value
for value: an order as ``GET /orders/{id}/``, a payment as ``GET /payments/{id}/``, a product as staff's product
read (a deleted one as ``GET /products/?deleted=true`` lists it), a customer as ``GET /auth/users/`` lists it.

A tester found ``payment.succeeded`` / ``payment.failed`` objects without the ``refunds`` the payment read shows, and
``product.updated`` objects with an ``is_deleted`` that no product read has. This walks a shop through every event
type and compares each event's object, rendered as the relay renders it, with staff's read of the same resource at
that moment; an event type the walk does not reach fails it, so a new type comes with its comparison.
"""

from decimal import Decimal

import pytest

from shop.catalog.tests.factories import CategoryFactory
from shop.events.models import Event
from shop.events.types import RESOURCE_OF_TYPE, EventType, Resource
from shop.orders.models import Order
from shop.orders.tests.factories import SHIP_TO
from shop.webhooks.renderers import render

pytestmark = pytest.mark.django_db

# The refund object (refund.succeeded, refund.failed) is being reshaped in a change of its own (its tax and lines);
# it has no read of its own either: a refund is shown inside its payment's read (compared here, refunds included).
NOT_COMPARED_HERE = {EventType.REFUND_SUCCEEDED, EventType.REFUND_FAILED}


class StaffReads:
    """Staff's API read of a resource, the way a receiver would fetch it to compare."""

    def __init__(self, staff_client):
        self.client = staff_client

    def _ok(self, path):
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.content)
        return response.json()

    def _row(self, path, resource_id):
        rows = [row for row in self._ok(path)["results"] if row["id"] == resource_id]
        assert len(rows) == 1, (path, resource_id)
        return rows[0]

    def __call__(self, resource: str, resource_id: int) -> dict:
        if resource == Resource.ORDER:
            return self._ok(f"/orders/{resource_id}/")
        if resource == Resource.PAYMENT:
            return self._ok(f"/payments/{resource_id}/")
        if resource == Resource.PRODUCT:
            live = self.client.get(f"/products/{resource_id}/")
            if live.status_code == 200:
                return live.json()
            return self._row("/products/?deleted=true&page_size=100", resource_id)
        if resource == Resource.CUSTOMER:
            return self._row("/auth/users/?page_size=100", resource_id)
        raise AssertionError(f"no staff read for {resource}")


@pytest.fixture
def shop(payments_on, settings):
    settings.CATALOG_LOW_STOCK_THRESHOLD = 3
    return CategoryFactory()


def test_every_event_objects_keys_and_values_are_staffs_api_read(shop, staff_client, user_client, user):
    read = StaffReads(staff_client)
    compared: dict[str, int] = {}
    seen = 0

    def compare_new_events():
        nonlocal seen
        for event in Event.objects.filter(id__gt=seen).order_by("id"):
            seen = event.id
            if event.type in NOT_COMPARED_HERE:
                continue
            assert event.resource_type == RESOURCE_OF_TYPE[event.type]
            rendered = render(event.resource_type, event.resource_id)
            staff_read = read(event.resource_type, event.resource_id)
            assert sorted(rendered) == sorted(staff_read), event.type
            assert rendered == staff_read, event.type
            compared[event.type] = compared.get(event.type, 0) + 1

    def ok(response, status=200):
        assert response.status_code == status, response.content
        compare_new_events()
        return response.json()

    ok(staff_client.post("/auth/users/", {
        "email": "new@example.com", "first_name": "Ada", "last_name": "L", "password": "a-long-passphrase-1",
        "password2": "a-long-passphrase-1"}, format="json"), 201)
    product = ok(staff_client.post("/products/", {
        "name": "Yacht", "slug": "yacht", "description": "Big", "price": "10.00", "stock_quantity": 6,
        "category_id": shop.pk}, format="json"), 201)
    ok(staff_client.patch("/products/yacht/", {"description": "Bigger"}, format="json"))

    def checkout(quantity, method="sandbox"):
        return ok(user_client.post("/orders/checkout/", {
            "items": [{"product_id": product["id"], "quantity": quantity}], "payment_method": method,
            "shipping_address": SHIP_TO},
            format="json"), 201)

    paid = checkout(3)  # 6 -> 3: stock.low
    ok(user_client.post(f"/payments/sandbox/{paid['payment_id']}/succeed/"))
    ok(staff_client.post("/payments/refund/", {"payment_id": paid["payment_id"], "amount": "1.00"}, format="json"))
    ok(staff_client.post(f"/orders/admin/{paid['id']}/shipment/events/", {"status": "PACKED"}, format="json"), 201)
    ok(staff_client.post(f"/orders/admin/{paid['id']}/status/", {"status": "shipped"}, format="json"))
    ok(staff_client.post(f"/orders/admin/{paid['id']}/status/", {"status": "delivered"}, format="json"))

    failed = checkout(1)
    ok(user_client.post(f"/payments/sandbox/{failed['payment_id']}/fail/"))
    ok(user_client.post(f"/orders/{failed['id']}/cancel/"))
    cash = checkout(1, "cod")
    # Checkout places orders processing; a pending one is an order from before it did. Its payment moves it on:
    # the one order.status_changed the shop still records.
    Order.objects.filter(pk=cash["id"]).update(status=Order.Status.PENDING)
    ok(staff_client.post(f"/payments/{cash['payment_id']}/collect/"))
    deleted = staff_client.delete("/products/yacht/")
    assert deleted.status_code == 204, deleted.content
    compare_new_events()

    assert set(EventType) - NOT_COMPARED_HERE - set(compared) == set()
    assert Decimal(read(Resource.PAYMENT, paid["payment_id"])["refunds"][0]["amount"]) == Decimal("1.00")
