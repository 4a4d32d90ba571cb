"""Where an order goes decides what it is taxed and whether it can ship. Found by a tester working from the README
and the API alone: a free-text `shipping_address` ("Alice A, 1 Main St, Springfield, IL 12345, United States", or
just "x") was stored as line 1 with no country, so the order was taxed at 0 (`no_rate`, no `tax_country`) where the
same address from the address book paid the US rate, and staff could ship it; a checkout without a shipping method
paid no shipping. Each of their examples is a test below, asserting the right answer."""

from decimal import Decimal

import pytest

from shop.accounts.models import Address
from shop.accounts.tests.factories import AddressFactory
from shop.cart.tests.factories import CartItemFactory
from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order, OrderAddress
from shop.orders.tests.guests import guest_cart, guest_checkout

from .factories import ShippingMethodFactory

pytestmark = pytest.mark.django_db
SPRINGFIELD = "Alice A, 1 Main St, Springfield, IL 12345, United States"


@pytest.fixture
def us_rates(staff_client, payments_on):
    """The tester's rates: the US at 8.875 %, California at 7.25 %, set through the staff API."""
    for region, rate in (("", "8.875"), ("US-CA", "7.25")):
        response = staff_client.post("/pricing/tax-rates/", {"tax_class": "standard", "country": "US",
                                                             "region": region, "rate": rate}, format="json")
        assert response.status_code == 201, response.content


@pytest.fixture
def standard():
    """The demo shop's "Standard (3-5 days)": 4.99, free from 50.00."""
    return ShippingMethodFactory(name="Standard (3-5 days)", price=Decimal("4.99"), free_over=Decimal("50.00"))


@pytest.fixture
def alice(user):
    return AddressFactory(user=user, full_name="Alice A", address_line_1="1 Main St", city="Springfield",
                          state="IL", postal_code="12345", country="US")


def _stock(product) -> int:
    product.refresh_from_db()
    return product.stock_quantity


# --- 1. A shipping address is structured, and tax follows it --------------------------------------------------

def test_a_saved_us_address_is_taxed_at_the_us_rate(user_client, us_rates, standard, alice):
    product = ProductFactory(price=Decimal("16.95"), stock_quantity=10)

    response = user_client.post("/orders/checkout/", {
        "payment_method": "cod", "items": [{"product_id": product.pk, "quantity": 2}],
        "shipping_method": standard.pk, "address": alice.pk}, format="json")

    assert response.status_code == 201, response.content
    order = response.json()
    assert (order["tax_total"], order["tax_source"], order["tax_country"], order["total"]) == (
        "3.17", "rate", "US", "38.89")
    assert order["shipping_address"]["country"] == "US"


@pytest.mark.parametrize("text", [SPRINGFIELD, "x"])
def test_a_free_text_address_is_refused_saying_what_to_send(user_client, us_rates, standard, text):
    product = ProductFactory(price=Decimal("16.95"), stock_quantity=10)

    response = user_client.post("/orders/checkout/", {
        "payment_method": "cod", "items": [{"product_id": product.pk, "quantity": 2}],
        "shipping_method": standard.pk, "shipping_address": text}, format="json")

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "address_incomplete"
    assert list(body["errors"]) == ["shipping_address"]
    for part in ("full_name", "address_line_1", "city", "country", "`address`"):
        assert part in body["detail"]
    assert not Order.objects.exists() and not OrderAddress.objects.exists()
    assert _stock(product) == 10


def test_the_same_address_given_in_parts_is_taxed_as_the_saved_one(user_client, us_rates, standard):
    product = ProductFactory(price=Decimal("16.95"), stock_quantity=10)

    response = user_client.post("/orders/checkout/", {
        "payment_method": "cod", "items": [{"product_id": product.pk, "quantity": 2}],
        "shipping_method": standard.pk,
        "shipping_address": {"full_name": "Alice A", "address_line_1": "1 Main St", "city": "Springfield",
                             "state": "IL", "postal_code": "12345", "country": "United States"}}, format="json")

    assert response.status_code == 201, response.content
    order = response.json()
    assert (order["tax_total"], order["tax_source"], order["tax_country"]) == ("3.17", "rate", "US")
    address = order["shipping_address"]
    assert (address["address_line_1"], address["city"], address["country"]) == ("1 Main St", "Springfield", "US")


