from decimal import Decimal

import pytest

from shop.orders.models import ShippingMethod

from .factories import ShippingMethodFactory

pytestmark = pytest.mark.django_db


def test_staff_create_list_update_and_retire(staff_client, api_client):
    response = staff_client.post("/orders/admin/shipping-methods/",
                                 {"name": "Express", "price": "12.00", "free_over": "200.00"})
    assert response.status_code == 201
    method_id = response.json()["id"]
    assert {k: response.json()[k] for k in ("name", "price", "free_over", "is_active")} == {
        "name": "Express", "price": "12.00", "free_over": "200.00", "is_active": True}

    response = staff_client.patch(f"/orders/admin/shipping-methods/{method_id}/", {"price": "9.50"})
    assert response.status_code == 200
    assert response.json()["price"] == "9.50"
    assert api_client.get("/orders/shipping-methods/").json()[0]["price"] == "9.50"

    assert staff_client.delete(f"/orders/admin/shipping-methods/{method_id}/").status_code == 204
    assert ShippingMethod.objects.get().is_active is False
    assert api_client.get("/orders/shipping-methods/").json() == []
    assert [m["id"] for m in staff_client.get("/orders/admin/shipping-methods/").json()] == [method_id]


@pytest.mark.parametrize("body", [{"name": "", "price": "1.00"}, {"name": "X", "price": "-1.00"},
                                  {"name": "X"}, {"name": "X", "price": "1.00", "free_over": "-5"}])
def test_bad_shipping_methods_are_400(staff_client, body):
    response = staff_client.post("/orders/admin/shipping-methods/", body)

    assert response.status_code == 400
    assert not ShippingMethod.objects.exists()


def test_customers_and_anonymous_cannot_manage_shipping_methods(user_client, api_client):
    method = ShippingMethodFactory(price=Decimal("5.00"))

    for client, expected in [(user_client, 403), (api_client, 401)]:
        assert client.get("/orders/admin/shipping-methods/").status_code == expected
        assert client.post("/orders/admin/shipping-methods/", {"name": "X", "price": "1"}).status_code == expected
        assert client.patch(f"/orders/admin/shipping-methods/{method.id}/", {"price": "0"}).status_code == expected
        assert client.delete(f"/orders/admin/shipping-methods/{method.id}/").status_code == expected
    method.refresh_from_db()
    assert (method.price, method.is_active, ShippingMethod.objects.count()) == (Decimal("5.00"), True, 1)


def test_unknown_shipping_method_is_404(staff_client):
    assert staff_client.patch("/orders/admin/shipping-methods/999/", {"price": "1"}).status_code == 404
    assert staff_client.delete("/orders/admin/shipping-methods/999/").status_code == 404
