"""Found by a fresh-eyes test of taxes: a state written as a name must not block checkout (the country's rate
applies and the order says so); tax class codes ignore case like slugs and SKUs; rates read the same ("19",
"7.5") in every answer, stored tax line and admin page; `expected_total` is compared by value."""

from decimal import Decimal

import pytest

from shop.accounts.tests.factories import AddressFactory
from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order
from shop.orders.tests.factories import ShippingMethodFactory
from shop.pricing.models import TaxClass, TaxRate
from shop.pricing.providers import tax_place

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(staff_client, settings):
    """Germany 19 %, the US 5 %, France 20 %, Spain 21 % with the Canary Islands (ES-CN) at 7 %."""
    settings.PAYMENT_METHODS = ["cod"]
    for country, region, rate in (("DE", "", "19"), ("US", "", "5"), ("FR", "", "20"), ("ES", "", "21"),
                                  ("ES", "ES-CN", "7")):
        response = staff_client.post("/pricing/tax-rates/", {"tax_class": "standard", "country": country,
                                                             "region": region, "rate": rate}, format="json")
        assert response.status_code == 201, response.content


def _address(country: str, state: str) -> dict:
    return {"full_name": "Ada L", "address_line_1": "1 Main St", "city": "Somewhere", "country": country,
            "state": state}


@pytest.mark.parametrize(("country", "state"), [("DE", "Bayern"), ("US", "New York"), ("FR", "Île-de-France"),
                                                ("US", "N.Y."), ("ES", "Canarias"), ("DE", "US-NY")])
def test_a_state_that_is_no_subdivision_code_is_taxed_at_the_country_rate(country, state):
    assert tax_place(_address(country, state)) == (country, "")


# Shaped like codes, but ISO 3166-2 has no such subdivision (a tester's finds: these were taxed as regions).
NO_SUCH_SUBDIVISION = [("DE", "AB"), ("ES", "ZZ"), ("ES", "C1"), ("DE", "DE-AB"), ("ES", "ES-ZZ"), ("US", "XX"),
                       ("FR", "FR-999")]


@pytest.mark.parametrize(("country", "state"), NO_SUCH_SUBDIVISION)
def test_a_code_iso_3166_2_does_not_have_is_no_region(country, state):
    assert tax_place(_address(country, state)) == (country, "")


@pytest.mark.parametrize(("country", "state", "region"), [("DE", "BY", "DE-BY"), ("US", "ny", "US-NY"),
                                                          ("FR", "IDF", "FR-IDF"), ("FR", "75C", "FR-75C"),
                                                          ("GB", "GB-ENG", "GB-ENG")])
def test_real_subdivision_codes_of_every_shape_are_regions(country, state, region):
    assert tax_place(_address(country, state)) == (country, region)


@pytest.mark.parametrize(("state", "region"), [("CN", "ES-CN"), ("es-cn", "ES-CN"), (" Cn ", "ES-CN"), ("", "")])
def test_a_subdivision_code_with_or_without_its_country_is_the_region(state, region):
    assert tax_place(_address("ES", state)) == ("ES", region)


@pytest.mark.parametrize(("country", "state", "tax", "total"), [
    ("DE", "Bayern", "19.00", "119.00"), ("US", "New York", "5.00", "105.00"), ("FR", "Île-de-France", "20.00",
                                                                               "120.00"),
    ("US", "N.Y.", "5.00", "105.00"), ("ES", "Canarias", "21.00", "121.00"),
])
def test_checkout_to_a_state_written_as_a_name_is_placed_at_the_country_rate_and_says_so(
    user_client, rates, settings, country, state, tax, total
):
    settings.PRICES_INCLUDE_TAX = False
    product = ProductFactory(price=Decimal("100.00"), stock_quantity=5)

    response = user_client.post("/orders/checkout/", {"items": [{"product_id": product.pk}], "payment_method": "cod",
                                                      "shipping_address": _address(country, state)}, format="json")

    assert response.status_code == 201, response.content
    order = response.json()
    assert (order["tax_country"], order["tax_region"], order["tax_source"], order["tax_total"], order["total"]) == (
        country, "", "country", tax, total)
    assert order["shipping_address"]["state"] == state  # the address is kept as the customer wrote it


@pytest.mark.parametrize(("country", "state", "total"), [("DE", "AB", "119.00"), ("ES", "ZZ", "121.00"),
                                                         ("ES", "C1", "121.00"), ("ES", "ES-ZZ", "121.00")])
