"""Shops in currencies with three and zero decimals, end to end through the API (docs/PRICING.md, Currencies).

A Kuwaiti shop (KWD: fils, three decimals) prices, taxes, charges and refunds to the fils: a product at 1.255 KWD,
its cart, a taxed checkout, a payment in the sandbox and through Stripe (the local fake, over HTTP), partial
refunds. Stripe takes three-decimal amounts only in steps of 0.010 (its last digit 0): a total or refund off those
steps is refused before Stripe is called, never rounded. A Japanese shop (JPY: no decimals) answers "100" in its
cart, its order and its payment alike. Every figure is checked as the API writes it and as the database kept it.
"""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.checks import run_checks

from shop.cart.models import CartItem
from shop.cart.tests.factories import CartItemFactory
from shop.catalog.models import Product
from shop.catalog.tests.factories import CategoryFactory, ProductFactory
from shop.events.models import Event
from shop.orders.models import Order
from shop.orders.tests.factories import ShippingMethodFactory, place_order
from shop.payments.models import Payment, Refund, RefundLine

pytestmark = pytest.mark.django_db
KUWAIT = {"full_name": "Fatima A", "address_line_1": "1 Gulf Road", "city": "Kuwait City", "country": "KW"}


@pytest.fixture
def kwd_shop(settings, staff_client, fake_stripe):
    """A shop selling in KWD from Kuwait, with a 5 % standard rate set through the staff API, paid with the sandbox
    or Stripe (the fake, reached by the real SDK)."""
    settings.SHOP_CURRENCY = "KWD"
    settings.SHOP_COUNTRY = "KW"
    settings.PAYMENT_METHODS = ["sandbox", "stripe"]
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.STRIPE_SECRET_KEY = fake_stripe.secret_key
    settings.STRIPE_PUBLISHABLE_KEY = fake_stripe.publishable_key
    settings.STRIPE_WEBHOOK_SECRET = fake_stripe.webhook_secret
    settings.STRIPE_API_BASE = fake_stripe.base_url
    settings.PAYMENT_GATEWAY_TIMEOUT = 2.0
    response = staff_client.post("/pricing/tax-rates/", {"tax_class": "standard", "country": "KW", "rate": "5"},
                                 format="json")
    assert response.status_code == 201, response.content
    return fake_stripe


def _stripe_paid(api_client, fake, payment_id: int) -> Payment:
    """The customer pays the intent at the fake Stripe; its signed webhook reaches us."""
    payment = Payment.objects.get(pk=payment_id)
    fake.succeed(payment.provider_payment_id)
    payload, signature = fake.make_event("payment_intent.succeeded", fake.intent(payment.provider_payment_id))
    response = api_client.post("/payments/webhook/", data=payload, content_type="application/json",
                               HTTP_STRIPE_SIGNATURE=signature)
    assert response.status_code == 200, response.content
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    return payment


def _refund(staff_client, payment_id: int, **body):
    return staff_client.post("/payments/refund/", {"payment_id": payment_id, **body}, format="json")


