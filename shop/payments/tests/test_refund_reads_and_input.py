"""Found by a fresh-eyes test of refunds: a sent-but-empty `lines` (or a sent `shipping: false`) is a refund by
line of nothing, never the full refund an absent amount means; the refund endpoint answers the refund it made;
payments and orders read their refunds back, at a query count that does not grow with lines or refunds; an amount
refund that takes all of a line counts its units."""

from decimal import Decimal

import pytest

from shop.catalog.models import Product
from shop.catalog.tests.factories import ProductFactory
from shop.core.exceptions import ApplicationError
from shop.orders.models import Order
from shop.orders.tests.factories import ShippingMethodFactory
from shop.payments.models import Payment, Refund, RefundLine
from shop.payments.services import payment_refund

pytestmark = pytest.mark.django_db
GERMANY = {"full_name": "Ada L", "address_line_1": "1 Hauptstr.", "city": "Berlin", "country": "DE"}


@pytest.fixture
def germany(staff_client, sandbox_on):
    for tax_class, rate in (("standard", "19"), ("reduced", "7")):
        assert staff_client.post("/pricing/tax-rates/", {"tax_class": tax_class, "country": "DE", "rate": rate},
                                 format="json").status_code == 201


def _paid_order(client, *, lines: int = 2, shipping: str = "5.95"):
    """A paid sandbox order of ``lines`` lines (2 units of 100.00 each) shipped to Germany; (order, payment id)."""
    products = [ProductFactory(price=Decimal("100.00"), stock_quantity=10) for _ in range(lines)]
    courier = ShippingMethodFactory(price=Decimal(shipping))
    response = client.post("/orders/checkout/", {
        "payment_method": "sandbox", "shipping_address": GERMANY, "shipping_method": courier.pk,
        "items": [{"product_id": product.pk, "quantity": 2} for product in products]}, format="json")
    assert response.status_code == 201, response.content
    order = response.json()
    assert client.post(f"/payments/sandbox/{order['payment_id']}/succeed/").status_code in (200, 302)
    return order, order["payment_id"]


def _unchanged(order, payment_id):
    payment = Payment.objects.get(pk=payment_id)
    assert (payment.status, payment.amount_refunded) == (Payment.Status.SUCCEEDED, Decimal("0.00"))
    assert Order.objects.get(pk=order["id"]).status == Order.Status.PROCESSING
    assert not Refund.objects.exists()
    assert set(Product.objects.values_list("stock_quantity", flat=True)) == {8}


# --- 1. What was sent decides, not whether it is truthy ------------------------------------------------------------

