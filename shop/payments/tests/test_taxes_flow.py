"""Taxes through the API, end to end: configure a rate as staff, check out, pay in the sandbox, refund by line and
by amount; the stored order never moves when rates or prices change afterwards."""

from decimal import Decimal

import pytest

from shop.cart.tests.factories import CartItemFactory
from shop.catalog.tests.factories import ProductFactory, ProductVariantFactory
from shop.orders.models import ShippingMethod
from shop.orders.tests.factories import ShippingMethodFactory
from shop.payments.models import Payment, Refund
from shop.pricing.models import TaxClass, TaxRate

pytestmark = pytest.mark.django_db
GERMANY = {"full_name": "Ada L", "address_line_1": "1 Hauptstr.", "city": "Berlin", "country": "DE"}
NOTHING_REFUNDED = {"refunded_amount": "0.00", "refunded_tax": "0.00"}  # an order's shipping, before any refund


@pytest.fixture
def germany(staff_client, sandbox_on):
    """19 % standard and 7 % reduced in Germany, configured through the staff API as docs/PRICING.md says."""
    for tax_class, rate in (("standard", "19"), ("reduced", "7")):
        response = staff_client.post("/pricing/tax-rates/", {"tax_class": tax_class, "country": "DE", "rate": rate},
                                     format="json")
        assert response.status_code == 201, response.content


