"""Guest checkout (e-mail and address required, Idempotency-Key per guest cart, stock as for users), the order
access token, and claiming guest orders with a verified e-mail."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from shop.accounts.tests.factories import UserFactory
from shop.catalog.tests.factories import ProductFactory
from shop.orders.guest import order_access_token
from shop.orders.models import Order
from shop.orders.tests.guests import ADDRESS, guest_cart, guest_checkout, guest_order_url
from shop.payments.models import Payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def guest():
    return APIClient()


@pytest.fixture
def hat(db):
    return ProductFactory(price=Decimal("25.00"), stock_quantity=5)


def test_a_guest_order_has_no_user_keeps_the_email_and_empties_the_guest_cart(guest, payments_on, hat):
    token = guest_cart(guest, (hat, 2))

    response = guest_checkout(guest, token, payment_method="cod", notes="Ring twice")

    assert response.status_code == 201, response.content
    body = response.json()
    order = Order.objects.get(pk=body["id"])
    assert (order.user, order.email, order.total, order.notes) == (None, "grace@example.com", Decimal("50.00"),
                                                                   "Ring twice")
    assert order.shipping_address.city == ADDRESS["city"]
    assert body["order_token"] and body["order_token_expires_at"]
    assert [change["changed_by"] for change in body["status_history"]] == [None, None]
    assert guest.get("/cart/", HTTP_X_CART_TOKEN=token).json()["items"] == []
    hat.refresh_from_db()
    assert hat.stock_quantity == 3


@pytest.mark.parametrize(("body", "field"), [
    ({"email": ""}, "email"),
    ({"email": "not-an-email"}, "email"),
    ({"shipping_address": None}, "shipping_address"),
    ({"shipping_address": "1 Main St"}, "shipping_address"),
    ({"shipping_address": 3}, "shipping_address"),
    ({"shipping_address": {**ADDRESS, "city": ""}}, "shipping_address"),
])
def test_a_guest_checkout_needs_an_email_and_a_full_address(guest, payments_on, hat, body, field):
    token = guest_cart(guest, (hat, 1))

    response = guest_checkout(guest, token, payment_method="cod", **body)

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Order.objects.exists()


@pytest.mark.parametrize("given", ["1 Main St, Springfield, US", 1, ["1 Main St"]])
def test_a_guests_address_that_is_not_an_object_is_told_what_to_send_as_a_customers_is(guest, payments_on, hat,
                                                                                          given):
    """Found by a tester: free text from a guest got DRF's "Expected a dictionary" (`invalid`), where the same text
    from a customer is `address_incomplete` saying what to send."""
    response = guest_checkout(guest, guest_cart(guest, (hat, 1)), payment_method="cod", shipping_address=given)

    assert (response.status_code, response.json()["code"]) == (400, "address_incomplete"), response.content
    assert response.json()["errors"]["shipping_address"] == [
        "Free text is not an address: send an object with full_name, address_line_1, city and country "
        "(address_line_2, state, postal_code, phone and email optional)."]
    assert not Order.objects.exists()


def test_a_guest_checkout_with_a_wrong_cart_token_is_a_404(guest, payments_on, hat):
    wrong = guest_checkout(guest, "x" * 43, payment_method="cod")

    assert wrong.status_code == 404
    assert wrong.json() == {"detail": "Cart not found.", "code": "not_found"}


@pytest.mark.parametrize("headers", [{}, {"HTTP_X_CART_TOKEN": ""}, {"HTTP_X_CART_TOKEN": "   "}])
def test_a_guest_checkout_without_a_cart_token_is_a_401_as_the_cart_is(guest, payments_on, hat, headers):
    """Found by a tester: it was a 404 "Cart not found.", while README says no token (no header, or a blank one)
    and no login is a 401, which ``GET /cart/`` does answer."""
    guest_cart(guest, (hat, 1))

    response = guest.post("/orders/guest/checkout/", {"email": "a@example.com", "shipping_address": ADDRESS,
                                                      "payment_method": "cod"}, format="json", **headers)

    assert response.status_code == 401, response.content
    assert response.json() == {"detail": "Send the guest cart's X-Cart-Token header (from POST /cart/); a logged-in "
                                         "customer checks out with POST /orders/checkout/.",
                               "code": "not_authenticated"}
    assert response["WWW-Authenticate"]
    assert guest.get("/cart/", **headers).status_code == 401  # the cart's routes answer the same
    assert not Order.objects.exists()


def test_a_guest_checkout_sent_with_a_login_places_nothing_and_points_to_the_customer_checkout(payments_on, hat):
    """Found by a tester: a customer's Bearer token beside a guest cart's token placed an order with no user, from
    the guest cart. A logged-in request checks out the account's cart (README), so this is refused; a token that
    is no login (garbage, expired) leaves the client a guest."""
    from rest_framework_simplejwt.tokens import AccessToken

    customer = UserFactory()
    signed_in, stale = APIClient(), APIClient()
    signed_in.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(customer)}")
    stale.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    refused = guest_checkout(signed_in, guest_cart(APIClient(), (hat, 1)), payment_method="cod")
    assert (refused.status_code, refused.json()["code"]) == (409, "guest_checkout_signed_in"), refused.content
    assert not Order.objects.exists()

    placed = guest_checkout(stale, guest_cart(APIClient(), (hat, 1)), payment_method="cod")
    assert placed.status_code == 201, placed.content
    assert Order.objects.get().user is None


def test_an_empty_guest_cart_is_refused(guest, payments_on):
    response = guest_checkout(guest, guest_cart(guest), payment_method="cod")

    assert response.status_code == 400 and response.json()["code"] == "cart_empty"


def test_a_guest_cannot_buy_more_than_the_stock(guest, payments_on, hat):
    token = guest_cart(guest, (hat, 5))
    hat.stock_quantity = 2
    hat.save()

    response = guest_checkout(guest, token, payment_method="cod")

    assert response.status_code == 400 and response.json()["code"] == "insufficient_stock"
    assert not Order.objects.exists()


def test_the_idempotency_key_replays_per_guest_cart(guest, payments_on, hat):
    token = guest_cart(guest, (hat, 1))

    first = guest_checkout(guest, token, key="k-1", payment_method="sandbox")
    replay = guest_checkout(guest, token, key="k-1", payment_method="sandbox")
    other_body = guest_checkout(guest, token, key="k-1", payment_method="cod")
    other_cart = guest_checkout(guest, guest_cart(guest, (hat, 1)), key="k-1", payment_method="sandbox")

    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json()["id"] == first.json()["id"]
    assert replay.json()["payment_id"] == first.json()["payment_id"]
    assert other_body.status_code == 422 and other_body.json()["code"] == "idempotency_key_reused"
    assert other_cart.status_code == 201 and other_cart.json()["id"] != first.json()["id"]
    assert Order.objects.count() == 2


def test_an_unpaid_guest_order_expires_like_a_users(guest, payments_on, hat):
    from shop.orders.services import expire_unpaid_orders

    placed = guest_checkout(guest, guest_cart(guest, (hat, 2)), payment_method="sandbox").json()
    order = Order.objects.get(pk=placed["id"])

    assert expire_unpaid_orders(now=order.payment_deadline) == 1
    order.refresh_from_db()
    hat.refresh_from_db()
    assert (order.status, order.cancel_reason, hat.stock_quantity) == ("cancelled", "expired", 5)


def test_the_order_token_reads_the_order_as_a_query_parameter_or_a_header(guest, payments_on, hat):
    placed = guest_checkout(guest, guest_cart(guest, (hat, 1)), payment_method="cod").json()

    by_query = guest.get(guest_order_url(placed))
    by_header = guest.get(f"/orders/guest/{placed['order_key']}/", HTTP_X_ORDER_TOKEN=placed["order_token"])

    assert by_query.status_code == by_header.status_code == 200
    assert by_query.json() == by_header.json()
    assert (by_query.json()["order_key"], by_query.json()["email"]) == (placed["order_key"], "grace@example.com")


@pytest.mark.parametrize("lines", [1, 6])
def test_a_guest_order_read_costs_the_same_queries_whatever_its_size(guest, payments_on, lines,
                                                                     django_assert_max_num_queries):
    products = [ProductFactory(stock_quantity=5) for _ in range(lines)]
    placed = guest_checkout(guest, guest_cart(guest, *[(product, 1) for product in products]),
                            payment_method="sandbox").json()

    # The order with its address and shipment, then items, history, tracking events, payments: constant.
    with django_assert_max_num_queries(6):
        response = guest.get(guest_order_url(placed))

    assert response.status_code == 200 and len(response.json()["items"]) == lines


# --- Claiming -----------------------------------------------------------------------------------------------------

def _place_as_guest(email: str, product) -> dict:
    client = APIClient()
    response = guest_checkout(client, guest_cart(client, (product, 1)), payment_method="sandbox", email=email)
    assert response.status_code == 201, response.content
    return response.json()


def test_a_verified_user_claims_the_guest_orders_placed_with_their_email(payments_on, hat):
    user = UserFactory(email="grace@example.com", is_email_verified=True)
    mine = [_place_as_guest("grace@example.com", hat), _place_as_guest("  GRACE@Example.COM ", hat)]
    someone_elses = _place_as_guest("ada@example.com", hat)
    client = APIClient()
    client.force_authenticate(user)

    response = client.post("/orders/claim/")

    assert response.status_code == 200, response.content
    assert response.json()["claimed"] == 2
    assert sorted(order["id"] for order in response.json()["orders"]) == sorted(order["id"] for order in mine)
    assert {order["user"] for order in response.json()["orders"]} == {user.pk}
    assert sorted(order["id"] for order in client.get("/orders/").json()["results"]) == sorted(
        order["id"] for order in mine)
    assert set(Payment.objects.filter(order_id__in=[o["id"] for o in mine]).values_list("user", flat=True)) == {
        user.pk}
    assert Order.objects.get(pk=someone_elses["id"]).user is None
    # A claimed order is reached through the account: its guest links stop working.
    assert APIClient().get(guest_order_url(mine[0])).status_code == 404
    assert client.post("/orders/claim/").json() == {"claimed": 0, "orders": []}


def test_an_unverified_email_cannot_claim_and_is_told_how_to_verify(payments_on, hat):
    user = UserFactory(email="grace@example.com", is_email_verified=False)
    placed = _place_as_guest("grace@example.com", hat)
    client = APIClient()
    client.force_authenticate(user)

    response = client.post("/orders/claim/")

    assert response.status_code == 403
    assert response.json()["code"] == "email_not_verified"
    assert "/auth/verify-email/request/" in response.json()["detail"]
    assert Order.objects.get(pk=placed["id"]).user is None


def test_claiming_needs_a_login(guest):
    response = guest.post("/orders/claim/")

    assert response.status_code == 401


def test_a_token_issued_for_an_order_stays_bound_to_it(guest, payments_on, hat):
    first = _place_as_guest("grace@example.com", hat)
    second = _place_as_guest("grace@example.com", hat)

    token_of_first = order_access_token(Order.objects.get(pk=first["id"]))

    assert guest.get(f"/orders/guest/{second['order_key']}/?token={token_of_first}").status_code == 404
    assert guest.get(f"/orders/guest/{first['order_key']}/?token={token_of_first}").status_code == 200
