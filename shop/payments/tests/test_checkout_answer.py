"""The checkout's 201 is built from the rows the checkout just wrote (``shop.orders.selectors.order_of_checkout``), not
read again: for every shape of order it must say exactly what ``GET /orders/{id}/`` (a guest's: the guest route)
says right after.

Fields that legitimately differ are only the checkout's own additions, absent from the order read:
``client_secret`` and ``payment_id`` (what the client does next to pay, from the attempt just opened) and, for a
guest, ``order_token`` / ``order_token_expires_at`` (the access token issued with this answer). Every field of the
order read (``OrderOutput``) is compared for equality, nested lines, products' shown stock, variants' stock,
discounts, history, shipment, payments and ``next_step`` included.
"""

from decimal import Decimal

import pytest

from shop.accounts.tests.factories import AddressFactory
from shop.cart.tests.factories import CartItemFactory
from shop.catalog.tests.factories import ProductFactory, ProductVariantFactory
from shop.discounts.tests.factories import PromotionFactory, VoucherFactory
from shop.orders.api.serializers import GuestCheckoutOutput, OrderOutput
from shop.orders.tests.factories import ShippingMethodFactory
from shop.orders.tests.guests import ADDRESS, guest_cart, guest_checkout, guest_order_url
from shop.pricing.models import TaxClass

pytestmark = pytest.mark.django_db

CHECKOUT_ONLY = {"client_secret", "payment_id"}  # what to do next to pay: not part of the order read
GUEST_ONLY = {"order_token", "order_token_expires_at"}  # the access token issued with the guest's answer
GERMANY = {"full_name": "Ada L", "address_line_1": "1 Hauptstr.", "city": "Berlin", "country": "DE",
           "state": "DE-BE"}


def _same_as_the_read(placed: dict, read: dict, *, guest: bool = False) -> None:
    extra = CHECKOUT_ONLY | (GUEST_ONLY if guest else set())
    assert set(placed) - set(read) == extra
    assert set(read) == set(OrderOutput.Meta.fields)
    for field in read:
        assert placed[field] == read[field], field


def _check_out(client, body: dict, status: int = 201) -> dict:
    response = client.post("/orders/checkout/", body, format="json")
    assert response.status_code == status, response.content
    placed = response.json()
    read = client.get(f"/orders/{placed['id']}/")
    assert read.status_code == 200, read.content
    _same_as_the_read(placed, read.json())
    return placed


@pytest.fixture
def lines():
    """A plain product and a product with two variants (one inactive, so its shown stock is the active one's)."""
    plain = ProductFactory(price=Decimal("12.50"), stock_quantity=9)
    shirt = ProductFactory(price=Decimal("20.00"), stock_quantity=0)
    small = ProductVariantFactory(product=shirt, price_override=Decimal("21.00"), stock_quantity=6)
    ProductVariantFactory(product=shirt, price_override=Decimal("22.00"), stock_quantity=4, is_active=False)
    return plain, shirt, small


@pytest.mark.parametrize("method", ["sandbox", "stripe", "cod", None])
def test_cart_checkout_answers_what_the_order_read_says(user, user_client, stripe_on, sandbox_on, lines, method):
    plain, shirt, small = lines
    CartItemFactory(cart__user=user, product=plain, quantity=2, price_snapshot=Decimal("11.00"))
    CartItemFactory(cart=user.cart, product=shirt, variant=small, quantity=3)
    address = AddressFactory(user=user, country="KE")
    shipping = ShippingMethodFactory(price=Decimal("4.00"))

    placed = _check_out(user_client, {"address": address.pk, "shipping_method": shipping.pk, "notes": "After 5",
                                      **({"payment_method": method} if method else {})})

    assert [(line["quantity"], line["product"]["stock_quantity"]) for line in placed["items"]] == [(2, 7), (3, 3)]
    assert placed["items"][1]["variant"]["stock_quantity"] == 3
    assert len(placed["payments"]) == 1 and len(placed["status_history"]) == 2
    assert placed["shipment"]["events"][0]["status"] == "ORDER_PLACED"


def test_direct_order_with_vouchers_and_a_sale(user, user_client, sandbox_on, lines):
    plain, shirt, small = lines
    PromotionFactory(products=[plain])
    VoucherFactory(code="TENOFF")
    VoucherFactory(code="SHIRTS", scope="products", products=[shirt], value=Decimal("5.00"))

    placed = _check_out(user_client, {"items": [{"product_id": plain.pk, "quantity": 1},
                                                {"variant_id": small.pk, "quantity": 2}],
                                      "voucher": "tenoff", "shipping_address": ADDRESS,
                                      "payment_method": "sandbox"})

    assert [item["source"] for item in placed["discounts"]] == ["promotion", "voucher"]
    assert placed["next_step"] and placed["next_step"] == placed["payment_url"]


