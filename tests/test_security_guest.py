"""OWASP API1 for guests: every guest-reachable route, with every kind of wrong token, answers the same JSON 404
and changes nothing.

Guests are authorised by a token, not a login: a guest cart by its cart token (``X-Cart-Token``), a guest order by
its order access token (``?token=`` or ``X-Order-Token``). The wrong tokens tried on each route:

- cart routes: another cart's token (the line named in the path is not in it), an expired token (cart untouched
  for ``GUEST_CART_DAYS``), a tampered token (one character changed);
- guest checkout: the same three (a checkout only ever takes the cart its own token opens);
- guest order routes: another order's token, an expired token (older than ``GUEST_ORDER_LINK_DAYS``), the right
  order's token tampered, no token, and the token of an order a user has claimed since.

"Nothing changes": the carts, their lines, orders, payments and stock are compared before and after.
"""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import signing
from django.forms.models import model_to_dict
from django.utils import timezone
from rest_framework.test import APIClient

from shop.cart.models import Cart, CartItem
from shop.cart.tokens import cart_token_hash
from shop.catalog.models import Product
from shop.catalog.tests.factories import ProductFactory
from shop.orders.guest import order_access_token
from shop.orders.models import Order
from shop.orders.tests.guests import guest_cart, guest_checkout
from shop.payments.models import Payment

pytestmark = pytest.mark.django_db


