"""The admin edits vouchers and promotions through the API's services, and refuses what the API refuses."""

from decimal import Decimal

import pytest

from shop.catalog.tests.factories import ProductFactory
from shop.discounts.models import Promotion, Voucher
from shop.discounts.tests.factories import VoucherFactory

pytestmark = pytest.mark.django_db


def _voucher_form(**fields):
    form = {"name": "Admin voucher", "kind": "percentage", "value": "10", "scope": "order", "is_active": "on",
            "codes-TOTAL_FORMS": "1", "codes-INITIAL_FORMS": "0", "codes-MIN_NUM_FORMS": "0",
            "codes-MAX_NUM_FORMS": "1000", "codes-0-code": "ADMIN10",
            "redemptions-TOTAL_FORMS": "0", "redemptions-INITIAL_FORMS": "0", "redemptions-MIN_NUM_FORMS": "0",
            "redemptions-MAX_NUM_FORMS": "0"}
    form.update(fields)
    return form


def test_staff_create_a_voucher_with_a_code_in_the_admin(admin_web):
    assert admin_web.get("/admin/discounts/voucher/add/").status_code == 200

    response = admin_web.post("/admin/discounts/voucher/add/", _voucher_form())

    assert response.status_code == 302, response.content.decode()[:2000]
    voucher = Voucher.objects.get()
    assert (voucher.name, voucher.value, [c.code for c in voucher.codes.all()]) == (
        "Admin voucher", Decimal("10.00"), ["ADMIN10"])
    assert admin_web.get(f"/admin/discounts/voucher/{voucher.pk}/change/").status_code == 200
    assert admin_web.get("/admin/discounts/voucher/").status_code == 200


def test_the_admin_refuses_what_the_api_refuses(admin_web):
    VoucherFactory(code="TAKEN")

    bad_value = admin_web.post("/admin/discounts/voucher/add/", _voucher_form(value="150", **{"codes-0-code": "X1"}))
    taken = admin_web.post("/admin/discounts/voucher/add/", _voucher_form(**{"codes-0-code": "taken"}))
    no_targets = admin_web.post("/admin/discounts/voucher/add/", _voucher_form(scope="products",
                                                                              **{"codes-0-code": "X2"}))

    for response in (bad_value, taken, no_targets):
        assert response.status_code == 200  # the form again, with its errors
        assert "errornote" in response.content.decode()
    assert Voucher.objects.count() == 1


def test_staff_create_a_promotion_in_the_admin(admin_web):
    product = ProductFactory()

    response = admin_web.post("/admin/discounts/promotion/add/", {
        "name": "Admin sale", "kind": "percentage", "value": "15", "products": [product.pk],
        "starts_at_0": "2026-01-01", "starts_at_1": "00:00:00", "is_active": "on"})

    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(Promotion.objects.get().products.all()) == [product]
    empty = admin_web.post("/admin/discounts/promotion/add/", {
        "name": "Nothing", "kind": "percentage", "value": "15", "starts_at_0": "2026-01-01",
        "starts_at_1": "00:00:00"})
    assert empty.status_code == 200 and Promotion.objects.count() == 1
    assert admin_web.get("/admin/discounts/promotion/").status_code == 200
    assert admin_web.get("/admin/discounts/redemption/").status_code == 200
    assert admin_web.get("/admin/discounts/orderdiscount/").status_code == 200


@pytest.mark.parametrize("how", ["delete page", "bulk action"])
def test_a_promotion_deleted_in_the_admin_leaves_the_cached_catalog_pages_at_once(
    admin_web, api_client, django_capture_on_commit_callbacks, how
):
    from shop.discounts.tests.factories import PromotionFactory

    product = ProductFactory(price=Decimal("20.00"))
    promotion = PromotionFactory(products=[product], value=Decimal("50"))
    url = f"/products/{product.slug}/"
    assert api_client.get(url).json()["sale_price"] == "10.00"
    assert api_client.get(url)["X-Cache"] == "HIT"

    with django_capture_on_commit_callbacks(execute=True):
        if how == "delete page":
            response = admin_web.post(f"/admin/discounts/promotion/{promotion.pk}/delete/", {"post": "yes"})
        else:
            response = admin_web.post("/admin/discounts/promotion/", {
                "action": "delete_selected", "_selected_action": [promotion.pk], "post": "yes"})

    assert response.status_code == 302 and not Promotion.objects.exists()
    answer = api_client.get(url)
    assert (answer["X-Cache"], answer.json()["sale_price"]) == ("MISS", None)
    assert api_client.get("/products/").json()["results"][0]["sale_price"] is None
