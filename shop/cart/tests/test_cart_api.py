from decimal import Decimal

import pytest

from shop.cart.models import Cart, CartItem
from shop.catalog.tests.factories import ProductFactory, ProductVariantFactory

from .factories import CartItemFactory

pytestmark = pytest.mark.django_db


def test_get_cart_creates_an_empty_cart_on_first_use(user, user_client):
    response = user_client.get("/cart/")

    assert response.status_code == 200
    cart = Cart.objects.get(user=user)
    body = response.json()
    assert body["id"] == cart.id
    assert body["user"] == user.id
    assert body["items"] == []
    assert body["total_items"] == 0
    assert body["cart_total"] == "0.00"


def test_cart_requires_authentication(api_client):
    for method, url in [("get", "/cart/"), ("post", "/cart/items/"), ("put", "/cart/items/1/"),
                        ("delete", "/cart/items/1/"), ("post", "/cart/clear/")]:
        response = getattr(api_client, method)(url, {}, format="json")
        assert response.status_code == 401, url
        assert response.json()["code"] == "not_authenticated"


def test_add_item_answers_with_the_full_cart_in_the_seed_shape(user_client):
    product = ProductFactory(name="Wireless Headphones", slug="wireless-headphones", price=Decimal("99.99"),
                             stock_quantity=50)

    response = user_client.post("/cart/items/", {"product_id": product.id, "quantity": 2})

    assert response.status_code == 200
    body = response.json()
    item = body["items"][0]
    assert item["product"] == {"id": product.id, "name": "Wireless Headphones", "slug": "wireless-headphones",
                               "price": "99.99", "stock_quantity": 50, "is_active": True}
    assert item["variant"] is None
    assert item["quantity"] == 2
    assert item["price_snapshot"] == "99.99"
    assert item["item_total"] == "199.98"
    assert set(item) == {"id", "product", "variant", "quantity", "price_snapshot", "item_total", "created_at",
                         "unit_price", "discount", "net", "tax", "gross", "tax_rate", "tax_class", "price_changed",
                         "sale_changed", "available"}
    assert body["total_items"] == 2
    assert body["cart_total"] == "199.98"


def test_quantity_defaults_to_one_and_adding_again_adds_to_the_line(user_client):
    product = ProductFactory(price=Decimal("5.00"))

    user_client.post("/cart/items/", {"product_id": product.id})
    response = user_client.post("/cart/items/", {"product_id": product.id, "quantity": 3})

    assert response.status_code == 200
    assert len(response.json()["items"]) == 1
    assert response.json()["items"][0]["quantity"] == 4
    assert response.json()["cart_total"] == "20.00"
    assert CartItem.objects.count() == 1


def test_price_snapshot_keeps_the_price_when_first_added(user_client):
    product = ProductFactory(price=Decimal("5.00"))
    user_client.post("/cart/items/", {"product_id": product.id})
    product.price = Decimal("7.00")
    product.save()

    body = user_client.get("/cart/").json()

    assert body["items"][0]["price_snapshot"] == "5.00"
    assert body["items"][0]["product"]["price"] == "7.00"
    assert body["cart_total"] == "5.00"