def _tampered(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


class Guests:
    """Two guests, each with a cart and an order paid by sandbox (still open), plus a third, expired, cart."""

    def __init__(self):
        self.client = APIClient()
        self.product = ProductFactory(price=Decimal("10.00"), stock_quantity=50)
        self.cart_a = guest_cart(self.client, (self.product, 1))
        self.cart_b = guest_cart(self.client, (self.product, 2))
        self.item_a = CartItem.objects.get(cart__token_hash=cart_token_hash(self.cart_a)).pk
        self.expired_cart = guest_cart(self.client, (self.product, 1))
        Cart.objects.filter(token_hash=cart_token_hash(self.expired_cart)).update(
            updated_at=timezone.now() - timedelta(days=31))
        self.order_a = self._order()
        self.order_b = self._order()
        self.claimed = self._order()
        Order.objects.filter(pk=self.claimed["id"]).update(user=self._claimer())

    def _order(self) -> dict:
        response = guest_checkout(self.client, guest_cart(self.client, (self.product, 1)), payment_method="sandbox")
        assert response.status_code == 201, response.content
        return response.json()

    @staticmethod
    def _claimer():
        from shop.accounts.tests.factories import UserFactory

        return UserFactory(email="grace@example.com", is_email_verified=True)

    def expired_order_token(self) -> str:
        order = Order.objects.get(pk=self.order_a["id"])
        issued = time.time() - timedelta(days=31).total_seconds()
        signer = signing.TimestampSigner(salt="shop.orders.guest-order-access")
        # What ``order_access_token`` signs, with a timestamp 31 days old.
        signer.timestamp = lambda: signing.b62_encode(int(issued))
        token = signer.sign_object({"o": order.pk, "k": order.order_key}, compress=False)
        assert token.split(":")[0] == order_access_token(order).split(":")[0]  # the same payload, only older
        return token

    @staticmethod
    def snapshot():
        rows = {model.__name__: sorted((model_to_dict(row) for row in model.objects.all()), key=lambda r: r["id"])
                for model in (Cart, CartItem, Order, Payment)}
        rows["stock"] = list(Product.objects.order_by("pk").values_list("pk", "stock_quantity"))
        return rows


@pytest.fixture
def guests(payments_on, settings):
    settings.GUEST_CART_DAYS = 30
    settings.GUEST_ORDER_LINK_DAYS = 30
    return Guests()


def _assert_not_found(response, detail):
    assert response.status_code == 404, response.content
    assert response.json() == {"detail": detail, "code": "not_found"}


# --- Cart routes ----------------------------------------------------------------------------------------------------

CART_ROUTES = [
    ("get", "/cart/", None),
    ("post", "/cart/items/", {"product_id": "product", "quantity": 1}),
    ("get", "/cart/items/{item}/", None),
    ("put", "/cart/items/{item}/", {"quantity": 1}),
    ("patch", "/cart/items/{item}/", {"quantity": 1}),
    ("delete", "/cart/items/{item}/", None),
    ("post", "/cart/clear/", None),
    ("delete", "/cart/clear/", None),
]
CART_TOKENS = ["another_carts", "expired", "tampered"]


def _cart_token(guests: Guests, kind: str) -> str:
    return {"another_carts": guests.cart_b, "expired": guests.expired_cart, "tampered": _tampered(guests.cart_a)}[kind]


# Another cart's token on a route that names no line opens that other cart (its holder's right, tested below):
# it is a wrong token only where the path names cart A's line.
CART_CASES = [(method, url, body, kind) for method, url, body in CART_ROUTES for kind in CART_TOKENS
              if kind != "another_carts" or "{item}" in url]


@pytest.mark.parametrize(("method", "url", "body", "token_kind"), CART_CASES,
                         ids=[f"{m} {u} {k}" for m, u, _, k in CART_CASES])
def test_cart_routes_refuse_every_wrong_cart_token(guests, method, url, body, token_kind):
    token = _cart_token(guests, token_kind)
    if body and body.get("product_id") == "product":
        body = {**body, "product_id": guests.product.pk}
    before = guests.snapshot()

    call = getattr(guests.client, method)
    response = call(url.format(item=guests.item_a), body, format="json", HTTP_X_CART_TOKEN=token)

    # A token that opens no cart says the cart is not found; another cart's, that the line is not in it: neither
    # says whose anything is.
    _assert_not_found(response, "Cart item not found." if token_kind == "another_carts" else "Cart not found.")
    assert guests.snapshot() == before


def test_another_carts_token_on_a_route_naming_no_line_opens_only_that_cart(guests):
    body = guests.client.get("/cart/", HTTP_X_CART_TOKEN=guests.cart_b).json()

    assert [line["quantity"] for line in body["items"]] == [2]  # cart B's line, never cart A's
    assert body["id"] == Cart.objects.get(token_hash=cart_token_hash(guests.cart_b)).pk


@pytest.mark.parametrize("token_kind", ["expired", "tampered", "unknown"])
def test_guest_checkout_refuses_every_wrong_cart_token(guests, token_kind):
    token = {"expired": guests.expired_cart, "tampered": _tampered(guests.cart_a), "unknown": "q" * 43}[token_kind]
    before = guests.snapshot()

    response = guest_checkout(guests.client, token, payment_method="cod")

    _assert_not_found(response, "Cart not found.")
    assert guests.snapshot() == before


def test_guest_checkout_with_another_carts_token_takes_only_that_cart(guests):
    cart_a_lines = list(CartItem.objects.filter(cart__token_hash=cart_token_hash(guests.cart_a)).values())

    response = guest_checkout(guests.client, guests.cart_b, payment_method="cod")

    assert response.status_code == 201
    assert [item["quantity"] for item in response.json()["items"]] == [2]
    assert list(CartItem.objects.filter(cart__token_hash=cart_token_hash(guests.cart_a)).values()) == cart_a_lines


# --- Guest order routes ---------------------------------------------------------------------------------------------

ORDER_ROUTES = [
    ("get", ""),
    ("post", "pay/"),
    ("get", "payment/"),
    ("post", "payment/sync/"),
    ("post", "cancel/"),
]
ORDER_TOKENS = ["another_orders", "expired", "tampered", "missing", "claimed_orders"]


def _order_case(guests: Guests, kind: str) -> tuple[str, str | None]:
    """(the order key in the URL, the token sent) for each wrong-token case."""
    key = guests.order_a["order_key"]
    return {
        "another_orders": (key, guests.order_b["order_token"]),
        "expired": (key, guests.expired_order_token()),
        "tampered": (key, _tampered(guests.order_a["order_token"])),
        "missing": (key, None),
        "claimed_orders": (guests.claimed["order_key"], guests.claimed["order_token"]),
    }[kind]


@pytest.mark.parametrize("token_kind", ORDER_TOKENS)
@pytest.mark.parametrize(("method", "suffix"), ORDER_ROUTES, ids=[f"{m} {s or 'order'}" for m, s in ORDER_ROUTES])
@pytest.mark.parametrize("carrier", ["query", "header"])
def test_guest_order_routes_refuse_every_wrong_order_token(guests, method, suffix, token_kind, carrier):
    key, token = _order_case(guests, token_kind)
    url = f"/orders/guest/{key}/{suffix}"
    headers = {}
    if token is not None and carrier == "query":
        url += f"?token={token}"
    elif token is not None:
        headers["HTTP_X_ORDER_TOKEN"] = token
    before = guests.snapshot()

    response = getattr(guests.client, method)(url, {"payment_method": "cod"} if method == "post" else None,
                                              format="json", **headers)

    _assert_not_found(response, "Order not found.")
    assert guests.snapshot() == before


def test_the_right_token_opens_every_guest_order_route(guests):
    """The control: the same routes with the right token get through (so the 404s above are the token's)."""
    url = f"/orders/guest/{guests.order_a['order_key']}/{{}}?token={guests.order_a['order_token']}"

    assert guests.client.get(url.format("")).status_code == 200
    assert guests.client.get(url.format("payment/")).status_code == 200
    assert guests.client.post(url.format("pay/"), {}, format="json").status_code == 201
    assert guests.client.post(url.format("payment/sync/")).status_code == 200
    assert guests.client.post(url.format("cancel/")).status_code == 200


def test_a_guest_order_is_never_reachable_through_the_customer_routes(guests):
    from shop.accounts.tests.factories import UserFactory

    customer = APIClient()
    customer.force_authenticate(UserFactory())
    order_id, payment_id = guests.order_a["id"], guests.order_a["payment_id"]

    for method, url, body in (("get", f"/orders/{order_id}/", None), ("post", f"/orders/{order_id}/cancel/", None),
                              ("get", f"/payments/{payment_id}/", None),
                              ("post", "/payments/create-intent/", {"order_id": order_id, "payment_method": "cod"}),
                              ("post", "/payments/cancel/", {"payment_id": payment_id}),
                              ("post", "/payments/sync-status/", {"payment_id": payment_id}),
                              ("post", f"/payments/sandbox/{payment_id}/succeed/", None)):
        response = getattr(customer, method)(url, body, format="json")
        assert response.status_code == 404, (url, response.content)
