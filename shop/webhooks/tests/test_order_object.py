"""An order event's ``object`` is the order as staff read it (``GET /orders/{id}/`` as staff answer it), like the
product and the user objects: its receivers are the shop's own systems. A tester found staff moves shown with
``changed_by: null`` and their notes blanked in ``GET /events/``, while staff's own order read showed both."""

import pytest

from shop.catalog.tests.factories import ProductFactory
from shop.events.types import Resource
from shop.orders.tests.factories import place_order
from shop.webhooks.renderers import render

pytestmark = pytest.mark.django_db


def test_an_order_object_shows_who_moved_it_and_staffs_notes(user, staff_user, staff_client, user_client):
    order = place_order(user=user, product=ProductFactory(stock_quantity=3), paid=True)
    moved = staff_client.post(f"/orders/admin/{order.pk}/status/", {"status": "shipped", "note": "Courier at 4"},
                              format="json")
    assert moved.status_code == 200, moved.content

    rendered = render(Resource.ORDER, order.pk)

    staff_read = staff_client.get(f"/orders/{order.pk}/").json()
    customer_read = user_client.get(f"/orders/{order.pk}/").json()
    shipped = [change for change in rendered["status_history"] if change["to_status"] == "shipped"]
    assert [(change["changed_by"], change["note"]) for change in shipped] == [(staff_user.pk, "Courier at 4")]
    assert rendered["status_history"] == staff_read["status_history"]
    assert [change["note"] for change in customer_read["status_history"] if change["to_status"] == "shipped"] == [""]