def test_item_voucher_and_shipping_method_direct_order(user, user_client, sandbox_on, lines):
    plain, shirt, small = lines
    VoucherFactory(code="SHIRTS", scope="products", products=[shirt], value=Decimal("5.00"))
    shipping = ShippingMethodFactory(price=Decimal("7.00"), free_over=Decimal("1000.00"))

    placed = _check_out(user_client, {"items": [{"variant_id": small.pk, "quantity": 2}], "voucher": "SHIRTS",
                                      "shipping_method": shipping.pk, "shipping_address": ADDRESS,
                                      "payment_method": "sandbox"})

    assert [item["target"] for item in placed["discounts"]] == ["lines"]


def test_taxed_order_with_classes_answers_what_the_read_says(user, user_client, staff_client, sandbox_on, lines):
    for tax_class, rate in (("standard", "19"), ("reduced", "7")):
        response = staff_client.post("/pricing/tax-rates/", {"tax_class": tax_class, "country": "DE", "rate": rate},
                                     format="json")
        assert response.status_code == 201, response.content
    book = ProductFactory(price=Decimal("10.70"), stock_quantity=10, tax_class=TaxClass.objects.get(code="reduced"))
    plain, _shirt, small = lines
    shipping = ShippingMethodFactory(price=Decimal("5.00"), tax_class=TaxClass.objects.get(code="reduced"))

    placed = _check_out(user_client, {"items": [{"product_id": book.pk, "quantity": 3},
                                                {"product_id": plain.pk, "quantity": 1},
                                                {"variant_id": small.pk, "quantity": 1}],
                                      "shipping_address": GERMANY, "shipping_method": shipping.pk,
                                      "payment_method": "sandbox"})

    assert {line["tax_rate"] for line in placed["items"]} == {"7", "19"}
    assert placed["tax_country"] == "DE" and len(placed["tax_lines"]) == 2


@pytest.mark.parametrize("provider", ["paymob", "intasend"])
def test_hosted_page_providers_answer_their_checkout_url(request, user, user_client, provider, lines):
    request.getfixturevalue(f"{provider}_on")
    plain, _shirt, _small = lines

    placed = _check_out(user_client, {"items": [{"product_id": plain.pk, "quantity": 1}],
                                      "shipping_address": {**ADDRESS, "email": "ada@example.com"},
                                      "payment_method": provider})

    assert placed["next_step"] and placed["payments"][0]["checkout_url"] == placed["next_step"]


@pytest.mark.parametrize("method", ["sandbox", "cod"])
def test_guest_checkout_answers_what_the_guest_read_says(api_client, sandbox_on, lines, method):
    plain, shirt, small = lines
    VoucherFactory(code="TENOFF")
    token = guest_cart(api_client, (plain, 2), (shirt, 1, small))
    shipping = ShippingMethodFactory(price=Decimal("3.00"))

    response = guest_checkout(api_client, token, payment_method=method, voucher="TENOFF", shipping_method=shipping.pk)

    assert response.status_code == 201, response.content
    placed = response.json()
    read = api_client.get(guest_order_url(placed))
    assert read.status_code == 200, read.content
    _same_as_the_read(placed, read.json(), guest=True)
    assert set(GuestCheckoutOutput.Meta.fields) == set(placed)


def test_a_replayed_checkout_is_read_as_the_order_stands(user, user_client, sandbox_on, lines):
    plain, _shirt, _small = lines
    body = {"items": [{"product_id": plain.pk, "quantity": 1}], "payment_method": "sandbox"}
    first = user_client.post("/orders/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert user_client.post(f"/payments/sandbox/{first.json()['payment_id']}/succeed/").status_code == 200

    again = user_client.post("/orders/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["payment_status"] == "paid" and again.json()["id"] == first.json()["id"]


@pytest.mark.parametrize("currency", ["JPY", "KWD"])
def test_currencies_without_cents_or_with_three_decimals(user, user_client, sandbox_on, settings, currency):
    settings.SHOP_CURRENCY = currency
    product = ProductFactory(price=Decimal("1255") if currency == "JPY" else Decimal("1.255"), stock_quantity=9)
    VoucherFactory(code="TENOFF")

    placed = _check_out(user_client, {"items": [{"product_id": product.pk, "quantity": 3}], "voucher": "TENOFF",
                                      "payment_method": "sandbox"})

    assert placed["currency"] == currency and placed["discounts"][0]["amount"]
