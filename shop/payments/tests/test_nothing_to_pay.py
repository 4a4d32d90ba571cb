"""An order a voucher brings to 0 (docs/PAYMENTS.md, "Nothing to pay"), with every payment method: no gateway is
asked to charge 0 (the fake Stripe, Paymob and IntaSend servers, on real HTTP, receive nothing), the order is placed
paid, the voucher's use is consumed and the stock stays out; cancelling it refunds 0, asks no gateway, gives the
use and the stock back."""

from decimal import Decimal

import pytest
from django.core import mail
from rest_framework.test import APIClient

from shop.catalog.models import Product
from shop.catalog.tests.factories import ProductFactory
from shop.discounts.models import Redemption, Voucher, VoucherCustomer
from shop.discounts.tests.factories import VoucherFactory
from shop.events.models import Event
from shop.orders.models import Order
from shop.orders.tests.factories import SHIP_TO, ShippingMethodFactory
from shop.orders.tests.guests import EMAIL, guest_cart, guest_checkout, guest_order_url
from shop.payments.models import Payment, Refund, SandboxCharge

pytestmark = pytest.mark.django_db

METHODS = ["stripe", "paymob", "intasend", "sandbox", "cod"]


@pytest.fixture
def gateways(request, settings):
    """Every method offered in a currency it takes, the three gateways pointed at their fakes: ``method`` ->
    the fake server that method would call (None for sandbox and cash on delivery, which call nothing)."""
    def configured(method: str):
        if method == "stripe":
            return request.getfixturevalue("stripe_on")
        if method == "paymob":
            return request.getfixturevalue("paymob_on")
        if method == "intasend":
            return request.getfixturevalue("intasend_on")
        request.getfixturevalue("sandbox_on")
        return None
    return configured


@pytest.fixture
def shelf(db):
    """A product of 40.00 with 10 in stock and a free pick-up shipping method."""
    return ProductFactory(price=Decimal("40.00"), stock_quantity=10), ShippingMethodFactory(
        name="Pick up in store", price=Decimal("0.00"))


def _fill(client, product, quantity=2, **headers):
    response = client.post("/cart/items/", {"product_id": product.pk, "quantity": quantity}, format="json", **headers)
    assert response.status_code == 200, response.json()


def _nothing_sent(fake) -> None:
    """The gateway's fake saw no request at all: no charge, no intent, no session (sandbox/cod: no charge row)."""
    if fake is not None:
        assert fake.requests == [], fake.requests
    assert not SandboxCharge.objects.exists()