def _checkout(client, body):
    response = client.post("/orders/checkout/", {"payment_method": "sandbox", **body}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _pay(client, order):
    payment_id = order["payment_id"]
    assert client.post(f"/payments/sandbox/{payment_id}/succeed/").status_code in (200, 302)
    assert Payment.objects.get(pk=payment_id).status == Payment.Status.SUCCEEDED
    return payment_id


@pytest.mark.parametrize(("mode", "net", "tax"), [("line", "420.15", "79.85"),
                                                  ("sum_by_net_keep_gross", "420.17", "79.83")])
def test_five_times_100_gross_at_19_percent_in_each_rounding_mode(user_client, germany, settings, mode, net, tax):
    settings.TAX_ROUNDING_MODE = mode
    product = ProductFactory(price=Decimal("100.00"), stock_quantity=10)

    order = _checkout(user_client, {"items": [{"product_id": product.pk, "quantity": 5}],
                                    "shipping_address": GERMANY})

    line = order["items"][0]
    assert (line["unit_price"], line["net"], line["tax"], line["gross"], line["tax_rate"]) == (
        "100.00", net, tax, "500.00", "19")
    assert (order["subtotal"], order["tax_total"], order["total"], order["total_price"]) == (
        "500.00", tax, "500.00", "500.00")
    assert order["tax_lines"] == [{"rate": "19", "base": net, "amount": tax}]
    assert (order["currency"], order["tax_rounding_mode"], order["tax_source"], order["tax_country"]) == (
        "USD", mode, "rate", "DE")
    assert order["shipping"] == {"net": "0.00", "tax": "0.00", "gross": "0.00", "tax_rate": "0", **NOTHING_REFUNDED}
    assert Payment.objects.get(pk=order["payment_id"]).amount == Decimal("500.00")  # the gateway gets the total


def test_cart_shows_the_same_figures_the_checkout_charges(user, user_client, germany, settings):
    settings.SHOP_COUNTRY = "DE"  # the cart has no address yet: the shop's country is taxed
    book = ProductFactory(price=Decimal("10.70"), stock_quantity=10,
                          tax_class=TaxClass.objects.get(code="reduced"))
    CartItemFactory(cart__user=user, product=book, quantity=3)

    cart = user_client.get("/cart/").json()

    line = cart["items"][0]
    assert (line["unit_price"], line["net"], line["tax"], line["gross"], line["tax_rate"], line["tax_class"]) == (
        "10.70", "30.00", "2.10", "32.10", "7", "reduced")
    assert (cart["subtotal"], cart["tax_total"], cart["total"], cart["cart_total"], cart["currency"]) == (
        "32.10", "2.10", "32.10", "32.10", "USD")
    assert cart["tax_lines"] == [{"rate": "7", "base": "30.00", "amount": "2.10"}]
    assert cart["shipping"] == {"net": "0.00", "tax": "0.00", "gross": "0.00", "tax_rate": "0"}

    order = _checkout(user_client, {"expected_total": cart["total"]})
    assert (order["total"], order["tax_total"]) == ("32.10", "2.10")


def test_a_country_without_a_rate_is_taxed_at_zero_and_says_so(user_client, germany):
    product = ProductFactory(price=Decimal("20.00"), stock_quantity=10)
    kenya = {**GERMANY, "country": "KE"}

    order = _checkout(user_client, {"items": [{"product_id": product.pk, "quantity": 1}], "shipping_address": kenya})

    assert (order["tax_source"], order["tax_country"], order["tax_total"], order["total"]) == (
        "no_rate", "KE", "0.00", "20.00")
    assert order["items"][0]["tax_rate"] == "0"


def test_variant_inherits_its_product_class_unless_it_has_its_own_and_shipping_is_taxed_by_its_class(
    user_client, staff_client, germany
):
    shirt = ProductFactory(price=Decimal("10.70"), stock_quantity=0)
    assert staff_client.patch(f"/products/{shirt.slug}/", {"tax_class": "reduced"},
                              format="json").json()["tax_class"] == "reduced"
    inherits = ProductVariantFactory(product=shirt, stock_quantity=5)
    own = staff_client.post(f"/products/{shirt.slug}/variants/", {"sku": "SHIRT-STD", "name": "Standard",
                                                                  "price_override": "11.90", "stock_quantity": 5,
                                                                  "tax_class": "standard"}, format="json")
    assert own.status_code == 201, own.content
    own_variant = next(variant for variant in own.json()["variants"] if variant["sku"] == "SHIRT-STD")
    assert (own_variant["tax_class"], own.json()["tax_class"]) == ("standard", "reduced")
    courier = ShippingMethodFactory(price=Decimal("5.95"))
    patched = staff_client.patch(f"/orders/admin/shipping-methods/{courier.pk}/", {"tax_class": "standard"},
                                 format="json")
    assert patched.json()["tax_class"] == "standard"

    order = _checkout(user_client, {"items": [{"variant_id": inherits.pk}, {"variant_id": own_variant["id"]}],
                                    "shipping_method": courier.pk, "shipping_address": GERMANY})

    assert [(line["tax_class"], line["tax_rate"], line["net"], line["tax"]) for line in order["items"]] == [
        ("reduced", "7", "10.00", "0.70"), ("standard", "19", "10.00", "1.90")]
    assert order["shipping"] == {"net": "5.00", "tax": "0.95", "gross": "5.95", "tax_rate": "19", **NOTHING_REFUNDED}
    assert order["tax_lines"] == [{"rate": "7", "base": "10.00", "amount": "0.70"},
                                  {"rate": "19", "base": "15.00", "amount": "2.85"}]
    assert (order["subtotal"], order["shipping_fee"], order["tax_total"], order["total"]) == (
        "22.60", "5.95", "3.55", "28.55")


def test_refunding_one_line_returns_exactly_its_gross_and_tax_and_never_more(user_client, staff_client, germany):
    a = ProductFactory(price=Decimal("100.00"), stock_quantity=10)
    b = ProductFactory(price=Decimal("33.33"), stock_quantity=10)
    order = _checkout(user_client, {"items": [{"product_id": a.pk, "quantity": 5}, {"product_id": b.pk,
                                                                                   "quantity": 3}],
                                    "shipping_address": GERMANY})
    payment_id = _pay(user_client, order)
    first, second = order["items"]

    response = staff_client.post("/payments/refund/", {"payment_id": payment_id,
                                                       "lines": [{"order_item_id": second["id"]}]}, format="json")

    assert response.status_code == 200, response.content
    refund = response.json()["refund"]
    assert (refund["amount"], refund["tax"]) == (second["gross"], second["tax"])
    assert refund["tax_lines"] == [{"rate": "19", "base": second["net"], "amount": second["tax"]}]
    assert refund["lines"] == [{"kind": "item", "order_item": second["id"], "quantity": 3,
                                "amount": second["gross"], "tax": second["tax"], "tax_rate": "19"}]
    again = staff_client.post("/payments/refund/", {"payment_id": payment_id,
                                                    "lines": [{"order_item_id": second["id"], "quantity": 1}]},
                              format="json")
    assert again.status_code == 400
    assert (again.json()["code"], list(again.json()["errors"])) == ("refund_exceeds_line", ["lines"])

    # Two units of the first line, then the rest: together exactly the line.
    two = staff_client.post("/payments/refund/", {"payment_id": payment_id, "lines": [
        {"order_item_id": first["id"], "quantity": 2}]}, format="json").json()["refund"]
    assert (two["amount"], two["tax"]) == ("200.00", "31.94")
    rest = staff_client.post("/payments/refund/", {"payment_id": payment_id, "lines": [
        {"order_item_id": first["id"]}]}, format="json").json()["refund"]
    assert (rest["amount"], rest["tax"]) == ("300.00", "47.91")
    assert Decimal(two["tax"]) + Decimal(rest["tax"]) == Decimal(first["tax"])
    assert Payment.objects.get(pk=payment_id).status == Payment.Status.REFUNDED


def test_an_amount_refund_spreads_its_tax_by_largest_remainder(user_client, staff_client, germany, settings):
    food = ProductFactory(price=Decimal("10.70"), stock_quantity=10, tax_class=TaxClass.objects.get(code="reduced"))
    gadget = ProductFactory(price=Decimal("11.90"), stock_quantity=10)
    order = _checkout(user_client, {"items": [{"product_id": food.pk}, {"product_id": gadget.pk}],
                                    "shipping_address": GERMANY})
    payment_id = _pay(user_client, order)

    refund = staff_client.post("/payments/refund/", {"payment_id": payment_id, "amount": "11.30"},
                               format="json").json()["refund"]

    # 11.30 of 22.60 is half of each line: 5.35 (tax 0.35) and 5.95 (tax 0.95).
    assert [(line["order_item"], line["amount"], line["tax"]) for line in refund["lines"]] == [
        (order["items"][0]["id"], "5.35", "0.35"), (order["items"][1]["id"], "5.95", "0.95")]
    assert (refund["amount"], refund["tax"]) == ("11.30", "1.30")
    assert refund["tax_lines"] == [{"rate": "7", "base": "5.00", "amount": "0.35"},
                                   {"rate": "19", "base": "5.00", "amount": "0.95"}]
    # The rest of it, without an amount, closes both lines exactly.
    rest = staff_client.post("/payments/refund/", {"payment_id": payment_id}, format="json").json()["refund"]
    assert (rest["amount"], rest["tax"]) == ("11.30", "1.30")
    assert sum(Refund.objects.values_list("tax", flat=True), Decimal(0)) == Decimal(order["tax_total"])


def test_lines_and_an_amount_together_are_refused_naming_the_field(user_client, staff_client, germany):
    product = ProductFactory(price=Decimal("10.00"), stock_quantity=10)
    order = _checkout(user_client, {"items": [{"product_id": product.pk}], "shipping_address": GERMANY})
    payment_id = _pay(user_client, order)

    response = staff_client.post("/payments/refund/", {"payment_id": payment_id, "amount": "1.00", "lines": [
        {"order_item_id": order["items"][0]["id"]}]}, format="json")
    unknown = staff_client.post("/payments/refund/", {"payment_id": payment_id, "lines": [
        {"order_item_id": 999999}]}, format="json")

    assert response.status_code == 400 and "amount" in response.json()["errors"]
    assert unknown.status_code == 400 and unknown.json()["code"] == "refund_line_unknown"
    assert not Refund.objects.exists()


def test_rate_and_price_changes_after_checkout_leave_the_order_its_refunds_and_invoice_unchanged(
    user_client, staff_client, germany
):
    product = ProductFactory(price=Decimal("119.00"), stock_quantity=10)
    order = _checkout(user_client, {"items": [{"product_id": product.pk, "quantity": 2}],
                                    "shipping_address": GERMANY})
    payment_id = _pay(user_client, order)
    before = user_client.get(f"/orders/{order['id']}/").json()

    TaxRate.objects.filter(country="DE", tax_class__code="standard").update(rate=Decimal("25"))
    staff_client.patch(f"/products/{product.slug}/", {"price": "150.00"}, format="json")
    TaxClass.objects.filter(code="standard").update(name="Changed")
    after = user_client.get(f"/orders/{order['id']}/").json()
    refund = staff_client.post("/payments/refund/", {"payment_id": payment_id, "lines": [
        {"order_item_id": order["items"][0]["id"], "quantity": 1}]}, format="json").json()["refund"]

    money = ("subtotal", "total", "tax_total", "tax_lines", "shipping", "currency", "tax_rounding_mode")
    assert {key: after[key] for key in money} == {key: before[key] for key in money}
    assert after["items"][0] | {"product": None} == before["items"][0] | {"product": None}
    assert (before["items"][0]["net"], before["items"][0]["tax"]) == ("200.00", "38.00")
    assert (refund["amount"], refund["tax"], refund["tax_lines"]) == (
        "119.00", "19.00", [{"rate": "19", "base": "100.00", "amount": "19.00"}])


@pytest.mark.parametrize("lines", [1, 4])
def test_checkout_cart_and_order_reads_cost_the_same_queries_whatever_the_number_of_lines(
    user, user_client, germany, settings, lines, django_assert_max_num_queries
):
    settings.SHOP_COUNTRY = "DE"
    reduced = TaxClass.objects.get(code="reduced")
    for index in range(lines):
        product = ProductFactory(price=Decimal("10.00"), stock_quantity=5, tax_class=reduced if index % 2 else None)
        CartItemFactory(cart__user=user, product=product, quantity=2)
    courier = ShippingMethodFactory(price=Decimal("4.90"), tax_class=reduced)

    # the cart and its lines (2), the tax provider (2), the live promotions (1)
    with django_assert_max_num_queries(5):
        assert len(user_client.get("/cart/").json()["items"]) == lines
    # as a sandbox checkout without tax classes (shop/payments/tests/test_checkout_payment.py), + 1 for the tax
    # classes the lines and shipping name, + 1 for the order.created event in the outbox, + 2 for the live promotions
    # and the order's discounts in the answer; was 44 + 1 guarded stock UPDATE per line, now one UPDATE for all the
    # lines and 10 round trips fewer (bench/README.md, "Checkout round trips"); then the answer built from the rows
    # the checkout wrote, its lines read once for their stock (- 5); then the tax provider's 2 and the live
    # promotions memoized (shop.core.memo: the cart's read above stored them for Germany, SHOP_COUNTRY) (- 2);
    # + 1 the confirmation e-mail's claim row, written in the checkout's transaction (a broker down loses nothing)
    with django_assert_max_num_queries(28):
        order = _checkout(user_client, {"shipping_address": GERMANY, "shipping_method": courier.pk})
    # the order with its address and shipment, and the prefetches of lines, history, events, payments and
    # discounts: 7
    with django_assert_max_num_queries(7):
        detail = user_client.get(f"/orders/{order['id']}/").json()
    assert len(detail["items"]) == lines and detail["shipping"]["tax_rate"] == "7"
    with django_assert_max_num_queries(7):
        assert user_client.get("/orders/").json()["count"] == 1


def test_staff_set_tax_classes_in_the_admin_and_the_order_page_shows_the_taxes(
    admin_web, user_client, germany
):
    reduced = TaxClass.objects.get(code="reduced")
    added = admin_web.post("/admin/orders/shippingmethod/add/", {"name": "Parcel", "price": "4.28",
                                                                 "tax_class": reduced.pk, "is_active": "on"})
    assert added.status_code == 302, added.content.decode()[:2000]
    product = ProductFactory(price=Decimal("10.70"), stock_quantity=5, tax_class=reduced)
    assert f'<option value="{reduced.pk}" selected>' in admin_web.get(
        f"/admin/catalog/product/{product.pk}/change/").content.decode()
    order = _checkout(user_client, {"items": [{"product_id": product.pk}], "shipping_address": GERMANY,
                                    "shipping_method": ShippingMethod.objects.get(name="Parcel").pk})
    assert order["shipping"] == {"net": "4.00", "tax": "0.28", "gross": "4.28", "tax_rate": "7", **NOTHING_REFUNDED}

    page = admin_web.get(f"/admin/orders/order/{order['id']}/change/").content.decode()
    assert "0.98" in page and "14.98" in page and "reduced" in page  # tax total, total, the line's class