def test_a_kwd_shop_prices_taxes_charges_and_refunds_to_the_fils(user_client, staff_client, kwd_shop,
                                                                  django_capture_on_commit_callbacks):
    # Staff price a product in fils; a tenth of a fils is no price.
    created = staff_client.post("/products/", {
        "name": "Cardamom", "slug": "cardamom", "description": "Green pods.", "price": "1.255", "stock_quantity": 5,
        "category_id": CategoryFactory().pk}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["price"] == "1.255"
    finer = staff_client.post("/products/", {
        "name": "Saffron", "slug": "saffron", "description": "Threads.", "price": "1.2555", "stock_quantity": 5,
        "category_id": CategoryFactory().pk}, format="json")
    assert (finer.status_code, finer.json()["errors"]) == (
        400, {"price": ["Ensure that there are no more than 3 decimal places (KWD)."]})
    product = Product.objects.get(slug="cardamom")
    shipping = ShippingMethodFactory(price=Decimal("0.750"), name="Courier")

    # The cart: taxed at the shop's country, 5 % inside the gross price, every figure in fils.
    assert user_client.post("/cart/items/", {"product_id": product.pk}, format="json").status_code == 200
    cart = user_client.get("/cart/").json()
    line = cart["items"][0]
    assert (line["price_snapshot"], line["unit_price"], line["net"], line["tax"], line["gross"], line["tax_rate"]) == (
        "1.255", "1.255", "1.195", "0.060", "1.255", "5")
    assert (cart["subtotal"], cart["tax_total"], cart["total"], cart["currency"]) == ("1.255", "0.060", "1.255", "KWD")
    assert cart["tax_lines"] == [{"rate": "5", "base": "1.195", "amount": "0.060"}]
    assert line["product"]["price"] == "1.255"

    # Checkout with shipping, the total the customer saw sent back; a tenth of a fils is no total.
    body = {"payment_method": "sandbox", "shipping_address": KUWAIT, "shipping_method": shipping.pk}
    refused = user_client.post("/orders/checkout/", {**body, "expected_total": "2.0051"}, format="json")
    assert (refused.status_code, list(refused.json()["errors"])) == (400, ["expected_total"])
    with django_capture_on_commit_callbacks(execute=True):  # the confirmation e-mail
        response = user_client.post("/orders/checkout/", {**body, "expected_total": "2.0050"}, format="json")
    assert response.status_code == 201, response.content
    order = response.json()
    item = order["items"][0]
    assert (item["unit_price"], item["line_total"], item["net"], item["tax"], item["gross"]) == (
        "1.255", "1.255", "1.195", "0.060", "1.255")
    assert order["shipping"] == {"net": "0.714", "tax": "0.036", "gross": "0.750", "tax_rate": "5",
                                 "refunded_amount": "0.000", "refunded_tax": "0.000"}
    assert (order["subtotal"], order["shipping_fee"], order["tax_total"], order["total"], order["total_price"]) == (
        "1.255", "0.750", "0.096", "2.005", "2.005")
    assert order["tax_lines"] == [{"rate": "5", "base": "1.909", "amount": "0.096"}]
    assert order["payments"][0]["amount"] == "2.005"
    confirmation = mail.outbox[-1].body
    assert "Subtotal: 1.255 KWD" in confirmation and "Total:    2.005 KWD" in confirmation

    # Paid in the sandbox: exactly the total, kept to the fils.
    assert user_client.post(f"/payments/sandbox/{order['payment_id']}/succeed/").status_code == 200
    stored = Order.objects.get(pk=order["id"])
    assert (stored.total, stored.tax_total, stored.shipping_net, stored.is_fully_paid) == (
        Decimal("2.005"), Decimal("0.096"), Decimal("0.714"), True)
    assert Payment.objects.get(pk=order["payment_id"]).amount == Decimal("2.005")

    # A partial refund of 0.505 KWD, its tax split over the line and shipping in fils.
    assert (_refund(staff_client, order["payment_id"], amount="0.5055").json()["errors"]
            == {"amount": ["Ensure that there are no more than 3 decimal places (KWD)."]})
    with django_capture_on_commit_callbacks(execute=True):  # the refund e-mail
        answer = _refund(staff_client, order["payment_id"], amount="0.505")
    assert answer.status_code == 200, answer.content
    refund = answer.json()["refund"]
    assert (refund["amount"], answer.json()["payment"]["amount_refunded"]) == ("0.505", "0.505")
    assert sum(Decimal(line["amount"]) for line in refund["lines"]) == Decimal("0.505")
    assert all(len(line["amount"].split(".")[1]) == 3 and len(line["tax"].split(".")[1]) == 3
               for line in refund["lines"])
    assert Decimal(refund["tax"]) == sum(Decimal(line["tax"]) for line in refund["lines"])
    assert Refund.objects.get().amount == Decimal("0.505")
    read = user_client.get(f"/orders/{order['id']}/").json()
    assert read["items"][0]["refunded_amount"] == next(
        line["amount"] for line in refund["lines"] if line["kind"] == "item")
    shipping_share = next(line for line in refund["lines"] if line["kind"] == "shipping")  # to the fils, too
    assert (read["shipping"]["refunded_amount"], read["shipping"]["refunded_tax"]) == (
        shipping_share["amount"], shipping_share["tax"])
    assert read["payments"][0]["amount_refunded"] == "0.505"
    payment_read = user_client.get(f"/payments/{order['payment_id']}/").json()
    assert (payment_read["amount"], payment_read["refunds"][0]["amount"], payment_read["order"]["total_amount"]) == (
        "2.005", "0.505", "2.005")

    assert "We have refunded 0.505 KWD to you" in mail.outbox[-1].body

    # What the outbox tells webhook subscribers is written the same way.
    assert Event.objects.get(type="order.paid").data["total"] == "2.005"
    assert Event.objects.get(type="refund.succeeded").data["amount"] == "0.505"


def test_stripe_takes_a_kwd_total_in_steps_of_ten_fils_and_refuses_the_rest_before_calling_stripe(
    user, user_client, staff_client, api_client, kwd_shop,
):
    product = ProductFactory(price=Decimal("1.255"), stock_quantity=5)
    CartItemFactory(cart__user=user, product=product, quantity=1, price_snapshot=product.price)

    # 1.255 KWD: Stripe would need it rounded to 1.250 or 1.260. Refused before anything is created or sent.
    odd = user_client.post("/orders/checkout/", {"payment_method": "stripe"}, format="json")
    assert odd.status_code == 400, odd.content
    assert odd.json()["code"] == "method_unavailable"
    assert odd.json()["errors"]["payment_method"] == [
        "Stripe takes KWD amounts in steps of 0.010; 1.255 is not one. Choose another payment method."]
    assert not Order.objects.exists() and not kwd_shop.requests_to("POST", "/v1/payment_intents")
    assert Product.objects.get(pk=product.pk).stock_quantity == 5 and CartItem.objects.filter(cart__user=user).exists()

    # Two of them, 2.510 KWD: sent to Stripe as 2510 thousandths and paid.
    assert user_client.patch(f"/cart/items/{CartItem.objects.get().pk}/", {"quantity": 2},
                             format="json").status_code == 200
    order = user_client.post("/orders/checkout/", {"payment_method": "stripe"}, format="json").json()
    assert (order["total"], order["tax_total"]) == ("2.510", "0.120")
    sent = kwd_shop.requests_to("POST", "/v1/payment_intents")[0].params
    assert (sent["amount"], sent["currency"]) == ("2510", "kwd")
    payment = _stripe_paid(api_client, kwd_shop, order["payment_id"])
    assert payment.amount == Decimal("2.510")

    # A refund Stripe cannot make to the fils is refused, naming what to change; nothing is reserved or sent.
    off_step = _refund(staff_client, payment.pk, amount="0.005")
    assert (off_step.status_code, off_step.json()["code"]) == (400, "amount_not_in_steps")
    assert off_step.json()["errors"] == {"amount": ["Stripe takes KWD amounts in steps of 0.010; 0.005 is not one."]}
    by_line = _refund(staff_client, payment.pk, lines=[{"order_item_id": order["items"][0]["id"], "quantity": 1}])
    assert (by_line.status_code, by_line.json()["code"], list(by_line.json()["errors"])) == (
        400, "amount_not_in_steps", ["lines"])
    assert not kwd_shop.requests_to("POST", "/v1/refunds") and not Refund.objects.exists()
    payment.refresh_from_db()
    assert payment.amount_refunded == 0

    # In steps, it goes: 1.000 KWD is 1000 at Stripe, then the rest, 1.510.
    partial = _refund(staff_client, payment.pk, amount="1.000")
    assert partial.status_code == 200, partial.content
    assert partial.json()["refund"]["amount"] == "1.000"
    rest = _refund(staff_client, payment.pk)
    assert rest.json()["refund"]["amount"] == "1.510"
    assert [request.params["amount"] for request in kwd_shop.requests_to("POST", "/v1/refunds")] == ["1000", "1510"]
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == (Payment.Status.REFUNDED, Decimal("2.510"))
    assert sum(line.amount for line in RefundLine.objects.all()) == Decimal("2.510")


def test_a_jpy_shop_answers_whole_yen_in_catalog_cart_order_and_payment_alike(user_client, staff_client, settings):
    settings.SHOP_CURRENCY = "JPY"
    settings.PAYMENT_METHODS = ["sandbox"]
    settings.PAYMENTS_SANDBOX_ENABLED = True
    product = ProductFactory(price=Decimal("100"), stock_quantity=5)
    assert Product.objects.get(pk=product.pk).price == Decimal("100.000")  # what the column keeps

    assert user_client.get(f"/products/{product.slug}/").json()["price"] == "100"
    assert user_client.post("/cart/items/", {"product_id": product.pk}, format="json").status_code == 200
    cart = user_client.get("/cart/").json()
    order = user_client.post("/orders/checkout/", {"payment_method": "sandbox"}, format="json").json()
    again = user_client.get(f"/orders/{order['id']}/").json()
    assert user_client.post(f"/payments/sandbox/{order['payment_id']}/succeed/").status_code == 200
    payment = user_client.get(f"/payments/{order['payment_id']}/").json()

    assert (cart["items"][0]["unit_price"], cart["items"][0]["product"]["price"], cart["total"]) == (
        "100", "100", "100")
    for answer in (order, again):
        assert (answer["items"][0]["unit_price"], answer["items"][0]["price_snapshot"], answer["items"][0]["gross"],
                answer["subtotal"], answer["total"], answer["total_price"], answer["shipping_fee"]) == (
            "100", "100", "100", "100", "100", "100", "0")
    assert (payment["amount"], payment["amount_refunded"], payment["order"]["total_amount"]) == ("100", "0", "100")
    assert staff_client.patch(f"/products/{product.slug}/", {"price": "99.5"},
                              format="json").json()["errors"] == {
        "price": ["Ensure that there are no more than 0 decimal places (JPY)."]}


def test_the_admin_shows_amounts_with_their_currencys_digits(admin_web, user, settings):
    settings.SHOP_CURRENCY = "JPY"
    settings.PAYMENT_METHODS = ["sandbox"]
    settings.PAYMENTS_SANDBOX_ENABLED = True
    product = ProductFactory(price=Decimal("100"), stock_quantity=5)
    order = place_order(user=user, product=product, quantity=2, paid=True)

    page = admin_web.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    listing = admin_web.get("/admin/orders/order/").content.decode()
    form = admin_web.get(f"/admin/catalog/product/{product.pk}/change/").content.decode()
    payments = admin_web.get("/admin/payments/payment/").content.decode()

    assert "200.000" not in page and "100.000" not in page
    assert ">200<" in page and ">100<" in page  # the order's total, a line's unit price
    assert ">200<" in listing and ">200<" in payments
    assert 'name="price" value="100"' in form and 'step="1"' in form


def test_start_up_warns_a_kwd_shop_that_stripe_takes_only_steps_of_ten_fils(settings):
    settings.PAYMENT_METHODS = ["stripe", "sandbox"]
    settings.SHOP_CURRENCY = "KWD"

    warnings = [(w.id, w.msg) for w in run_checks(tags=["payments"])]

    assert warnings == [("payments.W003", "Card (Stripe) takes KWD amounts in steps of 0.010, the shop counts 0.001: "
                                          "an order total or refund off those steps cannot use 'stripe' (refused, "
                                          "never rounded).")]
    for currency in ("EUR", "JPY", "ISK"):  # Stripe's steps are the shop's own there
        settings.SHOP_CURRENCY = currency
        assert run_checks(tags=["payments"]) == []
