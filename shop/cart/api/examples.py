"""OpenAPI examples for adding to the cart: real answers, tidied; tests/test_docs_schema.py keeps their shape true."""

from drf_spectacular.utils import OpenApiExample

# A product as cart lines and order lines show it (orders/api/examples.py reuses it).
PRODUCT = {
    "id": 1,
    "name": "Wireless Headphones",
    "slug": "wireless-headphones",
    "price": "59.99",
    "stock_quantity": 25,
    "is_active": True,
}
CART = {
    "id": 1,
    "user": 1,
    "created_at": "2026-11-30T10:15:00Z",
    "updated_at": "2026-11-30T10:15:00Z",
    "items": [
        {
            "id": 1,
            "product": PRODUCT,
            "variant": None,
            "quantity": 2,
            "price_snapshot": "59.99",
            "item_total": "119.98",
            "created_at": "2026-11-30T10:15:00Z",
        }
    ],
    "total_items": 2,
    "cart_total": "119.98",
}

CART_ADD_EXAMPLES = [
    OpenApiExample("Two of a product", request_only=True, value={"product_id": 1, "quantity": 2}),
    OpenApiExample("A product's variant", request_only=True, value={"product_id": 7, "variant_id": 12, "quantity": 1}),
    OpenApiExample("The cart after adding", response_only=True, status_codes=["200"], value=CART),
]

GUEST_CART_EXAMPLES = [
    OpenApiExample("A new guest cart", response_only=True, status_codes=["201"], value={
        "id": 7, "user": None, "created_at": "2026-11-30T10:15:00Z", "updated_at": "2026-11-30T10:15:00Z",
        "items": [], "total_items": 0, "cart_total": "0.00",
        "cart_token": "q3Yk0cW2oI6dJ8xF1rT5uV9sZ4bN7mE0aL2hG6pC8wQ",
    }),
]
