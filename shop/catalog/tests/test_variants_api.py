from decimal import Decimal

import pytest

from shop.catalog.models import ProductVariant
from shop.catalog.stock import InsufficientStock, StockLine, stock_deduct

from .factories import ProductVariantFactory

pytestmark = pytest.mark.django_db


def add_url(slug):
    return f"/products/{slug}/variants/"


def variant_url(pk):
    return f"/products/variants/{pk}/"


VARIANT = {"sku": "HP-RED-M", "barcode": "4006381333931", "name": "Red / M",
           "options": {"colour": "red", "size": "M"}, "price_override": "24.50", "stock_quantity": 7}


def test_create_a_variant_and_see_it_on_the_product(staff_client, api_client, product):
    response = staff_client.post(add_url(product.slug), VARIANT, format="json")

    assert response.status_code == 201
    variant = ProductVariant.objects.get(sku="HP-RED-M")
    expected = {
        "id": variant.id, "product": product.id, "sku": "HP-RED-M", "barcode": "4006381333931", "name": "Red / M",
        "options": {"colour": "red", "size": "M"}, "price": "24.50", "sale_price": None, "price_override": "24.50",
        "stock_quantity": 7, "is_active": True, "tax_class": None,
    }
    assert response.json()["variants"] == [expected]
    assert api_client.get(f"/products/{product.slug}/").json()["variants"] == [expected]


def test_without_override_the_variant_costs_the_product_price(staff_client, product):
    response = staff_client.post(add_url(product.slug), {"sku": "HP-1", "name": "Plain"}, format="json")

    assert response.status_code == 201
    variant = response.json()["variants"][0]
    assert variant["price"] == "19.99"
    assert variant["price_override"] is None
    assert variant["stock_quantity"] == 0
    assert variant["options"] == {}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"stock_quantity": -1}, "stock_quantity"),
        ({"price_override": "0.00"}, "price_override"),
        ({"price_override": "-5"}, "price_override"),
        ({"sku": ""}, "sku"),
        ({"options": ["red"]}, "options"),
    ],
)
def test_variant_validation(staff_client, product, overrides, field):
    response = staff_client.post(add_url(product.slug), {**VARIANT, **overrides}, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not ProductVariant.objects.exists()


def test_duplicate_sku_is_a_400(staff_client, product):
    ProductVariantFactory(sku="HP-RED-M")

    response = staff_client.post(add_url(product.slug), VARIANT, format="json")

    assert response.status_code == 400
    assert "sku" in response.json()["errors"]


def test_get_patch_put_variant(staff_client, api_client, product):
    variant = ProductVariantFactory(product=product, sku="A1", name="Small")

    got = api_client.get(variant_url(variant.id))
    assert got.status_code == 200 and got.json()["sku"] == "A1"

    patched = staff_client.patch(variant_url(variant.id), {"stock_quantity": 40, "price_override": "1.50"},
                                 format="json")
    assert patched.status_code == 200
    assert patched.json()["stock_quantity"] == 40 and patched.json()["price"] == "1.50"

    put = staff_client.put(variant_url(variant.id), {"sku": "A2", "name": "Large"}, format="json")
    assert put.status_code == 200
    assert put.json()["sku"] == "A2" and put.json()["name"] == "Large"
    assert put.json()["price_override"] is None  # PUT replaces: omitted optional fields take their defaults


def test_inactive_variant_is_hidden_from_the_public_and_shown_to_staff(api_client, manager_client, product):
    hidden = ProductVariantFactory(product=product, is_active=False)
    shown = ProductVariantFactory(product=product)

    public = api_client.get(f"/products/{product.slug}/").json()["variants"]
    staff = manager_client.get(f"/products/{product.slug}/").json()["variants"]

    assert [v["id"] for v in public] == [shown.id]
    assert [v["id"] for v in staff] == [hidden.id, shown.id]
    assert api_client.get(variant_url(hidden.id)).status_code == 404
    assert manager_client.get(variant_url(hidden.id)).status_code == 200


def test_delete_is_soft_and_the_variant_can_no_longer_be_bought(staff_client, api_client, product):
    variant = ProductVariantFactory(product=product, stock_quantity=3)

    response = staff_client.delete(variant_url(variant.id))

    assert response.status_code == 204
    variant.refresh_from_db()
    assert variant.is_deleted is True and variant.is_active is False
    assert api_client.get(f"/products/{product.slug}/").json()["variants"] == []
    assert staff_client.get(variant_url(variant.id)).status_code == 404
    with pytest.raises(InsufficientStock):
        stock_deduct(lines=[StockLine(product_id=product.id, quantity=1, variant_id=variant.id)])


@pytest.mark.parametrize(("client_fixture", "expected"), [("api_client", 401), ("user_client", 403),
                                                          ("staff_without_perms_client", 403)])
def test_variant_writes_need_permissions(request, product, client_fixture, expected):
    client = request.getfixturevalue(client_fixture)
    variant = ProductVariantFactory(product=product, stock_quantity=5)

    assert client.post(add_url(product.slug), VARIANT, format="json").status_code == expected
    assert client.patch(variant_url(variant.id), {"stock_quantity": 99}, format="json").status_code == expected
    assert client.delete(variant_url(variant.id)).status_code == expected
    variant.refresh_from_db()
    assert variant.stock_quantity == 5 and variant.is_deleted is False


def test_manager_can_manage_variants(manager_client, product):
    response = manager_client.post(add_url(product.slug), VARIANT, format="json")

    assert response.status_code == 201
    assert ProductVariant.objects.get().price == Decimal("24.50")
