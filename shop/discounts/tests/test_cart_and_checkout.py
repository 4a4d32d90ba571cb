"""A customer's vouchers and sales: the cart endpoints, checkout and direct orders, and the ledger behind them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shop.cart.models import Cart
from shop.catalog.tests.factories import CategoryFactory, ProductFactory, ProductVariantFactory
from shop.core.exceptions import ApplicationError
from shop.core.memo import memo_invalidate
from shop.discounts.calculation import DiscountLine
from shop.discounts.models import OrderDiscount, Redemption, Voucher, VoucherCode, VoucherCustomer
from shop.discounts.selectors import PROMOTIONS_MEMO
from shop.discounts.tests.factories import PromotionFactory, VoucherFactory
from shop.orders.models import Order
from shop.orders.services import order_expire
from shop.orders.tests.factories import SHIP_TO, ShippingMethodFactory, pay_order
from shop.payments.tests.conftest import stripe_on  # noqa: F401 (fixture)
from shop.pricing.memo_invalidation import TAX_MEMO

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _methods(settings):
    settings.PAYMENT_METHODS = ["sandbox", "cod", "stripe"]


@pytest.fixture
def product(db):
    return ProductFactory(price=Decimal("40.00"), stock_quantity=20)


def _fill(client, product, quantity=2):
    response = client.post("/cart/items/", {"product_id": product.pk, "quantity": quantity})
    assert response.status_code == 200


# --- The cart -----------------------------------------------------------------------------------------------------

def test_a_voucher_code_ignores_case_and_the_cart_lists_it_with_discounted_totals(user_client, product):
    VoucherFactory(code="Welcome10", name="Welcome", value=Decimal("10"))
    _fill(user_client, product)

    response = user_client.post("/cart/voucher/", {"code": "  WELCOME10 "}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["discounts"] == [{"source": "voucher", "code": "Welcome10", "name": "Welcome", "target": "order",
                                  "amount": "8.00"}]
    assert (body["subtotal"], body["discount"], body["cart_total"]) == ("80.00", "8.00", "72.00")
    assert body["items"][0]["discount"] == "8.00"  # the order voucher's share of the one line
    assert body["voucher"] == {"code": "Welcome10", "applies": True, "refusal": None}
    assert user_client.get("/cart/").json()["cart_total"] == "72.00"

    removed = user_client.delete("/cart/voucher/")
    assert removed.status_code == 200
    assert (removed.json()["discounts"], removed.json()["cart_total"], removed.json()["voucher"]) == ([], "80.00", None)


def test_a_sale_shows_on_the_line_and_in_discounts(user_client, product):
    PromotionFactory(name="Spring", products=[product], value=Decimal("25"))
    _fill(user_client, product)

    body = user_client.get("/cart/").json()

    assert body["items"][0]["discount"] == "20.00"  # 2 x (40.00 x 25 %)
    assert body["items"][0]["gross"] == "60.00"
    assert body["discounts"] == [{"source": "promotion", "code": "", "name": "Spring", "target": "lines",
                                  "amount": "20.00"}]
    assert body["cart_total"] == "60.00"


@pytest.mark.parametrize(("setup", "code", "message"), [
    ({}, "voucher_invalid", "Code NOPE is not valid."),
    ({"is_active": False}, "voucher_invalid", "Code NOPE is not valid."),
    ({"starts_at": timedelta(days=1)}, "voucher_not_started", "Code NOPE can be used from"),
    ({"ends_at": -timedelta(seconds=1)}, "voucher_expired", "Code NOPE has expired."),
    ({"min_spend": Decimal("100.00")}, "min_spend_not_met", "Code NOPE needs a spend of at least 100.00 USD; "
                                                            "your items come to 80.00 USD."),
    ({"min_quantity": 3}, "not_eligible", "Code NOPE needs at least 3 items it applies to; your order has 2."),
    ({"scope": "categories"}, "not_eligible", "Code NOPE does not apply to anything in your order."),
    # The offer is used up (never this code: another one took the last use), or this code is.
    ({"usage_limit": 1, "times_used": 1}, "usage_limit_reached",
     "The offer behind code NOPE has been used up: every use of it is taken."),
    ({"code_usage_limit": 1, "code_times_used": 1}, "usage_limit_reached", "Code NOPE has been used up."),
])
def test_each_refusal_has_its_code_and_a_message_a_shopper_reads(user, user_client, product, setup, code, message):
    if setup:
        setup = dict(setup)
        for moment in ("starts_at", "ends_at"):
            if moment in setup:
                setup[moment] = timezone.now() + setup[moment]
        times_used, code_times_used = setup.pop("times_used", 0), setup.pop("code_times_used", 0)
        voucher = VoucherFactory(code="NOPE", categories=[CategoryFactory()], **setup)
        Voucher.objects.filter(pk=voucher.pk).update(times_used=times_used)
        VoucherCode.objects.filter(voucher=voucher).update(times_used=code_times_used)
    _fill(user_client, product)

    response = user_client.post("/cart/voucher/", {"code": "nope"}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert body["detail"].lower().startswith(message.lower()), body["detail"]  # an unknown code as typed
    assert body["errors"] == {"code": [body["detail"]]}
    assert Cart.objects.get(user=user).voucher_code == ""


def test_customer_limit_counts_by_e_mail(user, user_client, product):
    voucher = VoucherFactory(code="ONCE", per_customer_limit=1)
    VoucherCustomer.objects.create(voucher=voucher, email=user.email.upper(), times_used=0)
    VoucherCustomer.objects.filter(voucher=voucher).update(email=user.email, times_used=1)
    _fill(user_client, product)

    response = user_client.post("/cart/voucher/", {"code": "once"}, format="json")

    assert (response.status_code, response.json()["code"]) == (400, "customer_limit_reached")
    assert "once per customer" in response.json()["detail"]


def test_a_code_that_stops_applying_stays_on_the_cart_and_says_why(user_client, product):
    VoucherFactory(code="BIG", min_spend=Decimal("50.00"))
    _fill(user_client, product)
    assert user_client.post("/cart/voucher/", {"code": "big"}, format="json").status_code == 200
    item_id = user_client.get("/cart/").json()["items"][0]["id"]

    body = user_client.patch(f"/cart/items/{item_id}/", {"quantity": 1}, format="json")
    body = user_client.get("/cart/").json()

    assert body["voucher"]["applies"] is False
    assert body["voucher"]["refusal"]["code"] == "min_spend_not_met"
    assert body["discounts"] == [] and body["cart_total"] == "40.00"
    checkout = user_client.post("/orders/checkout/", {}, format="json")
    assert (checkout.status_code, checkout.json()["code"]) == (400, "min_spend_not_met")
    assert checkout.json()["errors"] == {"voucher": [checkout.json()["detail"]]}
    assert Order.objects.count() == 0


def test_non_combining_voucher_leaves_sale_lines_out(user_client, product):
    other = ProductFactory(price=Decimal("10.00"), stock_quantity=5)
    PromotionFactory(products=[product], value=Decimal("50"))
    VoucherFactory(code="HALF", value=Decimal("50"))  # combines_with_promotions=False
    _fill(user_client, product, quantity=1)
    _fill(user_client, other, quantity=1)

    body = user_client.post("/cart/voucher/", {"code": "half"}, format="json").json()

    # 40.00 -> 20.00 on sale; the voucher takes 50 % of the other line only: 5.00, spread as a line discount.
    assert [item["discount"] for item in body["items"]] == ["20.00", "5.00"]
    assert body["cart_total"] == "25.00"
    assert [d["target"] for d in body["discounts"]] == ["lines", "lines"]


def test_cart_query_budget_is_constant_in_lines_and_promotions(user, user_client, django_assert_num_queries):
    category = CategoryFactory()
    VoucherFactory(code="TEN", combines_with_promotions=True)
    products = ProductFactory.create_batch(8, category=category, stock_quantity=50)
    _fill(user_client, products[0], quantity=1)
    PromotionFactory(products=[products[0]])
    assert user_client.post("/cart/voucher/", {"code": "ten"}, format="json").status_code == 200
    # cart, items, the code + its voucher's targets (4); the tax rates (1 with no SHOP_COUNTRY) and the promotions
    # + their products and categories (3) are memoized (shop.core.memo) since the voucher's answer read them
    with django_assert_num_queries(6):
        user_client.get("/cart/")
    for product in products[1:]:
        _fill(user_client, product, quantity=2)
        PromotionFactory(products=[product], categories=[category])
        ProductVariantFactory(product=product)
    memo_invalidate(PROMOTIONS_MEMO)
    memo_invalidate(TAX_MEMO)
    with django_assert_num_queries(10):  # both memos dropped: read again, and kept
        body = user_client.get("/cart/").json()
    assert len(body["items"]) == 8 and len(body["discounts"]) >= 2
    with django_assert_num_queries(6):
        assert user_client.get("/cart/").json() == body


# --- Checkout, direct orders, the ledger ---------------------------------------------------------------------------

def test_checkout_without_a_voucher_is_unchanged(user_client, product):
    _fill(user_client, product)

    body = user_client.post("/orders/checkout/", {}, format="json").json()

    assert (body["subtotal"], body["discount"], body["total"], body["discounts"]) == (
        "80.00", "0.00", "80.00", [])
    assert Redemption.objects.count() == 0


def test_cart_checkout_takes_the_cart_voucher_reserves_a_use_and_payment_consumes_it(user, user_client, product):
    voucher = VoucherFactory(code="SAVE5", kind="fixed", value=Decimal("5.00"), usage_limit=3,
                             combines_with_promotions=True)
    PromotionFactory(products=[product], value=Decimal("10"), name="Ten off")
    _fill(user_client, product)
    assert user_client.post("/cart/voucher/", {"code": "save5"}, format="json").status_code == 200

    response = user_client.post("/orders/checkout/", {"payment_method": "sandbox"}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["subtotal"], body["discount"], body["total"]) == ("80.00", "13.00", "67.00")
    assert [item["discount"] for item in body["items"]] == ["13.00"]
    assert [(d["source"], d["code"], d["amount"]) for d in body["discounts"]] == [
        ("promotion", "", "8.00"), ("voucher", "SAVE5", "5.00")]
    order = Order.objects.get(pk=body["id"])
    redemption = Redemption.objects.get(order=order)
    assert (redemption.status, redemption.amount, redemption.email) == ("reserved", Decimal("5.00"), user.email)
    voucher.refresh_from_db()
    assert voucher.times_used == 1
    assert Cart.objects.get(user=user).voucher_code == ""  # the cart is emptied, its code too

    pay_order(order=order, user=user)

    redemption.refresh_from_db()
    assert redemption.status == "consumed" and redemption.consumed_at is not None
    order.refresh_from_db()
    assert order.paid_at is not None and order.total == Decimal("67.00")


@pytest.mark.parametrize(("limits", "message"), [
    ({"usage_limit": 1}, "The offer behind code LAST has been used up: every use of it is taken."),
    ({"code_usage_limit": 1}, "Code LAST has been used up."),
])
def test_checkouts_guarded_counters_tell_a_used_up_offer_from_a_used_up_code(user, product, limits, message):
    """Between reading the voucher and reserving its use, another order took the last one: the guarded UPDATE that
    cannot move says which limit it met (the voucher's over all its codes, or this code's own)."""
    from django.db import transaction

    from shop.discounts.selectors import discounts_evaluate
    from shop.discounts.services import order_discounts_apply
    from shop.orders.tests.factories import place_order

    voucher = VoucherFactory(code="LAST", **limits)
    order = place_order(user=user, product=product)
    lines = [DiscountLine(key=0, product_id=product.pk, variant_id=None, category_id=product.category_id,
                          unit_price=product.price, quantity=1)]
    evaluation = discounts_evaluate(lines=lines, code="last", email=user.email, shipping_price=None,
                                    at_checkout=True)
    assert evaluation.refusal is None
    Voucher.objects.filter(pk=voucher.pk).update(times_used=1)  # another order took it meanwhile
    VoucherCode.objects.filter(voucher=voucher).update(times_used=1)

    with pytest.raises(ApplicationError) as refused, transaction.atomic():
        order_discounts_apply(order=order, evaluation=evaluation, email=user.email, consume=False)

    assert (refused.value.code, refused.value.message) == ("usage_limit_reached", message)
    assert refused.value.extra["errors"] == {"voucher": [message]}


def test_cash_on_delivery_consumes_at_checkout(user_client, product):
    VoucherFactory(code="COD")
    _fill(user_client, product)

    body = user_client.post("/orders/checkout/", {"payment_method": "cod", "voucher": "cod"}, format="json").json()

    assert Redemption.objects.get(order_id=body["id"]).status == "consumed"


def test_direct_order_with_a_voucher_and_a_replayed_key_reserves_once(user_client, product):
    voucher = VoucherFactory(code="KEYED", usage_limit=5)
    request = {"items": [{"product_id": product.pk, "quantity": 1}], "voucher": "keyed"}

    first = user_client.post("/orders/checkout/", request, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = user_client.post("/orders/checkout/", request, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = user_client.post("/orders/checkout/", {**request, "voucher": "other"}, format="json",
                             HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and first.json()["total"] == "36.00"
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    voucher.refresh_from_db()
    assert voucher.times_used == 1
    assert Redemption.objects.count() == 1


def test_cancel_and_expiry_release_the_use_exactly_once(user, user_client, product):
    voucher = VoucherFactory(code="BACK", usage_limit=2, per_customer_limit=2)
    items = [{"product_id": product.pk, "quantity": 1}]
    cancelled = user_client.post("/orders/checkout/", {"items": items, "voucher": "back"}, format="json").json()
    expired = user_client.post("/orders/checkout/", {"items": items, "voucher": "back"}, format="json").json()
    voucher.refresh_from_db()
    assert voucher.times_used == 2

    assert user_client.post(f"/orders/{cancelled['id']}/cancel/").status_code == 200
    assert user_client.post(f"/orders/{cancelled['id']}/cancel/").status_code == 400  # already cancelled
    assert order_expire(order_id=expired["id"], now=timezone.now() + timedelta(days=1)) is True
    assert order_expire(order_id=expired["id"], now=timezone.now() + timedelta(days=1)) is False

    voucher.refresh_from_db()
    assert voucher.times_used == 0
    assert VoucherCustomer.objects.get(voucher=voucher).times_used == 0
    assert voucher.codes.get().times_used == 0
    assert set(Redemption.objects.values_list("status", flat=True)) == {"released"}
    # The uses are free again.
    again = user_client.post("/orders/checkout/", {"items": items, "voucher": "back"}, format="json")
    assert again.status_code == 201


def test_one_time_codes_are_used_once_each(user_client, staff_client, product):
    voucher = VoucherFactory(code="SEED-CODE", code_usage_limit=1)
    made = staff_client.post(f"/discounts/vouchers/{voucher.pk}/codes/", {"count": 2, "prefix": "x-"}, format="json")
    codes = [item["code"] for item in made.json()["codes"]]
    items = [{"product_id": product.pk, "quantity": 1}]

    first = user_client.post("/orders/checkout/", {"items": items, "voucher": codes[0].lower()}, format="json")
    reused = user_client.post("/orders/checkout/", {"items": items, "voucher": codes[0]}, format="json")
    second = user_client.post("/orders/checkout/", {"items": items, "voucher": codes[1]}, format="json")

    assert (first.status_code, second.status_code) == (201, 201)
    assert (reused.status_code, reused.json()["code"]) == (400, "usage_limit_reached")
    assert all(code.startswith("X-") and len(code) == 12 for code in codes)


def test_shipping_vouchers_take_money_off_shipping_only(user_client, product):
    method = ShippingMethodFactory(price=Decimal("7.50"))
    VoucherFactory(code="SHIPFREE", kind="free_shipping", scope="shipping")
    _fill(user_client, product)
    user_client.post("/cart/voucher/", {"code": "shipfree"}, format="json")

    body = user_client.post("/orders/checkout/", {"shipping_method": method.pk, "shipping_address": SHIP_TO},
                            format="json").json()

    # The shipping is charged after the voucher (7.50 - 7.50); the items' discount is untouched.
    assert (body["subtotal"], body["shipping_fee"], body["discount"], body["total"]) == (
        "80.00", "0.00", "0.00", "80.00")
    assert body["discounts"] == [{"source": "voucher", "code": "SHIPFREE", "name": body["discounts"][0]["name"],
                                  "target": "shipping", "amount": "7.50"}]
    assert OrderDiscount.objects.get(order_id=body["id"]).target == "shipping"


@pytest.mark.parametrize("shipping", ["pickup", "over_free_over", "none"])
def test_a_shipping_voucher_on_shipping_that_costs_nothing_places_the_order_and_keeps_its_use(
        user_client, product, shipping, settings):
    """The cart (no shipping known) says the code applies; checkout agrees: shipping that costs nothing leaves the
    voucher nothing to take off, so the order is placed without it, and a once-per-customer code is still there
    for an order whose shipping costs something. ("none": a shop that lets a checkout leave the method out.)"""
    settings.SHIPPING_METHOD_REQUIRED = shipping != "none"
    paid = ShippingMethodFactory(price=Decimal("7.50"))
    chosen = {"pickup": {"shipping_method": ShippingMethodFactory(price=Decimal("0.00")).pk},
              "over_free_over": {"shipping_method": ShippingMethodFactory(price=Decimal("9.00"),
                                                                          free_over=Decimal("50.00")).pk},
              "none": {}}[shipping]
    voucher = VoucherFactory(code="SHIPFREE", kind="free_shipping", scope="shipping", per_customer_limit=1)
    _fill(user_client, product)
    cart = user_client.post("/cart/voucher/", {"code": "shipfree"}, format="json").json()

    placed = user_client.post("/orders/checkout/", {**chosen, "voucher": "shipfree", "shipping_address": SHIP_TO},
                              format="json")

    assert cart["voucher"]["applies"] is True
    assert placed.status_code == 201, placed.json()
    body = placed.json()
    assert (body["shipping_fee"], body["total"], body["discounts"]) == ("0.00", "80.00", [])
    voucher.refresh_from_db()
    assert (voucher.times_used, Redemption.objects.count()) == (0, 0)
    _fill(user_client, product)
    later = user_client.post("/orders/checkout/", {"shipping_method": paid.pk, "voucher": "shipfree",
                                                   "shipping_address": SHIP_TO}, format="json").json()
    assert (later["shipping_fee"], later["discounts"][0]["amount"]) == ("0.00", "7.50")
    assert Redemption.objects.get().order_id == later["id"]


def test_an_undone_checkout_gives_the_use_back_and_the_code_back_to_the_cart(user, user_client, product,
                                                                              stripe_on):  # noqa: F811
    stripe_on.fail_next(1, status=503)
    voucher = VoucherFactory(code="UNDO")
    _fill(user_client, product)
    user_client.post("/cart/voucher/", {"code": "undo"}, format="json")

    response = user_client.post("/orders/checkout/", {"payment_method": "stripe"}, format="json")

    assert response.status_code == 503, response.json()
    voucher.refresh_from_db()
    assert voucher.times_used == 0
    assert Redemption.objects.get().status == "released"
    assert Cart.objects.get(user=user).voucher_code == "UNDO"


def _checkout_queries(client, products, *, voucher: str | None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for product in products:
        _fill(client, product, quantity=1)
    body = {"voucher": voucher} if voucher else {}
    memo_invalidate(PROMOTIONS_MEMO)  # counted as the first checkout after a write, the memos read afresh
    memo_invalidate(TAX_MEMO)
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/orders/checkout/", body, format="json")
    assert response.status_code == 201, response.json()
    return len(captured.captured_queries)


def test_what_discounts_add_to_a_checkout_is_constant_in_lines_and_promotions(user_client):
    """Stock moves once per line (a guarded UPDATE each), so the checkout as a whole grows with its lines; what
    sales and a voucher add to it (promotions 3, the code 4, the counters 3-4, the ledger and discount rows 2)
    does not, whatever the number of lines or of promotions that apply."""
    VoucherFactory(code="BUDGET", combines_with_promotions=True, per_customer_limit=5)
    few = ProductFactory.create_batch(1, stock_quantity=50)
    many = ProductFactory.create_batch(6, stock_quantity=50)
    plain_few = _checkout_queries(user_client, few, voucher=None)
    plain_many = _checkout_queries(user_client, many, voucher=None)
    PromotionFactory(products=few)
    for product in many:
        PromotionFactory(products=[product])
        PromotionFactory(products=[product], kind="fixed", value=Decimal("1.00"))

    with_few = _checkout_queries(user_client, few, voucher="budget")
    with_many = _checkout_queries(user_client, many, voucher="budget")

    assert with_few - plain_few == with_many - plain_many <= 14, (plain_few, with_few, plain_many, with_many)


# --- Direct orders and the cart's voucher --------------------------------------------------------------------------

@pytest.mark.parametrize("sent", [None, "cartcode", "other"])
def test_a_direct_order_empties_the_cart_and_drops_its_code_which_held_no_use(user, user_client, product, sent):
    """A successful direct order clears the user's cart, its code too, as a cart checkout does. The cart's code is
    never used by a direct order (only `voucher` is) and held no use, so dropping it releases nothing: every
    counter stays where the orders put it."""
    cart_voucher = VoucherFactory(code="CARTCODE", per_customer_limit=1)
    other = VoucherFactory(code="OTHER")
    _fill(user_client, product)
    user_client.post("/cart/voucher/", {"code": "cartcode"}, format="json")
    body = {"items": [{"product_id": product.pk, "quantity": 1}], "payment_method": "sandbox",
            **({"voucher": sent} if sent else {})}

    response = user_client.post("/orders/", body, format="json")

    assert response.status_code == 201, response.json()
    assert [d["code"] for d in response.json()["discounts"]] == ([sent.upper()] if sent else [])
    cart = user_client.get("/cart/").json()
    assert (cart["items"], cart["voucher"], cart["discounts"]) == ([], None, [])
    cart_voucher.refresh_from_db()
    other.refresh_from_db()
    assert (cart_voucher.times_used, other.times_used) == (int(sent == "cartcode"), int(sent == "other"))
    assert list(Redemption.objects.values_list("code__code", flat=True)) == ([sent.upper()] if sent else [])


def test_a_direct_order_whose_payment_cannot_start_leaves_the_cart_and_its_code(user, user_client, product,
                                                                                 stripe_on):  # noqa: F811
    stripe_on.fail_next(1, status=503)
    VoucherFactory(code="CARTCODE")
    direct = VoucherFactory(code="DIRECT")
    _fill(user_client, product)
    user_client.post("/cart/voucher/", {"code": "cartcode"}, format="json")

    response = user_client.post("/orders/", {"items": [{"product_id": product.pk, "quantity": 1}],
                                             "payment_method": "stripe", "voucher": "direct"}, format="json")

    assert response.status_code == 503, response.json()
    cart = user_client.get("/cart/").json()
    assert ([item["quantity"] for item in cart["items"]], cart["voucher"]["code"]) == ([2], "CARTCODE")
    direct.refresh_from_db()
    assert (direct.times_used, Redemption.objects.get().status) == (0, "released")  # the order's use went back