@pytest.mark.parametrize("quantity", [0, -1, 1001, "abc", 1.5, True, None, ""])
def test_add_refuses_bad_quantities(user_client, quantity):
    product = ProductFactory()

    response = user_client.post("/cart/items/", {"product_id": product.id, "quantity": quantity}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "quantity" in response.json()["errors"]
    assert not CartItem.objects.exists()


def test_add_refuses_a_line_growing_past_the_cap(user_client):
    product = ProductFactory(stock_quantity=5000)
    user_client.post("/cart/items/", {"product_id": product.id, "quantity": 1000})

    response = user_client.post("/cart/items/", {"product_id": product.id, "quantity": 1})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_quantity"
    assert CartItem.objects.get().quantity == 1000


def test_add_refuses_more_than_the_stock(user_client):
    product = ProductFactory(name="Lamp", stock_quantity=2)

    response = user_client.post("/cart/items/", {"product_id": product.id, "quantity": 3})

    assert response.status_code == 400
    assert response.json() == {"detail": "Not enough stock for 'Lamp': 3 requested, 2 available.",
                               "code": "insufficient_stock"}


@pytest.mark.parametrize("state", [{"is_active": False}, {"is_deleted": True}])
def test_inactive_or_deleted_products_cannot_be_added(user_client, state):
    product = ProductFactory(name="Gone", **state)

    response = user_client.post("/cart/items/", {"product_id": product.id})

    assert response.status_code == 400
    assert response.json() == {"detail": "'Gone' is not available.", "code": "product_unavailable"}
    assert not CartItem.objects.exists()


@pytest.mark.parametrize("product_id", [999999, 2**63, 2**70])
def test_unknown_product_is_a_400(user_client, product_id):
    """Ids no key column can hold name nothing too (the database would refuse to bind them: never a 500)."""
    response = user_client.post("/cart/items/", {"product_id": product_id}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "product_not_found"


@pytest.mark.parametrize("variant_id", [999999, 2**63])
def test_unknown_variant_is_a_400(user_client, variant_id):
    response = user_client.post("/cart/items/", {"product_id": ProductFactory().id, "variant_id": variant_id},
                                format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "variant_not_found"


def test_missing_product_id_is_a_400(user_client):
    response = user_client.post("/cart/items/", {"quantity": 1})

    assert response.status_code == 400
    assert response.json()["errors"] == {"product_id": ["This field is required."]}


def test_a_product_with_variants_needs_a_variant(user_client):
    variant = ProductVariantFactory(product__name="Shirt")

    response = user_client.post("/cart/items/", {"product_id": variant.product_id})

    assert response.status_code == 400
    assert response.json()["code"] == "variant_required"


def test_a_variant_must_belong_to_the_product(user_client):
    variant = ProductVariantFactory()
    other = ProductFactory()

    response = user_client.post("/cart/items/", {"product_id": other.id, "variant_id": variant.id})

    assert response.status_code == 400
    assert response.json()["code"] == "variant_mismatch"


def test_inactive_variant_cannot_be_added(user_client):
    variant = ProductVariantFactory(is_active=False)

    response = user_client.post("/cart/items/", {"product_id": variant.product_id, "variant_id": variant.id})

    assert response.status_code == 400
    assert response.json()["code"] == "product_unavailable"


def test_variant_line_uses_the_variant_price_and_is_separate_from_other_variants(user_client):
    product = ProductFactory(price=Decimal("10.00"))
    red = ProductVariantFactory(product=product, price_override=Decimal("12.50"), name="Red")
    blue = ProductVariantFactory(product=product, name="Blue")

    user_client.post("/cart/items/", {"product_id": product.id, "variant_id": red.id, "quantity": 2})
    response = user_client.post("/cart/items/", {"product_id": product.id, "variant_id": blue.id})

    body = response.json()
    assert [(i["variant"]["name"], i["quantity"], i["price_snapshot"]) for i in body["items"]] == [
        ("Red", 2, "12.50"), ("Blue", 1, "10.00")]
    assert body["items"][0]["variant"]["sku"] == red.sku
    assert body["cart_total"] == "35.00"


def test_update_quantity_answers_with_the_item(user, user_client):
    item = CartItemFactory(cart__user=user, product__price=Decimal("99.99"), quantity=1)

    response = user_client.put(f"/cart/items/{item.id}/", {"quantity": 3})

    assert response.status_code == 200
    assert response.json()["id"] == item.id
    assert response.json()["quantity"] == 3
    assert response.json()["item_total"] == "299.97"
    response = user_client.patch(f"/cart/items/{item.id}/", {"quantity": 2})
    assert response.status_code == 200
    assert response.json()["quantity"] == 2


def test_update_to_zero_removes_the_item(user, user_client):
    item = CartItemFactory(cart__user=user)

    response = user_client.patch(f"/cart/items/{item.id}/", {"quantity": 0})

    assert response.status_code == 200
    assert response.json() == {"message": "Cart item removed successfully"}
    assert not CartItem.objects.exists()


@pytest.mark.parametrize("quantity", [-1, 1001, "x", None])
def test_update_refuses_bad_quantities(user, user_client, quantity):
    item = CartItemFactory(cart__user=user, quantity=2)

    response = user_client.put(f"/cart/items/{item.id}/", {"quantity": quantity}, format="json")

    assert response.status_code == 400
    assert "quantity" in response.json()["errors"]
    item.refresh_from_db()
    assert item.quantity == 2


def test_delete_item(user, user_client):
    item = CartItemFactory(cart__user=user)

    response = user_client.delete(f"/cart/items/{item.id}/")

    assert response.status_code == 200
    assert response.json() == {"message": "Cart item removed successfully"}
    assert not CartItem.objects.exists()
    assert user_client.delete(f"/cart/items/{item.id}/").status_code == 404


@pytest.mark.parametrize("method", ["post", "delete"])
def test_clear_empties_only_my_cart(user, other_user, user_client, method):
    CartItemFactory.create_batch(2, cart__user=user)
    theirs = CartItemFactory(cart__user=other_user)

    response = getattr(user_client, method)("/cart/clear/")

    assert response.status_code == 200
    assert response.json() == {"message": "Cart cleared successfully"}
    assert list(CartItem.objects.all()) == [theirs]


def test_another_users_item_is_not_found(other_user, user_client):
    theirs = CartItemFactory(cart__user=other_user, quantity=2)

    for method, data in [("get", None), ("put", {"quantity": 5}), ("patch", {"quantity": 0}), ("delete", None)]:
        response = getattr(user_client, method)(f"/cart/items/{theirs.id}/", data, format="json")
        assert response.status_code == 404, method
        assert response.json() == {"detail": "Cart item not found.", "code": "not_found"}
    theirs.refresh_from_db()
    assert theirs.quantity == 2


def test_each_user_sees_only_their_cart(user, other_user, user_client):
    mine = CartItemFactory(cart__user=user)
    CartItemFactory(cart__user=other_user)

    body = user_client.get("/cart/").json()

    assert [item["id"] for item in body["items"]] == [mine.id]


def test_cart_is_served_under_api_v1_too(user_client):
    assert user_client.get("/api/v1/cart/").status_code == 200




def test_get_cart_query_budget_is_constant_in_the_number_of_items(user, user_client, django_assert_num_queries,
                                                                  settings):
    settings.SHOP_COUNTRY = "DE"  # a place to tax for, so the rates are read too
    CartItemFactory(cart__user=user)
    # the cart (get_or_create finds it: 1), its items joined with product, variant, variant's product and the tax
    # classes (1), the tax provider's default class and rates (2), the live promotions (1; their targets come in
    # two more when there are any: shop/discounts/tests)
    with django_assert_num_queries(5):
        assert len(user_client.get("/cart/").json()["items"]) == 1
    for _ in range(5):
        CartItemFactory(cart__user=user, variant=ProductVariantFactory())
    # the tax rates and the promotions now from their shared memos (shop.core.memo), kept until staff change them
    with django_assert_num_queries(2):
        assert len(user_client.get("/cart/").json()["items"]) == 6


def test_huge_line_totals_render_instead_of_failing(user_client, settings):
    # Adding such a line is refused (order_too_large, shop/cart/tests/test_order_limit.py); a price raised after
    # the line was added still reaches it, and the cart renders it.
    pricey = ProductFactory(price=Decimal("1.00"), stock_quantity=5000)
    assert user_client.post("/cart/items/", {"product_id": pricey.id, "quantity": 1000}).status_code == 200
    pricey.price = Decimal("9999999999.99")
    pricey.save()
    settings.CART_PRICE_HOLD_MINUTES = 0

    response = user_client.get("/cart/")

    assert response.status_code == 200
    assert response.json()["items"][0]["item_total"] == "9999999999990.00"
    assert response.json()["cart_total"] == "9999999999990.00"


def test_update_refuses_more_than_the_stock_but_allows_lowering(user, user_client):
    item = CartItemFactory(cart__user=user, product__name="Lamp", product__stock_quantity=3, quantity=2)

    response = user_client.put(f"/cart/items/{item.id}/", {"quantity": 4})
    assert response.status_code == 400
    assert response.json() == {"detail": "Not enough stock for 'Lamp': 4 requested, 3 available.",
                               "code": "insufficient_stock"}
    item.refresh_from_db()
    assert item.quantity == 2

    item.product.stock_quantity = 0
    item.product.save()
    assert user_client.put(f"/cart/items/{item.id}/", {"quantity": 1}).status_code == 200