def test_an_address_book_id_as_text_is_still_an_address(user_client, us_rates, standard, alice):
    product = ProductFactory(price=Decimal("16.95"), stock_quantity=10)

    response = user_client.post("/orders/checkout/", {
        "payment_method": "cod", "items": [{"product_id": product.pk, "quantity": 2}],
        "shipping_method": standard.pk, "shipping_address": f" {alice.pk} "}, format="json")

    assert response.status_code == 201, response.content
    assert (response.json()["tax_country"], response.json()["shipping_address"]["source_address_id"]) == (
        "US", alice.pk)


@pytest.mark.parametrize("missing", ["full_name", "address_line_1", "city", "country"])
def test_an_inline_address_without_a_required_part_is_refused_naming_it(user_client, standard, payments_on,
                                                                        missing):
    product = ProductFactory(price=Decimal("10.00"), stock_quantity=5)
    address = {"full_name": "Alice A", "address_line_1": "1 Main St", "city": "Springfield", "country": "US"}

    response = user_client.post("/orders/checkout/", {
        "payment_method": "cod", "items": [{"product_id": product.pk}], "shipping_method": standard.pk,
        "shipping_address": {**address, missing: " "}}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["shipping_address"]
    assert missing in response.json()["errors"]["shipping_address"]
    assert not Order.objects.exists()


def test_an_address_book_entry_with_no_country_is_refused_naming_address(user, user_client, standard, payments_on,
                                                                         alice):
    Address.objects.filter(pk=alice.pk).update(country="")  # a row written before the address book checked it
    product = ProductFactory(price=Decimal("10.00"), stock_quantity=5)

    response = user_client.post("/orders/checkout/", {
        "payment_method": "cod", "items": [{"product_id": product.pk}], "shipping_method": standard.pk,
        "address": alice.pk}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["errors"]) == ("address_incomplete", {"address": ["Missing: country."]})
    assert f"PATCH /auth/addresses/{alice.pk}/" in body["detail"]
    assert not Order.objects.exists()


def test_a_shipping_method_without_an_address_is_refused(user_client, standard, payments_on):
    product = ProductFactory(price=Decimal("10.20"), stock_quantity=5)

    response = user_client.post("/orders/checkout/", {
        "payment_method": "sandbox", "items": [{"product_id": product.pk}], "shipping_method": standard.pk},
        format="json")

    assert response.status_code == 400
    assert (response.json()["code"], list(response.json()["errors"])) == ("address_required", ["shipping_address"])
    assert not Order.objects.exists() and _stock(product) == 5


# --- Without an address, tax follows SHOP_COUNTRY; never 0 because the place is unknown -------------------------

def test_an_order_without_an_address_is_taxed_at_the_shop_country(user_client, us_rates, settings):
    settings.SHOP_COUNTRY = "US"
    product = ProductFactory(price=Decimal("16.95"), stock_quantity=10)  # no shipping method offered: none needed

    response = user_client.post("/orders/checkout/", {
        "payment_method": "cod", "items": [{"product_id": product.pk, "quantity": 2}]}, format="json")

    assert response.status_code == 201, response.content
    order = response.json()
    assert (order["tax_total"], order["tax_source"], order["tax_country"], order["shipping_address"]) == (
        "2.76", "rate", "US", None)


def test_no_address_and_no_shop_country_is_refused_when_the_shop_charges_tax(user_client, us_rates, settings):
    settings.SHOP_COUNTRY = ""
    product = ProductFactory(price=Decimal("16.95"), stock_quantity=10)

    response = user_client.post("/orders/checkout/", {
        "payment_method": "cod", "items": [{"product_id": product.pk, "quantity": 2}]}, format="json")

    assert response.status_code == 400
    assert (response.json()["code"], list(response.json()["errors"])) == ("address_required", ["shipping_address"])
    assert not Order.objects.exists() and _stock(product) == 10


def test_a_shop_without_tax_rates_still_places_an_order_without_an_address(user_client, payments_on, settings):
    settings.SHOP_COUNTRY = ""
    product = ProductFactory(price=Decimal("16.95"), stock_quantity=10)

    response = user_client.post("/orders/checkout/", {
        "payment_method": "cod", "items": [{"product_id": product.pk}]}, format="json")

    assert response.status_code == 201, response.content
    assert (response.json()["tax_total"], response.json()["tax_source"]) == ("0.00", "no_rate")


# --- 2. Goods that ship name a shipping method ------------------------------------------------------------------

def test_leaving_out_the_shipping_method_is_refused_saying_where_to_find_one(user_client, standard, payments_on):
    product = ProductFactory(price=Decimal("10.20"), stock_quantity=5)

    response = user_client.post("/orders/checkout/", {
        "payment_method": "sandbox", "items": [{"product_id": product.pk, "quantity": 1}]}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert (body["code"], list(body["errors"])) == ("shipping_method_required", ["shipping_method"])
    assert "GET /orders/shipping-methods/" in body["detail"]
    assert not Order.objects.exists() and _stock(product) == 5


def test_with_the_shipping_method_the_order_pays_for_shipping(user_client, standard, payments_on, alice):
    product = ProductFactory(price=Decimal("10.20"), stock_quantity=5)

    response = user_client.post("/orders/checkout/", {
        "payment_method": "sandbox", "items": [{"product_id": product.pk, "quantity": 1}],
        "shipping_method": standard.pk, "address": alice.pk}, format="json")

    assert response.status_code == 201, response.content
    order = response.json()
    assert (order["total"], order["shipping_fee"], order["shipping_method"]) == ("15.19", "4.99", standard.pk)


def test_a_shop_that_does_not_require_a_method_says_so_in_its_settings(user_client, standard, payments_on,
                                                                       settings):
    settings.SHIPPING_METHOD_REQUIRED = False
    product = ProductFactory(price=Decimal("10.20"), stock_quantity=5)

    response = user_client.post("/orders/checkout/", {
        "payment_method": "sandbox", "items": [{"product_id": product.pk, "quantity": 1}]}, format="json")

    assert response.status_code == 201, response.content
    assert (response.json()["total"], response.json()["shipping_fee"], response.json()["shipping_method"]) == (
        "10.20", "0.00", None)


def test_a_shop_with_no_active_shipping_method_never_asks_for_one(user_client, payments_on):
    ShippingMethodFactory(is_active=False)
    product = ProductFactory(price=Decimal("10.20"), stock_quantity=5)

    response = user_client.post("/orders/checkout/", {
        "payment_method": "sandbox", "items": [{"product_id": product.pk, "quantity": 1}]}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["total"] == "10.20"


@pytest.mark.parametrize("path", ["/orders/checkout/", "/orders/", "/api/shop/checkout/cart"])
def test_a_cart_checkout_asks_for_the_method_on_every_path(user, user_client, standard, payments_on, alice, path):
    product = ProductFactory(price=Decimal("10.20"), stock_quantity=5)
    CartItemFactory(cart__user=user, product=product, quantity=1)

    refused = user_client.post(path, {"payment_method": "sandbox", "address": alice.pk}, format="json")
    placed = user_client.post(path, {"payment_method": "sandbox", "address": alice.pk,
                                     "shipping_method": standard.pk}, format="json")

    assert (refused.status_code, refused.json()["code"]) == (400, "shipping_method_required")
    assert placed.status_code in (200, 201), placed.content
    assert (placed.json()["total"], placed.json()["shipping_fee"]) == ("15.19", "4.99")


def test_a_guest_checkout_asks_for_the_method_too(api_client, standard, payments_on):
    product = ProductFactory(price=Decimal("10.20"), stock_quantity=5)
    token = guest_cart(api_client, (product, 1))

    refused = guest_checkout(api_client, token, payment_method="sandbox")
    placed = guest_checkout(api_client, token, payment_method="sandbox", shipping_method=standard.pk)

    assert (refused.status_code, refused.json()["code"]) == (400, "shipping_method_required")
    assert list(refused.json()["errors"]) == ["shipping_method"]
    assert placed.status_code == 201, placed.content
    assert (placed.json()["total"], placed.json()["shipping_fee"]) == ("15.19", "4.99")


# --- Staff ship only an order with somewhere to go ---------------------------------------------------------------

@pytest.fixture
def paid_without_address(user, user_client, payments_on, settings):
    """A paid order placed where no shipping method is required, without an address (taxed at SHOP_COUNTRY)."""
    settings.SHIPPING_METHOD_REQUIRED, settings.SHOP_COUNTRY = False, "US"
    product = ProductFactory(price=Decimal("10.20"), stock_quantity=5)
    response = user_client.post("/orders/checkout/", {
        "payment_method": "sandbox", "items": [{"product_id": product.pk}]}, format="json")
    assert response.status_code == 201, response.content
    assert user_client.post(f"/payments/sandbox/{response.json()['payment_id']}/succeed/").status_code == 200
    return Order.objects.get(pk=response.json()["id"])


@pytest.fixture
def paid_with_free_text(user, user_client, standard, payments_on, alice):
    """A paid order whose address is free text: how one placed before checkout refused it was stored ("x" as line 1,
    nothing else)."""
    product = ProductFactory(price=Decimal("10.20"), stock_quantity=5)
    response = user_client.post("/orders/checkout/", {
        "payment_method": "sandbox", "items": [{"product_id": product.pk}], "shipping_method": standard.pk,
        "address": alice.pk}, format="json")
    assert response.status_code == 201, response.content
    assert user_client.post(f"/payments/sandbox/{response.json()['payment_id']}/succeed/").status_code == 200
    OrderAddress.objects.filter(order_id=response.json()["id"]).update(
        source_address_id=None, full_name="", address_line_1="x", city="", state="", postal_code="", country="")
    return Order.objects.get(pk=response.json()["id"])


def _unshipped(order: Order) -> None:
    order.refresh_from_db()
    assert (order.status, order.shipment.status) == ("processing", "ORDER_PLACED")
    assert not order.status_history.filter(to_status="shipped").exists()


@pytest.mark.parametrize("kind", ["paid_without_address", "paid_with_free_text"])
@pytest.mark.parametrize("how", ["status", "tracking"])
def test_staff_cannot_ship_an_order_with_nowhere_to_go(request, staff_client, kind, how):
    order = request.getfixturevalue(kind)

    if how == "status":
        response = staff_client.post(f"/orders/admin/{order.pk}/status/", {"status": "shipped"}, format="json")
    else:
        response = staff_client.post(f"/orders/admin/{order.pk}/shipment/events/", {"status": "IN_TRANSIT"},
                                     format="json")

    assert response.status_code == 409
    what = ("no shipping address" if kind == "paid_without_address"
            else "no full_name, city, country in its shipping address")
    assert response.json() == {"detail": f"Order {order.order_key} has {what}: there is nowhere to ship it. Cancel "
                                         "it, or place it again with a complete address.",
                               "code": "shipping_address_missing"}
    _unshipped(order)


def test_the_admin_ship_button_is_refused_with_the_same_words(admin_web, paid_without_address):
    order = paid_without_address

    response = admin_web.post(f"/admin/orders/order/{order.pk}/fulfil/ship/", {"carrier": "DHL"}, follow=True)

    assert f"Order {order.order_key} has no shipping address" in response.content.decode()
    _unshipped(order)


def test_staff_can_still_cancel_it(staff_client, paid_without_address):
    response = staff_client.post(f"/orders/admin/{paid_without_address.pk}/status/", {"status": "cancelled"},
                                 format="json")

    assert response.status_code == 200, response.content
    assert response.json()["order"]["status"] == "cancelled"
