"""The pure discount calculation, alone and fed to the pricing pipeline: worked examples and hypothesis properties."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shop.core.money import minor_unit
from shop.discounts.calculation import (
    DiscountLine,
    PromotionRule,
    VoucherRefused,
    VoucherRule,
    discounts_compute,
    sale_unit_price,
)
from shop.pricing.pipeline import PriceLine, ShippingCharge, price_order
from shop.pricing.rates import TaxRates

D = Decimal


def _line(key, price, quantity, product=1, category=None, variant=None):
    return DiscountLine(key=key, product_id=product, variant_id=variant, category_id=category, unit_price=D(price),
                        quantity=quantity)


def _voucher(**fields):
    return VoucherRule(**{"id": 1, "code": "TEST", "name": "Test", "kind": "percentage", "value": D("10"),
                          "scope": "order", **fields})


def test_the_best_promotion_wins_per_unit_and_percentages_round_half_up_per_unit():
    rules = [PromotionRule(1, "Ten", "percentage", D("10"), product_ids=frozenset({1})),
             PromotionRule(2, "Two off", "fixed", D("2.00"), category_ids=frozenset({9}))]

    assert sale_unit_price(1, 9, D("19.99"), rules, "EUR") == D("17.99")  # 2.00 beats 2.00 (1.999 -> 2.00): id 1
    assert sale_unit_price(1, None, D("0.05"), rules, "EUR") == D("0.04")  # 0.005 rounds half up to 0.01
    assert sale_unit_price(5, None, D("10.00"), rules, "EUR") is None
    applied = discounts_compute([_line("a", "19.99", 3, category=9)], promotions=rules, voucher=None,
                                shipping_price=None, currency="EUR")
    assert applied.line_discounts == {"a": D("6.00")}
    assert [(a.source, a.promotion_id, a.amount) for a in applied.applied] == [("promotion", 1, D("6.00"))]


def test_an_order_voucher_over_every_line_is_the_pipelines_order_discount():
    result = discounts_compute([_line("a", "10.00", 1), _line("b", "20.00", 2)], promotions=[],
                               voucher=_voucher(value=D("15")), shipping_price=None, currency="EUR")

    assert (result.order_discount, result.line_discounts) == (D("7.50"), {"a": 0, "b": 0})


def test_an_item_voucher_is_split_over_its_lines_by_largest_remainder():
    lines = [_line("a", "10.00", 1, product=1), _line("b", "10.00", 1, product=2), _line("c", "10.00", 1, product=3),
             _line("x", "99.00", 1, product=4)]
    result = discounts_compute(lines, promotions=[], voucher=_voucher(kind="fixed", value=D("1.00"),
                                                                      scope="products",
                                                                      product_ids=frozenset({1, 2, 3})),
                               shipping_price=None, currency="EUR")

    assert result.line_discounts == {"a": D("0.34"), "b": D("0.33"), "c": D("0.33"), "x": 0}
    assert result.order_discount == 0


def test_refusals_carry_their_codes():
    lines = [_line("a", "10.00", 1, product=1)]
    cases = [
        (_voucher(min_spend=D("10.01")), "min_spend_not_met"),
        (_voucher(scope="variants", variant_ids=frozenset({7})), "not_eligible"),
        (_voucher(min_quantity=2), "not_eligible"),
    ]
    for voucher, code in cases:
        with pytest.raises(VoucherRefused) as refused:
            discounts_compute(lines, promotions=[], voucher=voucher, shipping_price=None, currency="EUR")
        assert refused.value.code == code
    shipping = _voucher(kind="free_shipping", scope="shipping")
    for free in (None, D("0.00")):  # at checkout, shipping that costs nothing: left out, never refused
        found = discounts_compute(lines, promotions=[], voucher=shipping, shipping_price=free, currency="EUR",
                                  at_checkout=True)
        assert (found.applied, found.shipping_discount, found.voucher_amount) == ((), 0, 0)
    in_cart = discounts_compute(lines, promotions=[], voucher=shipping, shipping_price=None, currency="EUR")
    assert in_cart.shipping_discount == 0 and in_cart.applied[0].target == "shipping"


CURRENCIES = ["EUR", "JPY", "KWD"]


@st.composite
def _orders(draw):
    currency = draw(st.sampled_from(CURRENCIES))
    step = D(1).scaleb(-minor_unit(currency))
    money = st.integers(1, 50_000).map(lambda n: n * step)
    lines = [
        DiscountLine(key=index, product_id=draw(st.integers(1, 4)), variant_id=draw(st.sampled_from([None, 11, 12])),
                     category_id=draw(st.sampled_from([None, 21, 22])), unit_price=draw(money),
                     quantity=draw(st.integers(1, 7)))
        for index in range(draw(st.integers(1, 6)))
    ]
    promotions = [
        PromotionRule(id=index, name=f"P{index}", kind=kind,
                      value=draw(st.integers(1, 100).map(D)) if kind == "percentage" else draw(money),
                      product_ids=frozenset(draw(st.lists(st.integers(1, 4), max_size=2))),
                      category_ids=frozenset(draw(st.lists(st.sampled_from([21, 22]), max_size=1))))
        for index, kind in enumerate(draw(st.lists(st.sampled_from(["percentage", "fixed"]), max_size=3)))
    ]
    voucher = None
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["percentage", "fixed", "free_shipping"]))
        scope = "shipping" if kind == "free_shipping" else draw(st.sampled_from(
            ["order", "products", "variants", "categories", "shipping"]))
        voucher = _voucher(kind=kind, scope=scope,
                           value=draw(st.integers(1, 100).map(D)) if kind == "percentage" else draw(money),
                           product_ids=frozenset({draw(st.integers(1, 4))}), variant_ids=frozenset({11}),
                           category_ids=frozenset({21}), combines_with_promotions=draw(st.booleans()))
    shipping = draw(st.one_of(st.none(), money))
    return currency, lines, promotions, voucher, shipping


@settings(max_examples=400, deadline=None)
@given(_orders(), st.sampled_from(["line", "sum_by_net", "sum_by_net_keep_gross"]), st.booleans())
def test_discounts_priced_by_the_pipeline_add_up_to_the_cent(order, mode, gross):
    """Line shares of every order discount sum to it; each line pays at most its list amount and never less than
    nothing; what the order charges is exactly the lines' and shipping's gross, so a refund bounded by a line's
    gross never returns more than was paid for that line."""
    currency, lines, promotions, voucher, shipping = order
    try:
        found = discounts_compute(lines, promotions=promotions, voucher=voucher, shipping_price=shipping,
                                  currency=currency, at_checkout=True)
    except VoucherRefused:
        return
    exponent = minor_unit(currency)
    for amount in (*found.line_discounts.values(), found.order_discount, found.shipping_discount,
                   *(item.amount for item in found.applied)):
        assert amount >= 0 and amount == amount.quantize(D(1).scaleb(-exponent))
    assert sum((a.amount for a in found.applied), D(0)) == found.total
    priced = price_order(
        [PriceLine(line.unit_price, line.quantity, discount=found.line_discounts[line.key], key=line.key)
         for line in lines],
        shipping=None if shipping is None else ShippingCharge(shipping - found.shipping_discount),
        currency=currency, prices_include_tax=gross, rounding_mode=mode, rates=TaxRates.flat("19", country="DE"),
        order_discount=found.order_discount,
    )
    shares = [line.discount - found.line_discounts[line.key] for line in priced.lines]
    assert sum(shares, D(0)) == found.order_discount
    assert priced.discount == found.total - found.shipping_discount
    listed = {line.key: line.unit_price * line.quantity for line in lines}
    for line in priced.lines:
        assert 0 <= line.discount <= listed[line.key]
        assert line.net + line.tax == line.gross
    assert sum((line.gross for line in priced.lines), D(0)) + priced.shipping.gross == priced.total
