"""Staff input that would be silently ignored or silently give goods away: targets that do not fit a voucher's
scope, and a promotion's fixed amount above a product's price (a sale price never goes below 0)."""

from decimal import Decimal

import pytest

from shop.catalog.tests.factories import CategoryFactory, ProductFactory, ProductVariantFactory
from shop.discounts.calculation import PromotionRule
from shop.discounts.models import Promotion, Voucher
from shop.discounts.tests.factories import PromotionFactory, VoucherFactory

pytestmark = pytest.mark.django_db

VOUCHERS = "/discounts/vouchers/"
PROMOTIONS = "/discounts/promotions/"


@pytest.fixture
def targets(db):
    product = ProductFactory(price=Decimal("40.00"))
    return {"products": [product.pk], "variants": [ProductVariantFactory(product=product).pk],
            "categories": [CategoryFactory().pk]}


SCOPES = ["order", "shipping", "products", "variants", "categories"]


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("relation", ["products", "variants", "categories"])
def test_targets_that_do_not_fit_the_scope_are_refused_naming_the_field(staff_client, admin_web, targets, scope,
                                                                        relation):
    if relation == scope:
        return  # fits: covered by the staff API tests
    body = {"name": "x", "kind": "free_shipping" if scope == "shipping" else "percentage", "value": "0"
            if scope == "shipping" else "10", "scope": scope, relation: targets[relation]}
    if scope in targets:
        body[scope] = targets[scope]

    response = staff_client.post(VOUCHERS, body, format="json")
    in_admin = admin_web.post("/admin/discounts/voucher/add/", {
        **{key: value for key, value in body.items() if key not in ("products", "variants", "categories")},
        **{key: body[key] for key in ("products", "variants", "categories") if key in body},
        "codes-TOTAL_FORMS": "0", "codes-INITIAL_FORMS": "0", "codes-MIN_NUM_FORMS": "0",
        "codes-MAX_NUM_FORMS": "1000", "redemptions-TOTAL_FORMS": "0", "redemptions-INITIAL_FORMS": "0",
        "redemptions-MIN_NUM_FORMS": "0", "redemptions-MAX_NUM_FORMS": "0", "is_active": "on"})

    assert response.status_code == 400, response.json()
    assert list(response.json()["errors"]) == [relation], response.json()
    assert f"takes no {relation}" in response.json()["errors"][relation][0]
    assert in_admin.status_code == 200 and f"takes no {relation}" in in_admin.content.decode()
    assert Voucher.objects.count() == 0


def test_changing_the_scope_needs_the_old_targets_cleared(staff_client, targets):
    voucher = VoucherFactory(scope="products", products=targets["products"])

    kept = staff_client.patch(f"{VOUCHERS}{voucher.pk}/", {"scope": "order"}, format="json")
    cleared = staff_client.patch(f"{VOUCHERS}{voucher.pk}/", {"scope": "order", "products": []}, format="json")
    added = staff_client.patch(f"{VOUCHERS}{voucher.pk}/", {"categories": targets["categories"]}, format="json")

    assert (kept.status_code, list(kept.json()["errors"])) == (400, ["products"])
    assert cleared.status_code == 200 and (cleared.json()["scope"], cleared.json()["products"]) == ("order", [])
    assert (added.status_code, list(added.json()["errors"])) == (400, ["categories"])


# --- Promotions: never below 0, and said so ---------------------------------------------------------------------

def test_a_fixed_amount_above_a_named_products_price_is_refused(staff_client, admin_web):
    cheap = ProductFactory(name="Pen", price=Decimal("3.00"))
    dear = ProductFactory(price=Decimal("50.00"))
    ProductVariantFactory(product=dear, name="Small", price_override=Decimal("4.00"))
    starts = "2026-01-01T00:00:00Z"

    for product in (cheap, dear):
        response = staff_client.post(PROMOTIONS, {"name": "5 off", "kind": "fixed", "value": "5.00",
                                                  "products": [product.pk], "starts_at": starts}, format="json")
        assert (response.status_code, list(response.json()["errors"])) == (400, ["value"]), response.json()
    assert "Pen (3.00)" in staff_client.post(PROMOTIONS, {
        "name": "5 off", "kind": "fixed", "value": "5.00", "products": [cheap.pk], "starts_at": starts},
        format="json").json()["detail"]
    in_admin = admin_web.post("/admin/discounts/promotion/add/", {
        "name": "5 off", "kind": "fixed", "value": "5.00", "products": [cheap.pk], "starts_at_0": "2026-01-01",
        "starts_at_1": "00:00:00", "is_active": "on"})
    assert in_admin.status_code == 200 and "would make free" in in_admin.content.decode()
    assert Promotion.objects.count() == 0
    equal = staff_client.post(PROMOTIONS, {"name": "3 off", "kind": "fixed", "value": "3.00",
                                           "products": [cheap.pk], "starts_at": starts}, format="json")
    assert equal.status_code == 201  # exactly the price: free on purpose, and said so
    assert equal.json()["free_products"] == [cheap.pk]


def test_products_a_sale_makes_free_are_shown_and_their_sale_price_is_0(staff_client, admin_web, api_client):
    category = CategoryFactory()
    cheap = ProductFactory(category=category, price=Decimal("2.00"), stock_quantity=5)
    ProductFactory(category=category, price=Decimal("30.00"))
    promotion = PromotionFactory(kind="fixed", value=Decimal("5.00"), categories=[category])

    detail = staff_client.get(f"{PROMOTIONS}{promotion.pk}/").json()
    page = admin_web.get(f"/admin/discounts/promotion/{promotion.pk}/change/").content.decode()
    shown = api_client.get(f"/products/{cheap.slug}/").json()

    assert detail["free_products"] == [cheap.pk]
    assert cheap.name in page and "made free" in page.lower()
    assert (shown["price"], shown["sale_price"]) == ("2.00", "0.00")
    cheap.price = Decimal("9.00")  # prices change: the list is read afresh
    cheap.save()
    assert staff_client.get(f"{PROMOTIONS}{promotion.pk}/").json()["free_products"] == []


@pytest.mark.parametrize(("kind", "value", "price", "free"), [
    ("percentage", "100", "999.99", True),
    ("percentage", "99.5", "1.00", True),    # 0.995 rounds half up to 1.00: the whole price
    ("percentage", "99.5", "1.01", False),   # 1.00495 -> 1.00, a cent is left
    ("percentage", "50", "0.01", True),      # 0.005 -> 0.01
    ("percentage", "50", "0.02", False),
    ("fixed", "5.00", "5.00", True),
    ("fixed", "5.00", "5.01", False),
])
def test_the_free_up_to_price_is_exactly_where_the_sale_price_reaches_0(kind, value, price, free):
    rule = PromotionRule(id=1, name="x", kind=kind, value=Decimal(value))
    ceiling = rule.free_up_to("EUR")

    assert (ceiling is None or Decimal(price) <= ceiling) is free
    assert (rule.unit_off(Decimal(price), "EUR") == Decimal(price)) is free
