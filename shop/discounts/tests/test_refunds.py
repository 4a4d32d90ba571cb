"""Refunds of discounted orders: a line gives back exactly its discounted gross and its tax, never more."""

from decimal import Decimal

import pytest

from shop.catalog.tests.factories import ProductFactory
from shop.discounts.tests.factories import PromotionFactory, VoucherFactory
from shop.payments.models import Payment
from shop.payments.tests.conftest import sandbox_on  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
GERMANY = {"full_name": "Ada L", "address_line_1": "1 Hauptstr.", "city": "Berlin", "country": "DE"}


@pytest.fixture
def germany(staff_client, sandbox_on):  # noqa: F811
    response = staff_client.post("/pricing/tax-rates/", {"tax_class": "standard", "country": "DE", "rate": "19"},
                                 format="json")
    assert response.status_code == 201, response.content


def test_a_line_refund_returns_its_discounted_gross_and_tax(user_client, staff_client, germany):
    mug = ProductFactory(price=Decimal("100.00"), stock_quantity=10)
    pen = ProductFactory(price=Decimal("33.33"), stock_quantity=10)
    PromotionFactory(products=[pen], value=Decimal("10"))  # 33.33 -> 30.00 per unit (3.33 off, half up)
    VoucherFactory(code="TENOFF", kind="fixed", value=Decimal("10.00"), combines_with_promotions=True)
    response = user_client.post("/orders/checkout/", {
        "payment_method": "sandbox", "shipping_address": GERMANY, "voucher": "tenoff",
        "items": [{"product_id": mug.pk, "quantity": 5}, {"product_id": pen.pk, "quantity": 3}]}, format="json")
    assert response.status_code == 201, response.content
    order = response.json()
    mugs, pens = order["items"]
    # 500.00 + 90.00 after the sale; the 10.00 voucher split 500 : 90 by largest remainder -> 8.47 + 1.53.
    assert (mugs["discount"], pens["discount"]) == ("8.47", "11.52")  # pens: 9.99 sale + 1.53 voucher share
    assert (mugs["gross"], pens["gross"], order["total"]) == ("491.53", "88.47", "580.00")
    assert Decimal(mugs["net"]) + Decimal(mugs["tax"]) == Decimal(mugs["gross"])
    payment_id = order["payment_id"]
    assert user_client.post(f"/payments/sandbox/{payment_id}/succeed/").status_code in (200, 302)

    refund = staff_client.post("/payments/refund/", {"payment_id": payment_id,
                                                     "lines": [{"order_item_id": pens["id"]}]}, format="json")
    again = staff_client.post("/payments/refund/", {"payment_id": payment_id,
                                                    "lines": [{"order_item_id": pens["id"], "quantity": 1}]},
                              format="json")
    rest = staff_client.post("/payments/refund/", {"payment_id": payment_id,
                                                   "lines": [{"order_item_id": mugs["id"]}]}, format="json")

    assert refund.status_code == 200, refund.content
    assert (refund.json()["refund"]["amount"], refund.json()["refund"]["tax"]) == (pens["gross"], pens["tax"])
    assert (again.status_code, again.json()["code"]) == (400, "refund_exceeds_line")
    assert (rest.json()["refund"]["amount"], rest.json()["refund"]["tax"]) == (mugs["gross"], mugs["tax"])
    payment = Payment.objects.get(pk=payment_id)
    assert payment.amount_refunded == payment.amount == Decimal("580.00")
