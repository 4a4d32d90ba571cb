"""The one money field of the API (``shop.core.serializers.MoneyField``): answers with exactly the currency's digits,
requests refused with more, the schema saying so, and the start-up check that only refuses what the columns cannot
hold. Every money amount in the schema comes from it."""

from decimal import Decimal

import pytest
from django.core.checks import run_checks
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from shop.core.schema import money_pattern
from shop.core.serializers import MoneyField


class Priced(serializers.Serializer):
    """An answer with a currency of its own (an order's, a payment's) and one in another place (an order line's)."""

    total = MoneyField(read_only=True)
    line = MoneyField(source="line_amount", currency_source="order.currency", read_only=True)


class Sent(serializers.Serializer):
    amount = MoneyField()
    price = MoneyField(positive=True, required=False)


@pytest.mark.parametrize(("currency", "stored", "text"),
                         [("JPY", "100.000", "100"), ("EUR", "10.500", "10.50"), ("KWD", "1.255", "1.255"),
                          ("KWD", "1.250", "1.250"), ("BHD", "0.000", "0.000")])
def test_answers_have_exactly_the_shop_currencys_digits(settings, currency, stored, text):
    settings.SHOP_CURRENCY = currency

    assert MoneyField().to_representation(Decimal(stored)) == text


def test_an_answer_is_written_in_the_currency_of_what_it_describes(settings):
    settings.SHOP_CURRENCY = "EUR"
    row = {"total": Decimal("100.000"), "currency": "JPY", "line_amount": Decimal("1.250"),
           "order": {"currency": "KWD"}}

    assert Priced(row).data == {"total": "100", "line": "1.250"}
    # Nothing says which currency: the shop's.
    assert Priced({"total": Decimal("100.000"), "line_amount": Decimal("1")}).data == {"total": "100.00",
                                                                                       "line": "1.00"}


@pytest.mark.parametrize(("currency", "sent", "value"),
                         [("EUR", "10.5", Decimal("10.50")), ("EUR", "10.500", Decimal("10.50")),
                          ("EUR", 10, Decimal("10.00")), ("JPY", "100.0", Decimal("100")),
                          ("KWD", "1.255", Decimal("1.255")), ("KWD", "0.001", Decimal("0.001")),
                          ("EUR", "9999999999.99", Decimal("9999999999.99"))])
def test_requests_are_read_by_value_at_the_currencys_digits(settings, currency, sent, value):
    settings.SHOP_CURRENCY = currency

    serializer = Sent(data={"amount": sent})

    assert serializer.is_valid(), serializer.errors
    amount = serializer.validated_data["amount"]
    assert amount == value and amount.as_tuple().exponent == value.as_tuple().exponent


@pytest.mark.parametrize(("currency", "data", "field", "message"), [
    ("EUR", {"amount": "10.505"}, "amount", "Ensure that there are no more than 2 decimal places (EUR)."),
    ("JPY", {"amount": "100.5"}, "amount", "Ensure that there are no more than 0 decimal places (JPY)."),
    ("KWD", {"amount": "1.2555"}, "amount", "Ensure that there are no more than 3 decimal places (KWD)."),
    ("EUR", {"amount": "10000000000"}, "amount",
     "Ensure that there are no more than 10 digits before the decimal point."),
    ("EUR", {"amount": "1e400"}, "amount", "Ensure that there are no more than 10 digits before the decimal point."),
    # An exponent past the decimal context's was a 500 (decimal.Overflow from abs()): compared, never computed.
    ("EUR", {"amount": "1e9999999"}, "amount",
     "Ensure that there are no more than 10 digits before the decimal point."),
    ("EUR", {"amount": "-1E+999999999999999999"}, "amount",
     "Ensure that there are no more than 10 digits before the decimal point."),
    ("EUR", {"amount": "1e-9999999"}, "amount", "Ensure that there are no more than 2 decimal places (EUR)."),
    ("EUR", {"amount": "NaN"}, "amount", "A valid number is required."),
    ("EUR", {"amount": "1", "price": "0"}, "price", "Ensure this amount is more than 0."),
    ("KWD", {"amount": "1", "price": "-0.001"}, "price", "Ensure this amount is more than 0."),
])
def test_requests_with_more_decimals_than_the_currency_are_refused_naming_the_field(settings, currency, data, field,
                                                                                    message):
    settings.SHOP_CURRENCY = currency

    serializer = Sent(data=data)

    assert not serializer.is_valid()
    assert serializer.errors == {field: [message]}


