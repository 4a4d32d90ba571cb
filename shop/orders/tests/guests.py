"""Helpers for guest tests: a guest cart filled through the API, a guest checkout through the API."""

from rest_framework.test import APIClient

ADDRESS = {"full_name": "Grace Hopper", "phone": "+1 555 0100", "address_line_1": "1 Main St",
           "city": "Springfield", "postal_code": "12345", "country": "US"}
EMAIL = "Grace@Example.com"


def guest_cart(client: APIClient, *lines) -> str:
    """A new guest cart holding ``lines`` (``(product, quantity)`` or ``(product, quantity, variant)``): its token."""
    response = client.post("/cart/")
    assert response.status_code == 201, response.content
    token = response.json()["cart_token"]
    for product, quantity, *variant in lines:
        body = {"product_id": product.pk, "quantity": quantity}
        if variant:
            body["variant_id"] = variant[0].pk
        added = client.post("/cart/items/", body, format="json", HTTP_X_CART_TOKEN=token)
        assert added.status_code == 200, added.content
    return token


def guest_checkout(client: APIClient, cart_token: str, *, key: str | None = None, **body):
    """``POST /orders/guest/checkout/`` with the guest's e-mail and address (overridable through ``body``)."""
    headers = {"HTTP_X_CART_TOKEN": cart_token}
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post("/orders/guest/checkout/", {"email": EMAIL, "shipping_address": ADDRESS, **body},
                       format="json", **headers)


def guest_order_url(order: dict, suffix: str = "") -> str:
    """A guest route of the order a checkout answered, with its access token in the query."""
    return f"/orders/guest/{order['order_key']}/{suffix}?token={order['order_token']}"
