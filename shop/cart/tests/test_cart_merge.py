"""Logging in (or registering) with X-Cart-Token merges the guest cart into the user's: merge, replace or keep,
every adjustment reported, the guest cart closed and its token dead."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from shop.accounts.api.serializers import CART_MERGE_ADJUSTMENTS, CART_MERGE_STRATEGIES
from shop.accounts.tests.helpers import login
from shop.cart.guest import Adjustment, MergeStrategy
from shop.cart.models import CART_MAX_QUANTITY, Cart, CartItem
from shop.cart.tests.factories import CartItemFactory
from shop.catalog.tests.factories import ProductFactory, ProductVariantFactory
from shop.orders.tests.guests import guest_cart

pytestmark = pytest.mark.django_db


@pytest.fixture
def guest():
    return APIClient()


def _login(client, user, token, strategy=None):
    headers = {"HTTP_X_CART_TOKEN": token}
    if strategy is not None:
        headers["HTTP_X_CART_MERGE"] = strategy
    return login(client, user.email, **headers)


def _lines(user) -> list[tuple]:
    return sorted((line.product_id, line.variant_id, line.quantity, line.price_snapshot)
                  for line in CartItem.objects.filter(cart__user=user))


def test_merge_adds_quantities_and_the_guest_cart_dies(guest, user):
    hat, scarf = ProductFactory(price=Decimal("10.00"), stock_quantity=9), ProductFactory(stock_quantity=9)
    CartItemFactory(cart__user=user, product=hat, quantity=2)
    token = guest_cart(guest, (hat, 3), (scarf, 1))

    response = _login(guest, user, token)

    assert response.status_code == 200, response.content
    assert response.json()["cart_merge"] == {"strategy": "merge", "cart_found": True, "lines_merged": 2,
                                             "adjustments": []}
    assert _lines(user) == sorted([(hat.pk, None, 5, Decimal("10.00")), (scarf.pk, None, 1, scarf.price)])
    assert not Cart.objects.filter(user__isnull=True).exists()
    dead = guest.get("/cart/", HTTP_X_CART_TOKEN=token)
    assert dead.status_code == 404 and dead.json()["code"] == "not_found"
    again = _login(APIClient(), user, token)  # the dead token merges nothing a second time
    assert again.json()["cart_merge"] == {"strategy": "merge", "cart_found": False, "lines_merged": 0,
                                          "adjustments": []}
    assert _lines(user)[0][2] in (5, 1)


def test_merge_caps_at_the_stock_and_the_line_limit_and_says_so(guest, user):
    scarce = ProductFactory(price=Decimal("5.00"), stock_quantity=4)
    plenty = ProductFactory(price=Decimal("1.00"), stock_quantity=CART_MAX_QUANTITY + 500)
    CartItemFactory(cart__user=user, product=scarce, quantity=3)
    CartItemFactory(cart__user=user, product=plenty, quantity=CART_MAX_QUANTITY - 1)
    token = guest_cart(guest, (scarce, 2), (plenty, 5))

    report = _login(guest, user, token).json()["cart_merge"]

    assert [(a["kind"], a["product_id"], a["requested_quantity"], a["quantity"]) for a in report["adjustments"]] == [
        ("capped", scarce.pk, 2, 4), ("capped", plenty.pk, 5, CART_MAX_QUANTITY)]
    assert [line[2] for line in _lines(user)] == [4, CART_MAX_QUANTITY]


def test_merge_drops_what_is_no_longer_for_sale_and_reprices_what_changed(guest, user):
    gone = ProductFactory(stock_quantity=5)
    sold_out = ProductFactory(stock_quantity=5)
    dearer = ProductFactory(price=Decimal("10.00"), stock_quantity=5)
    shirt = ProductFactory(stock_quantity=0)
    retired = ProductVariantFactory(product=shirt, stock_quantity=5)
    token = guest_cart(guest, (gone, 1), (sold_out, 2), (dearer, 1), (shirt, 1, retired))
    gone.is_active = False
    gone.save()
    sold_out.stock_quantity = 0
    sold_out.save()
    dearer.price = Decimal("12.50")
    dearer.save()
    retired.is_active = False
    retired.save()

    report = _login(guest, user, token).json()["cart_merge"]

    assert report["lines_merged"] == 1
    assert [(a["kind"], a["product_id"], a["variant_id"], a["quantity"], a["old_price"], a["new_price"])
            for a in report["adjustments"]] == [
        ("dropped_inactive", gone.pk, None, 0, None, None),
        ("dropped_out_of_stock", sold_out.pk, None, 0, None, None),
        ("repriced", dearer.pk, None, 1, "10.00", "12.50"),
        ("dropped_inactive", shirt.pk, retired.pk, 0, None, None),
    ]
    assert _lines(user) == [(dearer.pk, None, 1, Decimal("12.50"))]


def test_replace_makes_the_guest_cart_the_users(guest, user):
    old, new = ProductFactory(stock_quantity=5), ProductFactory(stock_quantity=5)
    CartItemFactory(cart__user=user, product=old, quantity=2)
    token = guest_cart(guest, (new, 3))

    report = _login(guest, user, token, "replace").json()["cart_merge"]

    assert (report["strategy"], report["lines_merged"], report["adjustments"]) == ("replace", 1, [])
    assert _lines(user) == [(new.pk, None, 3, new.price)]


def test_keep_leaves_the_users_cart_and_reports_the_discarded_lines(guest, user):
    mine, theirs = ProductFactory(stock_quantity=5), ProductFactory(stock_quantity=5)
    CartItemFactory(cart__user=user, product=mine, quantity=2)
    token = guest_cart(guest, (theirs, 3))

    report = _login(guest, user, token, "KEEP").json()["cart_merge"]

    assert report["strategy"] == "keep" and report["lines_merged"] == 0
    assert [(a["kind"], a["product_id"], a["requested_quantity"], a["quantity"]) for a in report["adjustments"]] == [
        ("discarded", theirs.pk, 3, 0)]
    assert _lines(user) == [(mine.pk, None, 2, mine.price)]
    assert guest.get("/cart/", HTTP_X_CART_TOKEN=token).status_code == 404


def test_an_unknown_strategy_is_a_400_naming_the_header_and_nobody_logs_in(guest, user):
    token = guest_cart(guest, (ProductFactory(stock_quantity=5), 1))

    response = _login(guest, user, token, "shuffle")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cart_merge"
    assert list(response.json()["errors"]) == ["X-Cart-Merge"]
    assert "tokens" not in response.json()
    assert guest.get("/cart/", HTTP_X_CART_TOKEN=token).status_code == 200  # the guest cart is still there


def test_a_login_without_a_token_or_with_a_wrong_one_merges_nothing(guest, user):
    assert "cart_merge" not in login(guest, user.email).json()

    response = _login(guest, user, "not-a-token")

    assert response.status_code == 200
    assert response.json()["cart_merge"]["cart_found"] is False


def test_another_guests_cart_cannot_be_taken_with_a_wrong_password(guest, user):
    token = guest_cart(guest, (ProductFactory(stock_quantity=5), 1))

    refused = login(guest, user.email, "Wrong-Passw0rd!", HTTP_X_CART_TOKEN=token)

    assert refused.status_code == 401
    assert guest.get("/cart/", HTTP_X_CART_TOKEN=token).status_code == 200
    assert not CartItem.objects.filter(cart__user=user).exists()


def test_register_with_a_token_starts_the_account_with_the_guest_cart(guest):
    product = ProductFactory(stock_quantity=5)
    token = guest_cart(guest, (product, 2))

    response = guest.post("/auth/register/", {
        "email": "new@example.com", "first_name": "New", "last_name": "Buyer", "password": "Sturdy-Passw0rd!",
        "password2": "Sturdy-Passw0rd!"}, format="json", HTTP_X_CART_TOKEN=token)

    assert response.status_code == 201, response.content
    assert response.json()["cart_merge"]["lines_merged"] == 1
    assert CartItem.objects.get(cart__user__email="new@example.com").quantity == 2


def test_the_documented_adjustments_and_strategies_are_the_cart_apps():
    assert set(CART_MERGE_ADJUSTMENTS) == {kind.value for kind in Adjustment}
    assert set(CART_MERGE_STRATEGIES) == {strategy.value for strategy in MergeStrategy}