def test_checkout_to_a_code_no_subdivision_has_is_taxed_at_the_country_rate_and_says_so(
    user_client, rates, settings, country, state, total
):
    settings.PRICES_INCLUDE_TAX = False
    product = ProductFactory(price=Decimal("100.00"), stock_quantity=5)

    response = user_client.post("/orders/checkout/", {"items": [{"product_id": product.pk}], "payment_method": "cod",
                                                      "shipping_address": _address(country, state)}, format="json")

    assert response.status_code == 201, response.content
    order = response.json()
    assert (order["tax_country"], order["tax_region"], order["tax_source"], order["total"]) == (
        country, "", "country", total)
    stored = Order.objects.get(pk=order["id"])
    assert (stored.tax_region, stored.tax_source) == ("", "country")


@pytest.mark.parametrize("region", ["CN", "cn", "ES-CN", " es-cn "])
def test_a_rate_region_is_sent_as_checkout_reads_a_state_with_or_without_the_prefix(staff_client, region):
    response = staff_client.post("/pricing/tax-rates/", {"tax_class": "standard", "country": "ES", "region": region,
                                                         "rate": "7"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["region"] == "ES-CN"
    assert list(TaxRate.objects.values_list("region", flat=True)) == ["ES-CN"]


@pytest.mark.parametrize(("country", "region"), [*NO_SUCH_SUBDIVISION, ("DE", "ES-CN"), ("DE", "Bavaria"),
                                                 ("DE", "US-NY")])
def test_a_rate_region_iso_3166_2_does_not_have_in_the_country_is_refused_saying_what_to_send(
    staff_client, country, region
):
    response = staff_client.post("/pricing/tax-rates/", {"tax_class": "standard", "country": country,
                                                         "region": region, "rate": "7"}, format="json")

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and list(body["errors"]) == ["region"], body
    message = body["errors"]["region"][0]
    assert "This value does not match" not in message
    if len(region.strip()) <= 6:  # a longer one is refused for its length
        assert f"not an ISO 3166-2 subdivision code of {country}" in message and "with or without" in message
    assert not TaxRate.objects.exists()


def test_the_refusal_names_a_real_code_of_the_country(staff_client):
    response = staff_client.post("/pricing/tax-rates/", {"tax_class": "standard", "country": "ES", "region": "ZZ",
                                                         "rate": "7"}, format="json")

    assert response.json()["errors"]["region"] == [
        "'ZZ' is not an ISO 3166-2 subdivision code of ES: send one of its codes, with or without the country "
        "prefix (A or ES-A), or leave region empty for the whole country."]


@pytest.mark.parametrize("state", ["CN", "ES-CN", "cn", "ZZ", "ES-ZZ", "C1", "Canarias", "US-NY", "GC", "ES-GC",
                                   "ES-CN-X"])
def test_the_rates_api_and_checkout_agree_on_what_a_region_is(staff_client, state):
    response = staff_client.post("/pricing/tax-rates/", {"tax_class": "standard", "country": "ES", "region": state,
                                                         "rate": "7"}, format="json")

    _country, region = tax_place(_address("ES", state))
    assert (response.status_code == 201) is bool(region), (response.status_code, region)
    if region:
        assert response.json()["region"] == region


def test_an_address_book_entry_with_a_state_name_checks_out_and_a_code_gets_its_regional_rate(
    user, user_client, rates, settings
):
    settings.PRICES_INCLUDE_TAX = False
    product = ProductFactory(price=Decimal("100.00"), stock_quantity=5)
    named = AddressFactory(user=user, country="ES", state="Canarias")
    coded = AddressFactory(user=user, country="ES", state="CN")

    by_name = user_client.post("/orders/checkout/", {"items": [{"product_id": product.pk}], "payment_method": "cod",
                                                     "shipping_address": named.pk}, format="json")
    by_code = user_client.post("/orders/checkout/", {"items": [{"product_id": product.pk}], "payment_method": "cod",
                                                     "address": coded.pk}, format="json")

    assert by_name.status_code == 201, by_name.content
    assert (by_name.json()["tax_region"], by_name.json()["tax_source"], by_name.json()["total"]) == (
        "", "country", "121.00")
    assert by_code.status_code == 201, by_code.content
    assert (by_code.json()["tax_region"], by_code.json()["tax_source"], by_code.json()["total"]) == (
        "ES-CN", "rate", "107.00")


def test_a_state_name_where_some_class_has_no_rate_still_says_no_rate(user_client, rates, settings):
    settings.PRICES_INCLUDE_TAX = False
    product = ProductFactory(price=Decimal("10.00"), stock_quantity=5, tax_class=TaxClass.objects.get(code="reduced"))

    order = user_client.post("/orders/checkout/", {"items": [{"product_id": product.pk}], "payment_method": "cod",
                                                   "shipping_address": _address("DE", "Bayern")}, format="json").json()

    assert (order["tax_source"], order["tax_total"]) == ("no_rate", "0.00")


# --- Tax class codes ignore case -------------------------------------------------------------------------------

def test_a_tax_class_code_differing_only_in_case_is_refused_naming_code(staff_client):
    assert staff_client.post("/pricing/tax-classes/", {"code": "books", "name": "Books"},
                             format="json").status_code == 201

    again = staff_client.post("/pricing/tax-classes/", {"code": "Books", "name": "Books again"}, format="json")
    renamed = staff_client.patch(f"/pricing/tax-classes/{TaxClass.objects.get(code='reduced').pk}/",
                                 {"code": "BOOKS"}, format="json")

    assert again.status_code == 400 and list(again.json()["errors"]) == ["code"]
    assert renamed.status_code == 400 and list(renamed.json()["errors"]) == ["code"]
    assert sorted(TaxClass.objects.values_list("code", flat=True)) == ["books", "exempt", "reduced", "standard",
                                                                       "zero"]
    # Its own code in another case is its own: a class may change the case of its code.
    own = staff_client.patch(f"/pricing/tax-classes/{TaxClass.objects.get(code='books').pk}/", {"code": "Books"},
                             format="json")
    assert (own.status_code, own.json()["code"]) == (200, "Books")


def test_tax_class_codes_are_found_ignoring_case_wherever_they_are_sent(staff_client):
    product = ProductFactory(price=Decimal("10.00"))
    courier = ShippingMethodFactory(price=Decimal("4.90"))

    patched = staff_client.patch(f"/products/{product.slug}/", {"tax_class": "STANDARD"}, format="json")
    shipping = staff_client.patch(f"/orders/admin/shipping-methods/{courier.pk}/", {"tax_class": "Reduced"},
                                  format="json")
    rate = staff_client.post("/pricing/tax-rates/", {"tax_class": "REDUCED", "country": "DE", "rate": "7"},
                             format="json")
    listed = staff_client.get("/pricing/tax-rates/", {"tax_class": "Reduced"})
    unknown = staff_client.patch(f"/products/{product.slug}/", {"tax_class": "nonesuch"}, format="json")

    assert (patched.status_code, patched.json()["tax_class"]) == (200, "standard")
    assert (shipping.status_code, shipping.json()["tax_class"]) == (200, "reduced")
    assert (rate.status_code, rate.json()["tax_class"]) == (201, "reduced")
    assert [(row["tax_class"], row["rate"]) for row in listed.json()["results"]] == [("reduced", "7")]
    assert unknown.status_code == 400 and list(unknown.json()["errors"]) == ["tax_class"]


# --- Rates read the same everywhere ----------------------------------------------------------------------------

def test_rates_read_without_trailing_zeros_in_the_rates_api_the_stored_order_and_the_admin(
    staff_client, user_client, admin_web, settings
):
    settings.PAYMENT_METHODS = ["cod"]
    settings.PRICES_INCLUDE_TAX = False
    created = staff_client.post("/pricing/tax-rates/", {"tax_class": "standard", "country": "DE", "rate": "7.50"},
                                format="json")
    assert (created.status_code, created.json()["rate"]) == (201, "7.5")
    assert staff_client.get(f"/pricing/tax-rates/{created.json()['id']}/").json()["rate"] == "7.5"
    assert staff_client.post("/pricing/tax-rates/", {"tax_class": "reduced", "country": "DE", "rate": "19.0000"},
                             format="json").json()["rate"] == "19"
    product = ProductFactory(price=Decimal("100.00"), stock_quantity=5)

    order = user_client.post("/orders/checkout/", {"items": [{"product_id": product.pk}], "payment_method": "cod",
                                                   "shipping_address": _address("DE", "")}, format="json").json()

    assert order["tax_lines"] == [{"rate": "7.5", "base": "100.00", "amount": "7.50"}]
    assert Order.objects.get(pk=order["id"]).tax_lines == [{"rate": "7.5", "base": "100.00", "amount": "7.50"}]
    page = admin_web.get(f"/admin/orders/order/{order['id']}/change/").content.decode()
    assert "7.5 %: 100.00 + 7.50 tax" in page and "7.5000" not in page
    listing = admin_web.get("/admin/pricing/taxrate/").content.decode()
    assert "7.5000" not in listing and "19.0000" not in listing


# --- expected_total is compared by value, with no more decimals than the currency has ------------------------------

@pytest.mark.parametrize(("sent", "status"), [("661.87", 201), ("661.870", 201), ("661.8700000000", 201),
                                              ("661.875", 400), ("661.871", 400), ("661.9", 409)])
def test_expected_total_is_compared_by_value_and_finer_than_the_currency_is_refused(user_client, settings, sent,
                                                                                     status):
    settings.PAYMENT_METHODS = ["cod"]
    product = ProductFactory(price=Decimal("661.87"), stock_quantity=5)

    response = user_client.post("/orders/checkout/", {"items": [{"product_id": product.pk}], "payment_method": "cod",
                                                      "expected_total": sent}, format="json")

    assert response.status_code == status, response.content
    if status == 409:
        assert (response.json()["code"], response.json()["total"]) == ("total_mismatch", "661.87")
    elif status == 400:  # a cent has no thousandths: no USD total can be it
        assert response.json()["code"] == "invalid"
        assert response.json()["errors"] == {
            "expected_total": ["Ensure that there are no more than 2 decimal places (USD)."]}
    else:
        assert response.json()["total"] == "661.87"
    assert Order.objects.exists() is (status == 201)


def test_the_same_total_spelled_with_more_decimals_is_the_same_idempotent_request(user_client, settings):
    settings.PAYMENT_METHODS = ["cod"]
    product = ProductFactory(price=Decimal("661.87"), stock_quantity=5)
    body = {"items": [{"product_id": product.pk}], "payment_method": "cod"}

    first = user_client.post("/orders/checkout/", {**body, "expected_total": "661.87"}, format="json",
                             HTTP_IDEMPOTENCY_KEY="same-total")
    again = user_client.post("/orders/checkout/", {**body, "expected_total": "661.870"}, format="json",
                             HTTP_IDEMPOTENCY_KEY="same-total")

    assert (first.status_code, again.status_code) == (201, 200), again.content
    assert again.json()["id"] == first.json()["id"] and Order.objects.count() == 1


@pytest.mark.parametrize(("state", "tax", "total"), [("GC", "7.00", "107.00"), ("TF", "7.00", "107.00"),
                                                     ("ES-GC", "7.00", "107.00"), ("M", "21.00", "121.00")])
def test_a_province_is_taxed_at_the_rate_of_the_community_holding_it(user_client, rates, settings, state, tax, total):
    """Las Palmas (GC) and Santa Cruz de Tenerife (TF) are provinces of the Canary Islands (ES-CN): with only
    ES-CN's 7 % set, they pay it, not the mainland's 21 % (a tester's find); Madrid (M) has no such rate."""
    settings.PRICES_INCLUDE_TAX = False
    product = ProductFactory(price=Decimal("100.00"), stock_quantity=5)

    response = user_client.post("/orders/checkout/", {"items": [{"product_id": product.pk}], "payment_method": "cod",
                                                      "shipping_address": _address("ES", state)}, format="json")

    assert response.status_code == 201, response.content
    order = response.json()
    assert (order["tax_total"], order["total"], order["tax_source"]) == (tax, total, "rate")
    assert order["tax_region"] == "ES-" + state.removeprefix("ES-")


def test_a_provinces_own_rate_wins_over_its_communitys(staff_client, user_client, rates, settings):
    settings.PRICES_INCLUDE_TAX = False
    response = staff_client.post("/pricing/tax-rates/", {"tax_class": "standard", "country": "ES", "region": "GC",
                                                         "rate": "3"}, format="json")
    assert response.status_code == 201, response.content
    product = ProductFactory(price=Decimal("100.00"), stock_quantity=5)

    response = user_client.post("/orders/checkout/", {"items": [{"product_id": product.pk}], "payment_method": "cod",
                                                      "shipping_address": _address("ES", "GC")}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["total"] == "103.00"