def test_the_smallest_positive_amount_is_one_minor_unit(settings):
    settings.SHOP_CURRENCY = "KWD"
    assert Sent(data={"amount": "1", "price": "0.001"}).is_valid()
    settings.SHOP_CURRENCY = "JPY"
    assert not Sent(data={"amount": "1", "price": "0.5"}).is_valid()


@pytest.mark.parametrize(("currency", "answer", "request_"),
                         [("EUR", r"^-?\d{1,10}\.\d{2}$", r"^\d{1,10}(?:\.\d{0,2})?$"),
                          ("JPY", r"^-?\d{1,10}$", r"^\d{1,10}$"),
                          ("KWD", r"^-?\d{1,10}\.\d{3}$", r"^\d{1,10}(?:\.\d{0,3})?$")])
def test_the_schema_says_string_decimal_with_the_shop_currencys_digits(settings, currency, answer, request_):
    settings.SHOP_CURRENCY = currency

    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]

    total = schemas["OrderOutput"]["properties"]["total"]
    assert (total["type"], total["format"], total["pattern"], total["readOnly"]) == ("string", "decimal", answer, True)
    price = schemas["ProductInputRequest"]["properties"]["price"]
    assert (price["type"], price["format"], price["pattern"]) == ("string", "decimal", request_)


def _decimal_properties(node, path=()):
    """Every ``format: decimal`` property of the schema's components, with where it is."""
    if isinstance(node, dict):
        if node.get("format") == "decimal":
            yield path, node
        for key, value in node.items():
            yield from _decimal_properties(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _decimal_properties(value, (*path, index))


# Decimals that are not amounts of money: tax rates in percent, a voucher's or promotion's value (percent, or an
# amount for the fixed kind: written by its kind) and the catalog's price filters (query parameters).
NOT_MONEY = {"rate", "tax_rate", "shipping_tax_rate", "value"}


def test_every_money_amount_in_the_schema_is_a_money_field(settings):
    """A DecimalField left in an answer would leak the column's three decimals ("100.000" yen): the schema shows
    every decimal property, and each must carry MoneyField's pattern unless it is a known non-money figure."""
    settings.SHOP_CURRENCY = "JPY"
    schema = SchemaGenerator().get_schema(request=None, public=True)
    money = {money_pattern(0, exact=exact, signed=signed, bounded=bounded)
             for exact in (True, False) for signed in (True, False) for bounded in (True, False)}

    found = list(_decimal_properties(schema["components"]["schemas"]))

    assert len(found) > 100
    strays = [path for path, node in found if node.get("pattern") not in money and path[-1] not in NOT_MONEY]
    assert strays == []


def test_start_up_refuses_only_currencies_the_columns_cannot_hold(settings):
    def errors() -> list[str]:
        return [message.id for message in run_checks() if message.id.startswith("pricing.")]

    for currency in ("KWD", "BHD", "JPY", "EUR"):
        settings.SHOP_CURRENCY = currency
        assert errors() == []
    settings.SHOP_CURRENCY = "CLF"  # Unidad de Fomento: four decimals
    assert errors() == ["pricing.E001"]
    settings.SHOP_CURRENCY = "EURO"
    assert errors() == ["pricing.E002"]


@pytest.mark.django_db
def test_a_money_amount_too_large_for_a_float_sent_as_a_json_number_is_told_its_size(staff_client):
    """Found by a tester: ``{"price": 1e999999}`` as a JSON number answered "A valid number is required." (the
    decoder made it infinity) while the same number as a string was told its size."""
    from shop.catalog.tests.factories import ProductFactory

    product = ProductFactory(price=Decimal("10.00"))
    for literal in ("1e999999", "-1e400", "1E+400"):
        response = staff_client.patch(f"/products/{product.slug}/", f'{{"price": {literal}}}',
                                      content_type="application/json")
        assert response.status_code == 400, (literal, response.content)
        assert response.json()["errors"]["price"] == [
            "Ensure that there are no more than 10 digits before the decimal point."], literal
    product.refresh_from_db()
    assert product.price == Decimal("10.00")
    # An ordinary number is still read as before.
    assert staff_client.patch(f"/products/{product.slug}/", '{"price": 12.5}',
                              content_type="application/json").json()["price"] == "12.50"
