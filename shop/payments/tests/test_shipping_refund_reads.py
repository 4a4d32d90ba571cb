"""An order's ``shipping`` says what was refunded of it (``refunded_amount``, ``refunded_tax``), as each line says
what was refunded of the line: from refund lines of kind shipping of refunds that did not fail (pending ones count:
the money is on its way back). Found by a tester who refunded shipping and saw nothing of it on the order.

Every order read carries the figures as subqueries of the order's own query: the single read compiled by hand
(``order_get``), the lists (``order_queryset``), the checkout's answer (a new order: 0.00), at the same query counts
as before."""

from decimal import Decimal

import pytest

from shop.catalog.tests.factories import ProductFactory
from shop.orders.api.serializers import OrderOutput
from shop.orders.models import Order
from shop.orders.selectors import order_get, order_shipping_refunded
from shop.orders.tests.factories import ShippingMethodFactory, place_order
from shop.payments.models import Payment, Refund

pytestmark = pytest.mark.django_db
GERMANY = {"full_name": "Ada L", "address_line_1": "1 Hauptstr.", "city": "Berlin", "country": "DE"}
NONE_BACK = {"refunded_amount": "0.00", "refunded_tax": "0.00"}


@pytest.fixture
def germany(staff_client):
    """19 % standard tax in Germany: shipping of 5.95 carries 0.95 of tax."""
    assert staff_client.post("/pricing/tax-rates/", {"tax_class": "standard", "country": "DE", "rate": "19"},
                             format="json").status_code == 201


def _paid_sandbox_order(client) -> tuple[dict, int]:
    """A paid sandbox order of two lines (2 x 100.00 each) with 5.95 of shipping, to Germany; (answer, payment id)."""
    products = [ProductFactory(price=Decimal("100.00"), stock_quantity=10) for _ in range(2)]
    courier = ShippingMethodFactory(price=Decimal("5.95"))
    response = client.post("/orders/checkout/", {
        "payment_method": "sandbox", "shipping_address": GERMANY, "shipping_method": courier.pk,
        "items": [{"product_id": product.pk, "quantity": 2} for product in products]}, format="json")
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["shipping"] == {"net": "5.00", "tax": "0.95", "gross": "5.95", "tax_rate": "19", **NONE_BACK}
    assert client.post(f"/payments/sandbox/{order['payment_id']}/succeed/").status_code in (200, 302)
    return order, order["payment_id"]


def _shipping_everywhere(user_client, staff_client, order_id: int) -> list[dict]:
    """The order's ``shipping`` as each read answers it: the customer's detail and list, staff's detail and list."""
    listed = [order for order in user_client.get("/orders/").json()["results"] if order["id"] == order_id]
    staff_listed = [order for order in staff_client.get("/orders/admin/").json()["results"] if order["id"] == order_id]
    return [user_client.get(f"/orders/{order_id}/").json()["shipping"], listed[0]["shipping"],
            staff_client.get(f"/orders/{order_id}/").json()["shipping"], staff_listed[0]["shipping"]]


def test_a_shipping_refund_shows_on_the_orders_shipping_in_every_read(user_client, staff_client, sandbox_on,
                                                                      germany):
    order, payment_id = _paid_sandbox_order(user_client)

    refunded = staff_client.post("/payments/refund/", {"payment_id": payment_id, "shipping": True}, format="json")

    assert refunded.status_code == 200, refunded.content
    assert refunded.json()["refund"]["lines"] == [
        {"kind": "shipping", "order_item": None, "quantity": 1, "amount": "5.95", "tax": "0.95", "tax_rate": "19"}]
    for shipping in _shipping_everywhere(user_client, staff_client, order["id"]):
        assert shipping == {"net": "5.00", "tax": "0.95", "gross": "5.95", "tax_rate": "19",
                            "refunded_amount": "5.95", "refunded_tax": "0.95"}
    read = user_client.get(f"/orders/{order['id']}/").json()
    assert [line["refunded_amount"] for line in read["items"]] == ["0.00", "0.00"]


def test_a_refund_of_lines_only_leaves_shipping_unrefunded(user_client, staff_client, sandbox_on, germany):
    order, payment_id = _paid_sandbox_order(user_client)
    line = order["items"][0]

    refunded = staff_client.post("/payments/refund/", {"payment_id": payment_id, "lines": [
        {"order_item_id": line["id"], "quantity": 1}]}, format="json")

    assert refunded.status_code == 200, refunded.content
    for shipping in _shipping_everywhere(user_client, staff_client, order["id"]):
        assert (shipping["refunded_amount"], shipping["refunded_tax"]) == ("0.00", "0.00")
    read = user_client.get(f"/orders/{order['id']}/").json()
    assert read["items"][0]["refunded_amount"] == "100.00"


def test_amount_refunds_count_their_share_of_shipping(user_client, staff_client, sandbox_on, germany):
    """Refunding everything left by amount takes all of shipping too; refunds by line and by amount add up."""
    order, payment_id = _paid_sandbox_order(user_client)
    assert staff_client.post("/payments/refund/", {"payment_id": payment_id, "lines": [
        {"order_item_id": order["items"][0]["id"], "quantity": 1}]}, format="json").status_code == 200

    rest = staff_client.post("/payments/refund/", {"payment_id": payment_id}, format="json")

    assert rest.status_code == 200, rest.content
    shipping_rows = [row for row in rest.json()["refund"]["lines"] if row["kind"] == "shipping"]
    assert [(row["amount"], row["tax"]) for row in shipping_rows] == [("5.95", "0.95")]
    for shipping in _shipping_everywhere(user_client, staff_client, order["id"]):
        assert (shipping["refunded_amount"], shipping["refunded_tax"]) == ("5.95", "0.95")


