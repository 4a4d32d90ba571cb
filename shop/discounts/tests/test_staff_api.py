"""The staff API for vouchers, codes and promotions, its refusals, and the usage reports."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shop.catalog.tests.factories import CategoryFactory, ProductFactory
from shop.discounts.models import Voucher, VoucherCode
from shop.discounts.tests.factories import PromotionFactory, VoucherFactory
from shop.orders.tests.factories import pay_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(db):
    return ProductFactory(price=Decimal("40.00"), stock_quantity=20)


VOUCHERS = "/discounts/vouchers/"
PROMOTIONS = "/discounts/promotions/"


def test_customers_and_anonymous_callers_are_refused(user_client, api_client):
    voucher = VoucherFactory()
    for client, status in ((user_client, 403), (api_client, 401)):
        assert client.get(VOUCHERS).status_code == status
        assert client.post(VOUCHERS, {"name": "x"}, format="json").status_code == status
        assert client.get(f"{VOUCHERS}{voucher.pk}/usage/").status_code == status
        assert client.get(PROMOTIONS).status_code == status


def test_staff_create_a_voucher_with_codes_and_read_it_back(staff_client):
    category = CategoryFactory()
    response = staff_client.post(VOUCHERS, {
        "name": "Books 15 %", "kind": "percentage", "value": "15", "scope": "categories", "categories": [category.pk],
        "min_spend": "20.00", "usage_limit": 100, "per_customer_limit": 1, "codes": ["BOOKS15", "books-vip"],
    }, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["scope"], body["categories"], body["times_used"], body["code_count"]) == (
        "categories", [category.pk], 0, 2)
    assert staff_client.get(f"{VOUCHERS}{body['id']}/").json() == body
    codes = staff_client.get(f"{VOUCHERS}{body['id']}/codes/").json()["results"]
    assert [code["code"] for code in codes] == ["BOOKS15", "books-vip"]


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "x", "kind": "percentage", "value": "150"}, "value"),
    ({"name": "x", "kind": "fixed", "value": "0"}, "value"),
    ({"name": "x", "value": "5", "scope": "products"}, "products"),
    ({"name": "x", "kind": "free_shipping", "scope": "order"}, "scope"),
    ({"name": "x", "value": "5", "starts_at": "2027-01-02T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z"},
     "ends_at"),
    ({"name": "x", "codes": ["has space"]}, "codes"),
    ({"name": "x", "products": [999999]}, "products"),
    ({"name": "x", "surprise": 1}, "surprise"),
])
def test_bad_voucher_input_is_a_400_naming_the_field(staff_client, body, field):
    response = staff_client.post(VOUCHERS, body, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"], response.json()
    assert Voucher.objects.count() == 0


def test_free_shipping_vouchers_apply_to_shipping_by_themselves(staff_client):
    response = staff_client.post(VOUCHERS, {"name": "Ship", "kind": "free_shipping"}, format="json")

    assert response.status_code == 201
    assert response.json()["scope"] == "shipping"


def test_codes_ignore_case_when_unique(staff_client):
    VoucherFactory(code="SUMMER")

    response = staff_client.post(VOUCHERS, {"name": "x", "value": "5", "codes": ["summer"]}, format="json")
    twice = staff_client.post(VOUCHERS, {"name": "x", "value": "5", "codes": ["A1", "a1"]}, format="json")

    assert (response.status_code, response.json()["code"]) == (400, "voucher_code_taken")
    assert (twice.status_code, twice.json()["code"]) == (400, "voucher_code_taken")
    assert VoucherCode.objects.count() == 1


def test_bulk_generated_codes_are_unique_and_counted(staff_client):
    voucher = VoucherFactory(code="FIRST")

    response = staff_client.post(f"{VOUCHERS}{voucher.pk}/codes/", {"count": 300, "prefix": "spring-",
                                                                    "length": 8}, format="json")

    assert response.status_code == 201
    codes = [item["code"] for item in response.json()["codes"]]
    assert response.json()["created"] == 300 == len({code.lower() for code in codes})
    assert all(code.startswith("SPRING-") and len(code) == 15 for code in codes)
    assert staff_client.get(f"{VOUCHERS}{voucher.pk}/").json()["code_count"] == 301
    both = staff_client.post(f"{VOUCHERS}{voucher.pk}/codes/", {"count": 1, "codes": ["X"]}, format="json")
    assert (both.status_code, list(both.json()["errors"])) == (400, ["count", "codes"])


def test_a_usage_limit_below_the_uses_held_is_refused_and_a_used_voucher_is_not_deleted(staff_client, user, product):
    voucher = VoucherFactory(code="HELD", usage_limit=10)
    from shop.orders.tests.factories import place_order

    place_order(user=user, product=product, voucher="held")
    place_order(user=user, product=product, voucher="held")

    lower = staff_client.patch(f"{VOUCHERS}{voucher.pk}/", {"usage_limit": 1}, format="json")
    deleted = staff_client.delete(f"{VOUCHERS}{voucher.pk}/")

    assert (lower.status_code, lower.json()["code"]) == (409, "voucher_limit_below_uses")
    assert (deleted.status_code, deleted.json()["code"]) == (409, "voucher_in_use")
    assert staff_client.patch(f"{VOUCHERS}{voucher.pk}/", {"usage_limit": 2}, format="json").status_code == 200
    unused = VoucherFactory()
    assert staff_client.delete(f"{VOUCHERS}{unused.pk}/").status_code == 204


def test_usage_reports_count_uses_orders_and_money(staff_client, user, settings):
    settings.PAYMENT_METHODS = ["sandbox", "cod"]
    from shop.orders.services import order_cancel
    from shop.orders.tests.factories import place_order

    product = ProductFactory(price=Decimal("30.00"), stock_quantity=10)
    voucher = VoucherFactory(code="REPORT", kind="fixed", value=Decimal("4.00"), combines_with_promotions=True)
    promotion = PromotionFactory(products=[product], value=Decimal("10"))
    paid = place_order(user=user, product=product, voucher="report")
    pay_order(order=paid, user=user)
    place_order(user=user, product=product, quantity=2, voucher="report")
    cancelled = place_order(user=user, product=product, voucher="report")
    order_cancel(order_id=cancelled.pk, by=user)

    report = staff_client.get(f"{VOUCHERS}{voucher.pk}/usage/").json()
    sales = staff_client.get(f"{PROMOTIONS}{promotion.pk}/usage/").json()

    assert report == {"times_used": 2, "orders": 2, "amount_discounted": "8.00", "reserved": 1, "consumed": 1,
                      "released": 1}
    assert sales == {"times_used": 2, "orders": 2, "amount_discounted": "9.00"}  # 3.00 + 2 x 3.00


def test_staff_manage_promotions(staff_client):
    product = ProductFactory()
    starts = timezone.now()
    response = staff_client.post(PROMOTIONS, {"name": "Week", "value": "20", "products": [product.pk],
                                              "starts_at": starts.isoformat(),
                                              "ends_at": (starts + timedelta(days=7)).isoformat()}, format="json")
    assert response.status_code == 201, response.json()
    promotion_id = response.json()["id"]

    empty = staff_client.post(PROMOTIONS, {"name": "None", "value": "5", "starts_at": starts.isoformat()},
                              format="json")
    window = staff_client.patch(f"{PROMOTIONS}{promotion_id}/", {"ends_at": starts.isoformat()}, format="json")
    changed = staff_client.patch(f"{PROMOTIONS}{promotion_id}/", {"value": "30"}, format="json")

    assert (empty.status_code, list(empty.json()["errors"])) == (400, ["products"])
    # Both bounds named and quoted (a tester: it named ends_at only, quoting neither).
    assert (window.status_code, sorted(window.json()["errors"])) == (400, ["ends_at", "starts_at"])
    assert window.json()["errors"]["ends_at"] == [
        f"ends_at ({starts.isoformat()}) must be after starts_at ({starts.isoformat()}): send the window's end "
        "after its start."]
    assert changed.status_code == 200 and changed.json()["value"] == "30.00"
    assert staff_client.delete(f"{PROMOTIONS}{promotion_id}/").status_code == 204
    assert staff_client.get(f"{PROMOTIONS}{promotion_id}/").status_code == 404