@pytest.mark.parametrize("method", METHODS)
def test_a_full_voucher_places_the_order_paid_without_asking_any_gateway(user, user_client, gateways, shelf,
                                                                          method, django_capture_on_commit_callbacks):
    fake = gateways(method)
    product, pickup = shelf
    voucher = VoucherFactory(code="ALLFREE", value=Decimal("100"), per_customer_limit=1)
    _fill(user_client, product)

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post("/orders/checkout/", {"voucher": "allfree", "payment_method": method,
                                                          "shipping_method": pickup.pk, "expected_total": "0.00",
                                                          "shipping_address": SHIP_TO},
                                    format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["subtotal"], body["discount"], body["shipping_fee"], body["total"]) == ("80.00", "80.00", "0.00",
                                                                                         "0.00")
    assert [(d["code"], d["amount"]) for d in body["discounts"]] == [("ALLFREE", "80.00")]
    # Paid as placed, with no payment and nothing for the client to do.
    assert (body["payment_status"], body["is_fully_paid"], body["payment_outcome"]) == ("paid", True, "success")
    assert body["paid_at"] is not None and body["payment_deadline"] is None
    assert (body["payment_method"], body["payments"], body["payment_id"]) == ("", [], None)
    assert (body["next_step"], body["client_secret"], body["needs_refund"]) == (None, None, False)
    assert body["status_history"][-1]["note"].startswith("Nothing to pay")
    _nothing_sent(fake)
    assert not Payment.objects.exists()
    # The use is consumed (the order is paid), the stock is out, the events say created then paid.
    redemption = Redemption.objects.get(order_id=body["id"])
    assert (redemption.status, redemption.amount) == ("consumed", Decimal("80.00"))
    assert Voucher.objects.get(pk=voucher.pk).times_used == 1
    assert Product.objects.get(pk=product.pk).stock_quantity == 8
    assert list(Event.objects.filter(resource_id=body["id"]).values_list("type", flat=True)) == [
        "order.created", "order.paid"]
    assert "Nothing to pay" in mail.outbox[-1].body

    # Paying it again is refused before any gateway is asked; the order cannot expire (no deadline).
    again = user_client.post("/payments/create-intent/", {"order_id": body["id"], "payment_method": method},
                             format="json")
    assert (again.status_code, again.json()["code"]) == (400, "order_paid")
    _nothing_sent(fake)

    # The customer cancels it: its refund is 0 and asks nobody; stock and the use come back.
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = user_client.post(f"/orders/{body['id']}/cancel/")

    assert cancelled.status_code == 200, cancelled.json()
    order = Order.objects.get(pk=body["id"])
    assert (order.status, order.payment_status, order.is_fully_paid, order.needs_refund) == (
        "cancelled", "refunded", False, False)
    assert order.paid_at is not None  # it was paid; a refund never unpays an order
    assert order.payment_outcome == "cancelled"
    _nothing_sent(fake)
    assert not Refund.objects.exists()
    assert Product.objects.get(pk=product.pk).stock_quantity == 10
    assert Redemption.objects.get(order_id=body["id"]).status == "released"
    assert Voucher.objects.get(pk=voucher.pk).times_used == 0
    assert VoucherCustomer.objects.get(voucher=voucher, email=user.email.lower()).times_used == 0
    assert "Nothing was charged" in mail.outbox[-1].body


@pytest.mark.parametrize("method", METHODS)
def test_a_guest_whose_fixed_voucher_covers_the_goods_and_ships_free_pays_nothing(gateways, shelf, method):
    """A fixed voucher worth more than the goods is capped at them (never below 0); shipping free over 50.00."""
    fake = gateways(method)
    product, _ = shelf
    courier = ShippingMethodFactory(name="Courier", price=Decimal("7.00"), free_over=Decimal("50.00"))
    VoucherFactory(code="GIFT100", kind="fixed", value=Decimal("100.00"), per_customer_limit=1)
    guest = APIClient()
    token = guest_cart(guest, (product, 2))
    assert guest.post("/cart/voucher/", {"code": "GIFT100"}, format="json",
                      HTTP_X_CART_TOKEN=token).json()["cart_total"] == "0.00"

    response = guest_checkout(guest, token, payment_method=method, shipping_method=courier.pk)

    assert response.status_code == 201, response.json()
    order = response.json()
    assert (order["total"], order["shipping_fee"], order["payment_status"], order["is_fully_paid"]) == (
        "0.00", "0.00", "paid", True)
    assert (order["payments"], order["next_step"], order["order_token"] != "") == ([], None, True)
    _nothing_sent(fake)
    assert Redemption.objects.get(order_id=order["id"]).status == "consumed"

    # The guest's pay route refuses, asking no gateway; the per-customer limit counted the guest's e-mail.
    paid_again = guest.post(guest_order_url(order, "pay/"), {}, format="json")
    assert (paid_again.status_code, paid_again.json()["code"]) == (400, "order_paid")
    second = guest_cart(guest, (product, 1))
    refused = guest_checkout(guest, second, payment_method=method, voucher="gift100", shipping_method=courier.pk,
                             email=f"  {EMAIL.upper()} ")
    assert (refused.status_code, refused.json()["code"]) == (400, "customer_limit_reached")
    _nothing_sent(fake)

    cancelled = guest.post(guest_order_url(order, "cancel/"))
    assert cancelled.status_code == 200, cancelled.json()
    assert (cancelled.json()["status"], cancelled.json()["payment_status"]) == ("cancelled", "refunded")
    assert Product.objects.get(pk=product.pk).stock_quantity == 10
    _nothing_sent(fake)


