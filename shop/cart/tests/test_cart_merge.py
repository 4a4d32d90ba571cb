"""Logging in (or registering) with X-Cart-Token merges the guest cart into the user's: merge, replace or keep,
every adjustment reported, the guest cart closed and its token dead."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from shop.accounts.api.examples import CART_MERGED
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
        ("capped", scarce.pk, 3 + 2, 4), ("capped", plenty.pk, CART_MAX_QUANTITY - 1 + 5, CART_MAX_QUANTITY)]
    assert [line[2] for line in _lines(user)] == [4, CART_MAX_QUANTITY]


def test_capped_reports_the_combined_quantity_asked_for(guest, user):
    plenty = ProductFactory(price=Decimal("1.00"), stock_quantity=5000)
    CartItemFactory(cart__user=user, product=plenty, quantity=800)
    token = guest_cart(guest, (plenty, 800))

    report = _login(guest, user, token).json()["cart_merge"]

    assert report["adjustments"] == [{"kind": "capped", "product_id": plenty.pk, "variant_id": None,
                                      "name": plenty.name, "requested_quantity": 1600, "quantity": 1000,
                                      "old_price": None, "new_price": None}]
    assert _lines(user) == [(plenty.pk, None, 1000, Decimal("1.00"))]
    documented = CART_MERGED["adjustments"][0]
    assert {**documented, "product_id": plenty.pk, "name": plenty.name} == report["adjustments"][0]
    assert set(CART_MERGED) == set(report)


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


# --- The order limit: a merge never takes the cart past what one order can hold (shop.core.money.MONEY_LIMIT) -----
# Adding a line past it is refused (order_too_large, shop/cart/tests/test_order_limit.py); a merge cannot refuse (the
# login goes on), so it takes what fits and reports the rest, as it does for the stock and the line limit.

BIG = Decimal("1000000000.00")  # a tenth of what one order can hold


def _adjusted(report) -> list[tuple]:
    return [(a["kind"], a["product_id"], a["requested_quantity"], a["quantity"]) for a in report["adjustments"]]


def test_a_guest_line_that_does_not_fit_in_one_order_is_dropped_and_reported(guest, user):
    mine, theirs = (ProductFactory(price=6 * BIG, stock_quantity=5) for _ in range(2))
    CartItemFactory(cart__user=user, product=mine, quantity=1)
    token = guest_cart(guest, (theirs, 1))  # 6 + 6 billion: each fits alone, not together

    response = _login(guest, user, token)

    assert response.status_code == 200, response.content
    report = response.json()["cart_merge"]
    assert (report["cart_found"], report["lines_merged"]) == (True, 0)
    assert _adjusted(report) == [("dropped_order_too_large", theirs.pk, 1, 0)]
    assert _lines(user) == [(mine.pk, None, 1, 6 * BIG)]
    assert user_client_total(user) == "6000000000.00"
    assert not Cart.objects.filter(user__isnull=True).exists()  # the guest cart is closed, as after any merge


def test_a_guest_line_is_capped_at_what_still_fits(guest, user):
    mine, theirs = ProductFactory(price=4 * BIG, stock_quantity=5), ProductFactory(price=BIG, stock_quantity=50)
    CartItemFactory(cart__user=user, product=mine, quantity=1)
    token = guest_cart(guest, (theirs, 7))  # 4 + 7 billion; 4 + 5 is the most that stays under 10

    report = _login(guest, user, token).json()["cart_merge"]

    assert report["lines_merged"] == 1
    assert _adjusted(report) == [("capped", theirs.pk, 7, 5)]
    assert _lines(user) == sorted([(mine.pk, None, 1, 4 * BIG), (theirs.pk, None, 5, BIG)])
    assert user_client_total(user) == "9000000000.00"


def test_the_same_line_on_both_sides_adds_only_what_fits_and_later_lines_still_get_their_turn(guest, user):
    dear = ProductFactory(price=2 * BIG, stock_quantity=50)
    cheap = ProductFactory(price=Decimal("10.00"), stock_quantity=50)
    CartItemFactory(cart__user=user, product=dear, quantity=2)
    token = guest_cart(guest, (dear, 4), (cheap, 3))  # 2 + 4 dear ones = 12 billion; 4 of them fit

    report = _login(guest, user, token).json()["cart_merge"]

    assert report["lines_merged"] == 2
    assert _adjusted(report) == [("capped", dear.pk, 6, 4)]
    assert _lines(user) == sorted([(dear.pk, None, 4, 2 * BIG), (cheap.pk, None, 3, Decimal("10.00"))])


def test_replace_takes_the_guest_lines_at_todays_prices_only_as_far_as_they_fit(guest, user):
    product = ProductFactory(price=4 * BIG, stock_quantity=5)
    token = guest_cart(guest, (product, 2))
    product.price = 6 * BIG  # raised since the guest added it: two no longer fit in one order
    product.save()

    report = _login(guest, user, token, "replace").json()["cart_merge"]

    assert sorted(_adjusted(report)) == [("capped", product.pk, 2, 1), ("repriced", product.pk, 2, 1)]
    assert _lines(user) == [(product.pk, None, 1, 6 * BIG)]


def test_a_cart_already_past_the_limit_keeps_its_lines_and_takes_no_guest_line(guest, user):
    mine = ProductFactory(price=6 * BIG, stock_quantity=5)
    theirs = ProductFactory(price=Decimal("1.00"), stock_quantity=5)
    CartItemFactory(cart__user=user, product=mine, quantity=2)  # added at 6 billion before a price rise: 12
    token = guest_cart(guest, (mine, 1), (theirs, 1))

    response = _login(guest, user, token)

    assert response.status_code == 200, response.content
    assert _adjusted(response.json()["cart_merge"]) == [("capped", mine.pk, 3, 2),
                                                        ("dropped_order_too_large", theirs.pk, 1, 0)]
    assert _lines(user) == [(mine.pk, None, 2, 6 * BIG)]


def user_client_total(user) -> str:
    client = APIClient()
    client.force_authenticate(user)
    return client.get("/cart/").json()["total"]


def test_a_cart_no_price_can_be_put_on_still_merges_and_the_login_goes_on(guest, user, settings):
    """A login is never refused for its cart: lines priced finer than the shop's currency (a currency changed
    under stored prices: 10.005 in a USD shop) cannot be priced (400 ``unpriceable`` on a cart read), so the order
    limit cannot be measured; the merge goes on as it did before it measured it."""
    from shop.cart.services import guest_cart_create

    settings.SHOP_CURRENCY = "USD"
    odd = ProductFactory(price=Decimal("10.005"), stock_quantity=5)
    cart, token = guest_cart_create()
    CartItemFactory(cart=cart, product=odd, quantity=2)

    response = _login(guest, user, token)

    assert response.status_code == 200, response.content
    assert response.json()["cart_merge"]["lines_merged"] == 1
    assert _lines(user) == [(odd.pk, None, 2, Decimal("10.005"))]
