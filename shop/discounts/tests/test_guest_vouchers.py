"""Vouchers for guests: a guest cart keeps a code (``X-Cart-Token``), guest checkout prices and reserves it, the
per-customer limit counts the guest's normalised e-mail (``Order.email``) together with an account's, and a login
merging the guest cart carries its code."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from shop.accounts.tests.factories import UserFactory
from shop.accounts.tests.helpers import login
from shop.cart.models import Cart
from shop.catalog.tests.factories import ProductFactory
from shop.discounts.models import Redemption, Voucher, VoucherCustomer
from shop.discounts.tests.factories import VoucherFactory
from shop.orders.models import Order
from shop.orders.tests.guests import EMAIL, guest_cart, guest_checkout

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _methods(settings):
    settings.PAYMENT_METHODS = ["sandbox", "cod"]


@pytest.fixture
def guest():
    return APIClient()


@pytest.fixture
def product(db):
    return ProductFactory(price=Decimal("40.00"), stock_quantity=20)


def test_a_guest_applies_a_voucher_to_the_guest_cart_and_checkout_reserves_it(guest, product):
    voucher = VoucherFactory(code="Guest10", name="Guests", value=Decimal("10"), usage_limit=5)
    token = guest_cart(guest, (product, 2))

    applied = guest.post("/cart/voucher/", {"code": "guest10"}, format="json", HTTP_X_CART_TOKEN=token)

    assert applied.status_code == 200, applied.json()
    body = applied.json()
    assert (body["user"], body["subtotal"], body["discount"], body["cart_total"]) == (None, "80.00", "8.00", "72.00")
    assert body["voucher"] == {"code": "Guest10", "applies": True, "refusal": None}
    assert guest.get("/cart/", HTTP_X_CART_TOKEN=token).json()["cart_total"] == "72.00"

    response = guest_checkout(guest, token, payment_method="sandbox")

    assert response.status_code == 201, response.json()
    order = response.json()
    assert (order["user"], order["email"], order["subtotal"], order["discount"], order["total"]) == (
        None, EMAIL.lower(), "80.00", "8.00", "72.00")
    assert [(d["source"], d["code"], d["amount"]) for d in order["discounts"]] == [("voucher", "Guest10", "8.00")]
    redemption = Redemption.objects.get(order_id=order["id"])
    assert (redemption.status, redemption.email) == ("reserved", EMAIL.lower())
    assert Voucher.objects.get(pk=voucher.pk).times_used == 1
    assert Cart.objects.get(user__isnull=True).voucher_code == ""  # emptied with its lines


def test_a_guest_removes_the_code_and_a_wrong_token_opens_nothing(guest, product):
    VoucherFactory(code="OFF")
    token = guest_cart(guest, (product, 1))
    assert guest.post("/cart/voucher/", {"code": "off"}, format="json", HTTP_X_CART_TOKEN=token).status_code == 200

    removed = guest.delete("/cart/voucher/", HTTP_X_CART_TOKEN=token)

    assert removed.status_code == 200
    assert (removed.json()["voucher"], removed.json()["discounts"]) == (None, [])
    wrong = guest.post("/cart/voucher/", {"code": "off"}, format="json", HTTP_X_CART_TOKEN="x" * 43)
    assert (wrong.status_code, wrong.json()["code"]) == (404, "not_found")
    assert guest.post("/cart/voucher/", {"code": "off"}, format="json").status_code == 401
    refused = guest.post("/cart/voucher/", {"code": "nope"}, format="json", HTTP_X_CART_TOKEN=token)
    assert (refused.status_code, refused.json()["code"]) == (400, "voucher_invalid")
    assert "code" in refused.json()["errors"]


def test_a_per_customer_voucher_used_as_a_guest_is_refused_to_the_account_with_that_e_mail(guest, product):
    voucher = VoucherFactory(code="ONCE", per_customer_limit=1, usage_limit=10)
    token = guest_cart(guest, (product, 1))
    assert guest.post("/cart/voucher/", {"code": "once"}, format="json", HTTP_X_CART_TOKEN=token).status_code == 200
    assert guest_checkout(guest, token, payment_method="cod").status_code == 201  # cash: consumed at checkout
    assert VoucherCustomer.objects.get(voucher=voucher).email == EMAIL.lower()

    user = UserFactory(email=EMAIL.lower())
    customer = APIClient()
    customer.force_authenticate(user)
    assert customer.post("/cart/items/", {"product_id": product.pk, "quantity": 1}).status_code == 200

    in_cart = customer.post("/cart/voucher/", {"code": "ONCE"}, format="json")
    at_checkout = customer.post("/orders/checkout/", {"payment_method": "cod", "voucher": "once"}, format="json")

    assert (in_cart.status_code, in_cart.json()["code"]) == (400, "customer_limit_reached")
    assert (at_checkout.status_code, at_checkout.json()["code"]) == (400, "customer_limit_reached")
    assert "voucher" in at_checkout.json()["errors"]
    assert not Order.objects.filter(user=user).exists()
    # And the other way round: a second guest checkout with the same address, spelled differently, is refused.
    again = guest_cart(guest, (product, 1))
    refused = guest_checkout(guest, again, payment_method="cod", voucher="once", email="  GRACE@example.COM ")
    assert (refused.status_code, refused.json()["code"]) == (400, "customer_limit_reached")
    assert Voucher.objects.get(pk=voucher.pk).times_used == 1


@pytest.mark.parametrize(("strategy", "user_code", "expected"), [
    (None, "", "GUESTCODE"),  # merge: the user's cart has none, the guest's is carried
    (None, "MINE", "MINE"),  # merge: the user's own code is never overwritten
    ("replace", "MINE", "GUESTCODE"),  # replace: the guest cart takes the user's place, code included
    ("keep", "", ""),  # keep: the user's cart stays as it was
])
def test_a_login_merging_the_guest_cart_carries_its_voucher_code(guest, product, strategy, user_code, expected):
    VoucherFactory(code="GUESTCODE")
    VoucherFactory(code="MINE")
    user = UserFactory()
    Cart.objects.create(user=user, voucher_code=user_code)
    token = guest_cart(guest, (product, 1))
    assert guest.post("/cart/voucher/", {"code": "guestcode"}, format="json",
                      HTTP_X_CART_TOKEN=token).status_code == 200
    headers = {"HTTP_X_CART_TOKEN": token, **({"HTTP_X_CART_MERGE": strategy} if strategy else {})}

    response = login(guest, user.email, **headers)

    assert response.status_code == 200, response.content
    assert Cart.objects.get(user=user).voucher_code == expected
    assert not Cart.objects.filter(user__isnull=True).exists()
