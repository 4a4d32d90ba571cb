"""The flat-rate tax provider: the shipping address's country and region, else SHOP_COUNTRY, else no rate."""

from decimal import Decimal

import pytest

from shop.pricing.models import TaxClass, TaxRate
from shop.pricing.pipeline import PriceLine, ShippingCharge, price_order
from shop.pricing.providers import FlatRateTaxProvider, tax_place, tax_provider

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def rates():
    standard, reduced = TaxClass.objects.get(code="standard"), TaxClass.objects.get(code="reduced")
    TaxRate.objects.create(tax_class=standard, country="DE", rate=D(19))
    TaxRate.objects.create(tax_class=reduced, country="DE", rate=D(7))
    TaxRate.objects.create(tax_class=standard, country="ES", rate=D(21))
    TaxRate.objects.create(tax_class=standard, country="ES", region="ES-CN", rate=D(7))


LINES = [PriceLine(D("10.00"), 1), PriceLine(D("10.00"), 1, tax_class="reduced"), ShippingCharge(D("5.00"))]


def test_country_rates_and_the_default_class(rates, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        result = FlatRateTaxProvider().rates_for(LINES, {"country": "Germany"})
    assert (result.country, result.region, result.default_class) == ("DE", "", "standard")
    assert result.for_class(None).rate == D(19)
    assert (result.for_class("reduced").rate, result.for_class("reduced").source) == (D(7), "rate")
    assert result.for_class("zero").source == "no_rate"


def test_a_regions_rate_wins_over_its_countrys(rates):
    assert tax_provider().rates_for(LINES, {"country": "ES", "region": "CN"}).for_class(None).rate == D(7)
    assert tax_provider().rates_for(LINES, {"country": "ES", "state": "ES-MD"}).for_class(None).rate == D(21)


def test_without_an_address_the_shop_country_applies(rates, settings):
    settings.SHOP_COUNTRY = "DE"
    assert tax_place(None) == ("DE", "")
    assert tax_provider().rates_for(LINES, None).for_class(None).rate == D(19)
    settings.SHOP_COUNTRY = ""
    result = tax_provider().rates_for(LINES, {})
    assert (result.country, result.for_class(None).source) == ("", "no_rate")


def test_a_country_without_rates_is_taxed_at_zero_and_says_so(rates):
    rates_ke = tax_provider().rates_for(LINES, {"country": "KE"})
    order = price_order(LINES[:2], shipping=LINES[2], currency="KES", prices_include_tax=True,
                        rounding_mode="line", rates=rates_ke)
    assert (order.tax_total, order.total, order.tax_source, order.tax_country) == (D("0.00"), D("25.00"),
                                                                                  "no_rate", "KE")


def test_provider_rates_priced_end_to_end(rates):
    order = price_order(LINES[:2], shipping=LINES[2], currency="EUR", prices_include_tax=True,
                        rounding_mode="line", rates=tax_provider().rates_for(LINES, {"country": "DE"}))
    assert [(line.tax_rate, line.tax) for line in order.lines] == [(D(19), D("1.60")), (D(7), D("0.65"))]
    assert (order.shipping.tax, order.tax_total, order.total) == (D("0.80"), D("3.05"), D("25.00"))