def _free_order(client, shelf) -> dict:
    """A sandbox checkout of 2 x 40.00 with a 100 % voucher and free pick-up: the order as answered."""
    product, pickup = shelf
    VoucherFactory(code="ALLFREE", value=Decimal("100"))
    _fill(client, product)
    response = client.post("/orders/checkout/", {"voucher": "ALLFREE", "payment_method": "sandbox",
                                                 "shipping_method": pickup.pk, "shipping_address": SHIP_TO},
                           format="json")
    assert (response.status_code, response.json()["total"]) == (201, "0.00"), response.json()
    return response.json()


def test_staff_cancel_a_paid_free_order_without_a_refund_to_queue(user_client, staff_client, sandbox_on, shelf):
    product, _ = shelf
    order = _free_order(user_client, shelf)

    response = staff_client.post(f"/orders/admin/{order['id']}/status/", {"status": "cancelled"}, format="json")

    assert response.status_code == 200, response.json()
    order_row = Order.objects.get(pk=order["id"])
    assert (order_row.status, order_row.payment_status, order_row.needs_refund) == ("cancelled", "refunded", False)
    assert not Refund.objects.exists() and not Payment.objects.exists()
    assert Product.objects.get(pk=product.pk).stock_quantity == 10


def test_a_free_order_ships_like_any_paid_order(user_client, staff_client, sandbox_on, shelf):
    order = _free_order(user_client, shelf)

    shipped = staff_client.post(f"/orders/admin/{order['id']}/status/", {"status": "shipped"}, format="json")

    assert shipped.status_code == 200, shipped.json()
    # Once shipped, the customer cannot cancel it any more, as any order.
    refused = user_client.post(f"/orders/{order['id']}/cancel/")
    assert (refused.status_code, refused.json()["code"]) == (400, "not_cancellable")


def test_a_voucher_that_leaves_shipping_to_pay_charges_only_that(user_client, stripe_on, shelf):
    """100 % off the goods never takes shipping off: 5.00 remains, and Stripe is asked for exactly 500 cents."""
    product, _ = shelf
    courier = ShippingMethodFactory(name="Courier", price=Decimal("5.00"))
    VoucherFactory(code="ALLFREE", value=Decimal("100"))
    _fill(user_client, product)

    response = user_client.post("/orders/checkout/", {"voucher": "ALLFREE", "payment_method": "stripe",
                                                      "shipping_method": courier.pk, "shipping_address": SHIP_TO},
                                format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["total"], body["payment_status"], body["paid_at"]) == ("5.00", "unpaid", None)
    assert body["client_secret"] and body["payment_method"] == "stripe"
    created = stripe_on.requests_to("POST", "/v1/payment_intents")
    assert [request.params["amount"] for request in created] == ["500"]
    assert Redemption.objects.get(order_id=body["id"]).status == "reserved"  # consumed once Stripe says paid


def test_a_method_whose_minimum_the_free_order_is_below_is_not_asked(user_client, staff_client, gateways, shelf):
    """Staff limits (a minimum order total) are about what the method charges: an order with nothing to pay is
    placed with any offered method, and an unknown method is still refused."""
    fake = gateways("stripe")
    product, pickup = shelf
    VoucherFactory(code="ALLFREE", value=Decimal("100"))
    limited = staff_client.patch("/payments/admin/methods/1/", {"min_order_total": "1.00"}, format="json")
    assert limited.status_code == 200, limited.json()
    _fill(user_client, product)

    unknown = user_client.post("/orders/checkout/", {"voucher": "ALLFREE", "payment_method": "bitcoin",
                                                     "shipping_method": pickup.pk, "shipping_address": SHIP_TO},
                               format="json")
    assert (unknown.status_code, unknown.json()["code"]) == (400, "invalid_payment_method")
    response = user_client.post("/orders/checkout/", {"voucher": "ALLFREE", "payment_method": "stripe",
                                                      "shipping_method": pickup.pk, "shipping_address": SHIP_TO},
                                format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["payment_status"] == "paid"
    _nothing_sent(fake)