def test_a_failed_refund_of_shipping_does_not_count(user_client, staff_client, sandbox_on, germany):
    order, payment_id = _paid_sandbox_order(user_client)
    assert staff_client.post("/payments/refund/", {"payment_id": payment_id, "shipping": True},
                             format="json").status_code == 200
    Refund.objects.update(status=Refund.Status.FAILED)  # as a gateway's refund.failed leaves it (see Stripe below)

    for shipping in _shipping_everywhere(user_client, staff_client, order["id"]):
        assert (shipping["refunded_amount"], shipping["refunded_tax"]) == ("0.00", "0.00")


# --- Stripe: a refund that is pending counts, one that then fails does not -----------------------------------

def _deliver(api_client, fake, event_type, obj):
    payload, signature = fake.make_event(event_type, obj)
    return api_client.post("/payments/webhook/", data=payload, content_type="application/json",
                           HTTP_STRIPE_SIGNATURE=signature)


@pytest.fixture
def stripe_order(user, user_client, api_client, stripe_on):
    """A processing order of 2 x 20.00 with 4.00 of shipping (no tax rates: no tax), paid with Stripe through the
    fake gateway and its signed webhook; (order, payment)."""
    order = place_order(user=user, product=ProductFactory(price=Decimal("20.00"), stock_quantity=5), quantity=2,
                        shipping_method_id=ShippingMethodFactory(price=Decimal("4.00")).pk)
    response = user_client.post("/payments/create-intent/", {"order_id": order.pk}, format="json")
    assert response.status_code == 201, response.content
    payment = Payment.objects.get(pk=response.json()["payment"]["id"])
    stripe_on.succeed(payment.provider_payment_id)
    assert _deliver(api_client, stripe_on, "payment_intent.succeeded",
                    stripe_on.intent(payment.provider_payment_id)).json()["outcome"] == "succeeded"
    return order, payment


def test_a_pending_shipping_refund_counts_until_the_gateway_fails_it(user_client, staff_client, api_client,
                                                                    stripe_on, stripe_order):
    order, payment = stripe_order
    stripe_on.next_refund_status = "pending"

    asked = staff_client.post("/payments/refund/", {"payment_id": payment.pk, "shipping": True}, format="json")

    assert asked.status_code == 200, asked.content
    refund = Refund.objects.get(payment=payment)
    assert refund.status == Refund.Status.PENDING
    for shipping in _shipping_everywhere(user_client, staff_client, order.pk):
        assert (shipping["gross"], shipping["refunded_amount"], shipping["refunded_tax"]) == ("4.00", "4.00", "0.00")

    failed = stripe_on.settle_refund(refund.provider_refund_id, "failed", failure_reason="declined")
    assert _deliver(api_client, stripe_on, "refund.failed", failed).json()["outcome"] == "refund_failed"

    for shipping in _shipping_everywhere(user_client, staff_client, order.pk):
        assert (shipping["refunded_amount"], shipping["refunded_tax"]) == ("0.00", "0.00")


def test_a_shipping_refund_the_gateway_refuses_at_once_does_not_count(user_client, staff_client, stripe_on,
                                                                      stripe_order):
    order, payment = stripe_order
    stripe_on.next_refund_status = "failed"

    refused = staff_client.post("/payments/refund/", {"payment_id": payment.pk, "shipping": True}, format="json")

    assert refused.status_code == 400 and refused.json()["code"] == "refund_failed"
    assert Refund.objects.get(payment=payment).status == Refund.Status.FAILED
    for shipping in _shipping_everywhere(user_client, staff_client, order.pk):
        assert (shipping["refunded_amount"], shipping["refunded_tax"]) == ("0.00", "0.00")


# --- The reads: no query more, and an order read any other way still says the truth ---------------------------

def test_shipping_refunds_cost_no_query_on_the_order_reads(user_client, staff_client, sandbox_on, germany,
                                                           django_assert_max_num_queries):
    order, payment_id = _paid_sandbox_order(user_client)
    for body in ({"shipping": True}, {"amount": "1.00"}):
        assert staff_client.post("/payments/refund/", {"payment_id": payment_id, **body},
                                 format="json").status_code == 200

    # the budgets of shop/payments/tests/test_refund_reads_and_input.py: the shipping's figures are subqueries of
    # the order's own query
    with django_assert_max_num_queries(7):
        read = user_client.get(f"/orders/{order['id']}/").json()
    with django_assert_max_num_queries(7):
        listed = user_client.get("/orders/").json()["results"][0]

    assert read["shipping"] == listed["shipping"]
    assert read["shipping"]["refunded_amount"] == "5.95"


def test_an_order_read_without_the_annotation_reads_its_shipping_refunds(user_client, staff_client, sandbox_on,
                                                                         germany, django_assert_num_queries):
    """``OrderOutput`` of an order not read by the order selectors (``Order.objects.get``) still says what came
    back of shipping: one query then, none for an order the selectors read."""
    order, payment_id = _paid_sandbox_order(user_client)
    assert staff_client.post("/payments/refund/", {"payment_id": payment_id, "shipping": True},
                             format="json").status_code == 200
    plain = Order.objects.get(pk=order["id"])
    shaped = order_get(order_id=order["id"])

    with django_assert_num_queries(1):
        assert order_shipping_refunded(plain) == (Decimal("5.95"), Decimal("0.95"))
    with django_assert_num_queries(0):
        assert order_shipping_refunded(shaped) == (Decimal("5.95"), Decimal("0.95"))
    assert OrderOutput(plain).data["shipping"] == OrderOutput(shaped).data["shipping"] == {
        "net": "5.00", "tax": "0.95", "gross": "5.95", "tax_rate": "19", "refunded_amount": "5.95",
        "refunded_tax": "0.95"}