@pytest.mark.parametrize("body", [{"lines": []}, {"lines": [], "shipping": False}, {"shipping": False}])
def test_an_empty_refund_by_line_refunds_nothing_and_is_refused_naming_lines(user_client, staff_client, germany,
                                                                              body):
    order, payment_id = _paid_order(user_client)

    response = staff_client.post("/payments/refund/", {"payment_id": payment_id, **body}, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "nothing_to_refund" and "lines" in response.json()["errors"]
    _unchanged(order, payment_id)


@pytest.mark.parametrize(("body", "field"), [
    ({"lines": [], "amount": "5.00"}, "amount"),
    ({"shipping": False, "amount": "5.00"}, "amount"),
    ({"amount": None}, "amount"),
    ({"amount": "0"}, "amount"),
    ({"amount": "0.00"}, "amount"),
    ({"lines": None}, "lines"),
    ({"shipping": None}, "shipping"),
    ({"lines": [{"order_item_id": 0}]}, "lines"),
    ({"payment_id": 0}, "payment_id"),
])
def test_other_falsy_but_sent_refund_inputs_are_refused_naming_the_field(user_client, staff_client, germany, body,
                                                                         field):
    order, payment_id = _paid_order(user_client)

    response = staff_client.post("/payments/refund/", {"payment_id": payment_id, **body}, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    _unchanged(order, payment_id)


@pytest.mark.parametrize("body", [{"lines": [], "amount": "5.00"}, {"shipping": True, "amount": "5.00"},
                                  {"lines": [], "shipping": False, "amount": "5.00"}])
def test_an_amount_sent_with_lines_or_shipping_is_refused_naming_each_field_sent(user_client, staff_client, germany,
                                                                                 body):
    order, payment_id = _paid_order(user_client)

    response = staff_client.post("/payments/refund/", {"payment_id": payment_id, **body}, format="json")

    assert response.status_code == 400, response.content
    message = "Send either an amount or lines (and shipping), not both."
    assert response.json()["errors"] == {name: [message] for name in body}
    _unchanged(order, payment_id)


def test_a_zero_quantity_of_a_line_is_refused_and_a_customer_empty_lines_refunds_nothing(user_client, staff_client,
                                                                                         germany):
    order, payment_id = _paid_order(user_client)

    zero = staff_client.post("/payments/refund/", {"payment_id": payment_id, "lines": [
        {"order_item_id": order["items"][0]["id"], "quantity": 0}]}, format="json")
    customer = user_client.post("/payments/refund/", {"payment_id": payment_id, "lines": []}, format="json")

    assert zero.status_code == 400 and "lines" in zero.json()["errors"]
    assert customer.status_code == 400 and customer.json()["code"] == "nothing_to_refund"
    _unchanged(order, payment_id)


def test_the_service_reads_an_empty_lines_as_a_refund_of_nothing(user, user_client, staff_user, germany):
    order, payment_id = _paid_order(user_client)

    for kwargs in ({"lines": []}, {"shipping": False}, {"lines": [], "shipping": False}):
        with pytest.raises(ApplicationError) as refused:
            payment_refund(payment_id=payment_id, user=staff_user, **kwargs)
        assert refused.value.code == "nothing_to_refund"
    _unchanged(order, payment_id)


def test_shipping_false_beside_lines_refunds_those_lines_only(user_client, staff_client, germany):
    order, payment_id = _paid_order(user_client)
    line = order["items"][0]

    response = staff_client.post("/payments/refund/", {"payment_id": payment_id, "shipping": False, "lines": [
        {"order_item_id": line["id"]}]}, format="json")

    assert response.status_code == 200, response.content
    assert [(row["kind"], row["order_item"], row["amount"]) for row in response.json()["refund"]["lines"]] == [
        ("item", line["id"], "200.00")]


# --- 3. The answer is the refund this request made -------------------------------------------------------------

def test_the_service_returns_the_refund_it_made_and_the_answer_matches_its_row(user, user_client, staff_user,
                                                                               staff_client, germany):
    order, payment_id = _paid_order(user_client)

    first = payment_refund(payment_id=payment_id, user=staff_user, amount=Decimal("10.00"))
    second = payment_refund(payment_id=payment_id, user=staff_user, amount=Decimal("20.00"))
    answered = staff_client.post("/payments/refund/", {"payment_id": payment_id, "amount": "30.00"},
                                 format="json").json()

    assert (first.amount, second.amount) == (Decimal("10.00"), Decimal("20.00")) and first.pk != second.pk
    assert second.payment.amount_refunded == Decimal("30.00") and second.status == Refund.Status.SUCCEEDED
    row = Refund.objects.get(pk=answered["refund"]["id"])
    assert (answered["refund"]["amount"], row.amount, answered["payment"]["amount_refunded"]) == (
        "30.00", Decimal("30.00"), "60.00")


# --- 4. Refunds read back --------------------------------------------------------------------------------------

def test_payment_and_order_reads_show_the_refunds_and_what_each_line_got_back(user_client, staff_client, germany):
    order, payment_id = _paid_order(user_client)
    first, second = order["items"]
    by_line = staff_client.post("/payments/refund/", {"payment_id": payment_id, "shipping": True, "lines": [
        {"order_item_id": first["id"], "quantity": 1}]}, format="json").json()["refund"]
    by_amount = staff_client.post("/payments/refund/", {"payment_id": payment_id, "amount": "10.00"},
                                  format="json").json()["refund"]

    detail = user_client.get(f"/payments/{payment_id}/").json()
    latest = user_client.get(f"/payments/order/{order['id']}/").json()
    listed = user_client.get("/payments/").json()["results"][0]
    read = user_client.get(f"/orders/{order['id']}/").json()

    assert detail["refunds"] == [by_amount, by_line] == latest["refunds"] == listed["refunds"]
    assert by_line["lines"] == [
        {"kind": "item", "order_item": first["id"], "quantity": 1, "amount": "100.00", "tax": "15.97",
         "tax_rate": "19"},
        {"kind": "shipping", "order_item": None, "quantity": 1, "amount": "5.95", "tax": "0.95", "tax_rate": "19"}]
    assert (by_line["amount"], by_line["tax"], by_line["status"]) == ("105.95", "16.92", "succeeded")
    assert by_line["tax_lines"] == [{"rate": "19", "base": "89.03", "amount": "16.92"}]
    # 10.00 spread over what was left: 100.00 of the first line, 200.00 of the second.
    shares = {row["order_item"]: (row["quantity"], row["amount"]) for row in by_amount["lines"]}
    assert shares == {first["id"]: (0, "3.33"), second["id"]: (0, "6.67")}
    lines = {line["id"]: (line["refunded_quantity"], line["refunded_amount"], line["refunded_tax"])
             for line in read["items"]}
    # The amount refund's tax 1.597 is rounded once (1.60) and spread by largest remainder: 0.53 and 1.07.
    assert lines == {first["id"]: (1, "103.33", "16.50"), second["id"]: (0, "6.67", "1.07")}


def test_a_failed_refund_is_listed_but_not_counted_as_refunded_on_the_line(user_client, staff_client, germany):
    order, payment_id = _paid_order(user_client)
    line = order["items"][0]
    staff_client.post("/payments/refund/", {"payment_id": payment_id, "lines": [{"order_item_id": line["id"]}]},
                      format="json")
    Refund.objects.update(status=Refund.Status.FAILED)

    read = user_client.get(f"/orders/{order['id']}/").json()

    assert [refund["status"] for refund in user_client.get(f"/payments/{payment_id}/").json()["refunds"]] == [
        "failed"]
    assert (read["items"][0]["refunded_quantity"], read["items"][0]["refunded_amount"]) == (0, "0.00")


@pytest.mark.parametrize(("lines", "refunds"), [(1, 1), (4, 3)])
def test_payment_and_order_reads_cost_the_same_queries_whatever_the_lines_and_refunds(
    user_client, staff_client, germany, lines, refunds, django_assert_max_num_queries
):
    order, payment_id = _paid_order(user_client, lines=lines)
    for _ in range(refunds):
        assert staff_client.post("/payments/refund/", {"payment_id": payment_id, "amount": "1.00"},
                                 format="json").status_code == 200

    # the payment with its order, its refunds, their lines
    with django_assert_max_num_queries(3):
        assert len(user_client.get(f"/payments/{payment_id}/").json()["refunds"]) == refunds
    with django_assert_max_num_queries(3):
        assert len(user_client.get(f"/payments/order/{order['id']}/").json()["refunds"]) == refunds
    # + the page's count
    with django_assert_max_num_queries(4):
        assert len(user_client.get("/payments/").json()["results"][0]["refunds"]) == refunds
    # as before (shop/payments/tests/test_taxes_flow.py): each line's refunded figures are subqueries of the
    # lines' own query; + 1 the order's discounts (what sales and a voucher took off)
    with django_assert_max_num_queries(7):
        read = user_client.get(f"/orders/{order['id']}/").json()
    assert sum(Decimal(line["refunded_amount"]) for line in read["items"]) <= Decimal(refunds)
    with django_assert_max_num_queries(7):
        assert user_client.get("/orders/").json()["count"] == 1


# --- 5. An amount refund of all of a line counts its units -------------------------------------------------------

def test_an_amount_refund_of_everything_left_counts_every_unit_and_shipping(user_client, staff_client, germany):
    order, payment_id = _paid_order(user_client)
    first, second = order["items"]
    staff_client.post("/payments/refund/", {"payment_id": payment_id, "lines": [
        {"order_item_id": first["id"], "quantity": 1}]}, format="json")

    rest = staff_client.post("/payments/refund/", {"payment_id": payment_id}, format="json").json()["refund"]

    assert [(row["kind"], row["order_item"], row["quantity"]) for row in rest["lines"]] == [
        ("item", first["id"], 1), ("item", second["id"], 2), ("shipping", None, 1)]
    read = user_client.get(f"/orders/{order['id']}/").json()
    assert [(line["refunded_quantity"], line["refunded_amount"]) for line in read["items"]] == [
        (2, "200.00"), (2, "200.00")]
    assert sum(RefundLine.objects.filter(kind="shipping").values_list("quantity", flat=True)) == 1
