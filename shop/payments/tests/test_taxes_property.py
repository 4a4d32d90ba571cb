"""Hypothesis through the stored order: random carts checked out, paid in the sandbox and refunded unit by unit,
with random prices, quantities, rates, rounding modes, entry bases and currencies with 0, 2 and 3 decimals.

Invariants read back from the database: every figure the pipeline answered is the one stored (no digit lost: a
KWD tax of 0.096 stays 0.096) and the API writes it with exactly the currency's digits; the lines' taxes (and
shipping's) add up to the order's tax; net + tax = gross per line, for shipping and in total; every amount is
whole minor units; the gateway was asked for exactly the order's total; refunds of a line never exceed it, and
refunding everything returns exactly the order."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shop.catalog.tests.factories import ProductFactory
from shop.core.money import minor_unit
from shop.orders.api.serializers import OrderOutput
from shop.orders.models import Order
from shop.orders.services import LineRequest, order_create
from shop.orders.tests.factories import ShippingMethodFactory, pay_order
from shop.payments.models import Refund, RefundLine
from shop.payments.refund_split import RefundLineRequest
from shop.payments.services import payment_refund
from shop.pricing.models import TaxClass, TaxRate

pytestmark = pytest.mark.django_db
MODES = ("line", "sum_by_net", "sum_by_net_keep_gross")

carts = st.fixed_dictionaries({
    "lines": st.lists(st.tuples(st.integers(1, 99_999), st.integers(1, 7), st.sampled_from(["standard", "reduced"])),
                      min_size=1, max_size=4),
    "shipping": st.one_of(st.none(), st.integers(0, 2_000)),
    "rates": st.tuples(st.sampled_from(["19", "7.7", "0", "16", "14", "20", "5.5"]),
                       st.sampled_from(["7", "2.5", "0", "8"])),
    "mode": st.sampled_from(MODES),
    "gross": st.booleans(),
    "currency": st.sampled_from(["USD", "JPY", "KWD"]),
    "chunks": st.integers(1, 3),
})


MONEY_FIELDS = ("subtotal", "discount", "shipping_net", "shipping_tax", "shipping_fee", "tax_total", "total")
LINE_MONEY_FIELDS = ("unit_price", "line_total", "discount", "net", "tax", "gross")


def _whole(amount: Decimal, currency: str) -> bool:
    return amount == amount.quantize(Decimal(1).scaleb(-minor_unit(currency)))


def _text(amount: Decimal, currency: str) -> str:
    """What the API must write: the amount at exactly the currency's digits (computed here, not by money_text)."""
    digits = minor_unit(currency)
    return f"{amount:.{digits}f}"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(cart=carts)
def test_stored_orders_add_up_and_refunds_never_exceed_a_line(user, staff_user, sandbox_on, settings, cart):
    settings.SHOP_CURRENCY = cart["currency"]
    settings.TAX_ROUNDING_MODE = cart["mode"]
    settings.PRICES_INCLUDE_TAX = cart["gross"]
    settings.SHIPPING_METHOD_REQUIRED = False  # orders with no shipping charge are one of the shapes priced here
    TaxRate.objects.all().delete()
    for code, rate in zip(("standard", "reduced"), cart["rates"], strict=True):
        TaxRate.objects.create(tax_class=TaxClass.objects.get(code=code), country="DE", rate=Decimal(rate))
    unit = Decimal(1).scaleb(-minor_unit(cart["currency"]))  # 0.01, 1 yen or 0.001 KWD
    requests = []
    for minor, quantity, code in cart["lines"]:
        product = ProductFactory(price=max(minor * unit, Decimal("1")), stock_quantity=quantity,
                                 tax_class=TaxClass.objects.get(code=code))
        requests.append(LineRequest(quantity=quantity, product_id=product.pk))
    shipping = None
    if cart["shipping"] is not None:
        shipping = ShippingMethodFactory(price=cart["shipping"] * unit,
                                         tax_class=TaxClass.objects.get(code="standard"))

    placed, _ = order_create(user=user, lines=requests, shipping_method_id=shipping.pk if shipping else None,
                             shipping_address={"full_name": "A", "address_line_1": "1", "city": "B",
                                               "country": "DE"}, payment_method="sandbox")
    order = Order.objects.get(pk=placed.pk)
    items = list(order.items.order_by("id"))

    # Saved and read back: every figure the pipeline answered, to its last digit, and answered with exactly the
    # currency's digits.
    currency = order.currency
    for name in MONEY_FIELDS:
        assert getattr(order, name) == getattr(placed, name), name  # the pipeline's figure, in memory
    answer = OrderOutput(order).data
    for name in ("subtotal", "discount", "shipping_fee", "tax_total", "total"):
        assert answer[name] == _text(getattr(order, name), currency), name
    assert (answer["shipping"]["net"], answer["shipping"]["tax"]) == (_text(order.shipping_net, currency),
                                                                      _text(order.shipping_tax, currency))
    for line, item in zip(answer["items"], items, strict=True):
        assert [line[name] for name in LINE_MONEY_FIELDS] == [_text(getattr(item, name), currency)
                                                              for name in LINE_MONEY_FIELDS]

    assert sum(item.tax for item in items) + order.shipping_tax == order.tax_total
    assert sum(item.gross for item in items) + order.shipping_fee == order.total
    for item in items:
        assert item.net + item.tax == item.gross
        assert all(_whole(value, currency) for value in (item.net, item.tax, item.gross))
    assert order.shipping_net + order.shipping_tax == order.shipping_fee
    assert sum(Decimal(line["amount"]) for line in order.tax_lines) == order.tax_total
    assert sum(Decimal(line["base"]) for line in order.tax_lines) + order.tax_total == order.total

    payment = pay_order(order=order, user=user)
    assert payment.amount == order.total  # exactly what the gateway was asked for

    # Refund every line in ``chunks`` steps of its units, then shipping: exactly the order, never more per line.
    for item in items:
        left = item.quantity
        while left:
            units = min(left, max(1, item.quantity // cart["chunks"]))
            payment_refund(payment_id=payment.pk, user=staff_user,
                           lines=[RefundLineRequest(order_item_id=item.pk, quantity=units)])
            left -= units
            refunded = RefundLine.objects.filter(order_item=item)
            assert sum(line.amount for line in refunded) <= item.gross
            assert sum(line.tax for line in refunded) <= item.tax
        refunded = RefundLine.objects.filter(order_item=item)
        assert (sum(line.amount for line in refunded), sum(line.tax for line in refunded)) == (item.gross, item.tax)
    if order.shipping_fee > 0:
        payment_refund(payment_id=payment.pk, user=staff_user, shipping=True)
    refunds = Refund.objects.filter(payment=payment)
    assert sum(refund.amount for refund in refunds) == order.total
    assert sum(refund.tax for refund in refunds) == order.tax_total
    payment.refresh_from_db()
    assert payment.amount_refunded == payment.amount
