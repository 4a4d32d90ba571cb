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
            "discount": "0.00",
            "discounted_total": "119.98",
            "created_at": "2026-11-30T10:15:00Z",
        }
    ],
    "total_items": 2,
    "subtotal": "119.98",
    "discounts": [],
    "discount_total": "0.00",
    "cart_total": "119.98",
    "voucher": None,
}
CART_WITH_VOUCHER = {
    **CART,
    "items": [{**CART["items"][0], "discount": "12.00", "discounted_total": "107.98"}],
    "discounts": [
        {"source": "promotion", "code": "", "name": "Winter sale", "target": "lines", "amount": "12.00"},
        {"source": "voucher", "code": "WELCOME10", "name": "10 % off your first order", "target": "order",
         "amount": "10.80"},
    ],
    "discount_total": "22.80",
    "cart_total": "97.18",
    "voucher": {"code": "WELCOME10", "applies": True, "refusal": None},
}

CART_ADD_EXAMPLES = [
    OpenApiExample("Two of a product", request_only=True, value={"product_id": 1, "quantity": 2}),
    OpenApiExample("A product's variant", request_only=True, value={"product_id": 7, "variant_id": 12, "quantity": 1}),
    OpenApiExample("The cart after adding", response_only=True, status_codes=["200"], value=CART),
]

CART_VOUCHER_EXAMPLES = [
    OpenApiExample("A voucher code", request_only=True, value={"code": "welcome10"}),
    OpenApiExample("The cart with a sale and the voucher", response_only=True, status_codes=["200"],
                   value=CART_WITH_VOUCHER),
]
