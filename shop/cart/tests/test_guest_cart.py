"""Guest carts: created without a login, reached by X-Cart-Token, 404 for any token that opens nothing, abandoned
ones deleted; a read costs the same queries whatever the number of lines."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from shop.cart.guest import guest_carts_delete_abandoned
from shop.cart.models import Cart, CartItem
from shop.cart.tasks import guest_carts_delete_abandoned_task
from shop.cart.tokens import cart_token_hash
from shop.catalog.tests.factories import ProductFactory, ProductVariantFactory
from shop.orders.tests.guests import guest_cart

pytestmark = pytest.mark.django_db


@pytest.fixture
def guest():
    return APIClient()


def _as(token):
    return {"HTTP_X_CART_TOKEN": token}


def test_post_cart_without_a_login_creates_a_guest_cart_and_answers_its_token_once(guest):
    response = guest.post("/cart/")

    assert response.status_code == 201
    body = response.json()
    token = body.pop("cart_token")
    assert len(token) >= 43  # 256 bits, URL-safe base64 (the floor is 128 bits)
    assert (body["user"], body["items"], body["total_items"], body["cart_total"], body["total"]) == (
        None, [], 0, "0.00", "0.00")
    cart = Cart.objects.get(pk=body["id"])
    assert cart.token_hash == cart_token_hash(token) and token not in cart.token_hash
    assert guest.get("/cart/", **_as(token)).json()["id"] == cart.pk
    assert "cart_token" not in guest.get("/cart/", **_as(token)).json()


def test_two_guest_carts_get_different_tokens(guest):
    assert guest.post("/cart/").json()["cart_token"] != guest.post("/cart/").json()["cart_token"]


def test_a_logged_in_post_cart_answers_the_users_own_cart(user_client, user):
    response = user_client.post("/cart/")

    assert response.status_code == 200
    assert response.json()["user"] == user.pk and "cart_token" not in response.json()
    assert not Cart.objects.filter(user__isnull=True).exists()


def test_everything_a_users_cart_does_a_guest_cart_does(guest):
    plain = ProductFactory(price=Decimal("10.00"), stock_quantity=5)
    shirt = ProductFactory(price=Decimal("20.00"), stock_quantity=0)
    medium = ProductVariantFactory(product=shirt, price_override=Decimal("22.50"), stock_quantity=3)
    token = guest_cart(guest, (plain, 2), (shirt, 1, medium))

    cart = guest.get("/cart/", **_as(token)).json()
    assert [(line["product"]["id"], line["variant"] and line["variant"]["id"], line["quantity"],
             line["price_snapshot"]) for line in cart["items"]] == [
        (plain.pk, None, 2, "10.00"), (shirt.pk, medium.pk, 1, "22.50")]
    assert (cart["total_items"], cart["cart_total"]) == (3, "42.50")

    line = cart["items"][0]["id"]
    assert guest.get(f"/cart/items/{line}/", **_as(token)).json()["quantity"] == 2
    assert guest.patch(f"/cart/items/{line}/", {"quantity": 4}, format="json", **_as(token)).json()["quantity"] == 4
    too_many = guest.patch(f"/cart/items/{line}/", {"quantity": 6}, format="json", **_as(token))
    assert too_many.status_code == 400 and too_many.json()["code"] == "insufficient_stock"
    no_variant = guest.post("/cart/items/", {"product_id": shirt.pk}, format="json", **_as(token))
    assert no_variant.status_code == 400 and no_variant.json()["code"] == "variant_required"
    assert guest.delete(f"/cart/items/{line}/", **_as(token)).status_code == 200
    assert len(guest.get("/cart/", **_as(token)).json()["items"]) == 1
    assert guest.post("/cart/clear/", **_as(token)).status_code == 200
    assert guest.get("/cart/", **_as(token)).json()["items"] == []


CART_ROUTES = [
    ("get", "/cart/", None),
    ("post", "/cart/items/", "add"),
    ("get", "/cart/items/{item}/", None),
    ("put", "/cart/items/{item}/", {"quantity": 3}),
    ("patch", "/cart/items/{item}/", {"quantity": 3}),
    ("delete", "/cart/items/{item}/", None),
    ("post", "/cart/clear/", None),
    ("delete", "/cart/clear/", None),
]


def test_without_a_login_or_a_token_the_cart_is_a_401(guest):
    for method, url, _ in [*CART_ROUTES, ("post", "/cart/voucher/", None), ("delete", "/cart/voucher/", None)]:
        response = getattr(guest, method)(url.format(item=1))
        assert response.status_code == 401, (method, url)
        assert response.json() == {"detail": "Log in, or send a guest cart's X-Cart-Token header (from POST /cart/).",
                                   "code": "not_authenticated"}
        assert response["WWW-Authenticate"]


def test_an_authenticated_request_uses_its_own_cart_whatever_token_it_sends(user_client, user, guest):
    product = ProductFactory(stock_quantity=5)
    token = guest_cart(guest, (product, 1))

    mine = user_client.post("/cart/items/", {"product_id": product.pk, "quantity": 2}, format="json", **_as(token))

    assert mine.json()["user"] == user.pk and mine.json()["items"][0]["quantity"] == 2
    assert guest.get("/cart/", **_as(token)).json()["items"][0]["quantity"] == 1  # the guest cart untouched


def test_guest_carts_untouched_for_guest_cart_days_expire_then_are_deleted(guest, settings):
    settings.GUEST_CART_DAYS = 30
    product = ProductFactory(stock_quantity=5)
    old, fresh = guest_cart(guest, (product, 1)), guest_cart(guest, (product, 1))
    Cart.objects.filter(token_hash=cart_token_hash(old)).update(updated_at=timezone.now() - timedelta(days=31))
    Cart.objects.filter(token_hash=cart_token_hash(fresh)).update(updated_at=timezone.now() - timedelta(days=29))

    expired = guest.get("/cart/", **_as(old))
    assert expired.status_code == 404 and expired.json() == {"detail": "Cart not found.", "code": "not_found"}
    assert guest.post("/cart/items/", {"product_id": product.pk}, format="json", **_as(old)).status_code == 404
    # A change is activity: the fresh cart's clock starts again.
    assert guest.post("/cart/items/", {"product_id": product.pk}, format="json", **_as(fresh)).status_code == 200
    assert Cart.objects.get(token_hash=cart_token_hash(fresh)).updated_at > timezone.now() - timedelta(minutes=1)

    assert guest_carts_delete_abandoned_task.delay().get() == 1
    assert not Cart.objects.filter(token_hash=cart_token_hash(old)).exists()
    assert Cart.objects.filter(token_hash=cart_token_hash(fresh)).exists()
    assert CartItem.objects.filter(cart__token_hash=cart_token_hash(fresh)).count() == 1
    assert guest_carts_delete_abandoned() == 0


def test_user_carts_are_never_deleted_as_abandoned(user):
    Cart.objects.create(user=user)
    Cart.objects.filter(user=user).update(updated_at=timezone.now() - timedelta(days=400))

    assert guest_carts_delete_abandoned() == 0
    assert Cart.objects.filter(user=user).exists()


def test_the_beat_schedule_runs_the_cleanup(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["cart-delete-abandoned-guest-carts"]
    assert entry["task"] == guest_carts_delete_abandoned_task.name


@pytest.mark.parametrize("lines", [1, 8])
def test_a_guest_cart_read_costs_the_same_queries_whatever_its_size(guest, lines, django_assert_max_num_queries):
    products = [ProductFactory(stock_quantity=5) for _ in range(lines)]
    token = guest_cart(guest, *[(product, 1) for product in products])

    # The cart, its lines with products and variants, the tax rates: as a user's cart (cart_priced_for_user).
    with django_assert_max_num_queries(4):
        response = guest.get("/cart/", **_as(token))

    assert response.status_code == 200 and len(response.json()["items"]) == lines
