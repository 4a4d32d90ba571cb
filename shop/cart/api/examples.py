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
            "unit_price": "59.99",
            "discount": "0.00",
            "net": "100.82",
            "tax": "19.16",
            "gross": "119.98",
            "tax_rate": "19",
            "tax_class": "standard",
            "price_changed": None,
            "sale_changed": None,
            "available": True,
            "created_at": "2026-11-30T10:15:00Z",
        }
    ],
    "total_items": 2,
    "cart_total": "119.98",
    # Taxed at the shop's country (SHOP_COUNTRY=DE, 19 %): the cart has no address yet.
    "subtotal": "119.98",
    "shipping": {"net": "0.00", "tax": "0.00", "gross": "0.00", "tax_rate": "0"},
    "discount": "0.00",
    "discounts": [],
    "voucher": None,
    "tax_total": "19.16",
    "total": "119.98",
    "currency": "EUR",
    "prices_include_tax": True,
    "tax_lines": [{"rate": "19", "base": "100.82", "amount": "19.16"}],
    "tax_source": "rate",
}
# A line whose hold ran out while the catalog price rose (CART_PRICE_HOLD_MINUTES): re-priced, and flagged.
REPRICED_LINE = {**CART["items"][0], "price_snapshot": "64.99", "unit_price": "64.99", "item_total": "129.98",
                 "net": "109.22", "tax": "20.76", "gross": "129.98",
                 "price_changed": {"old": "59.99", "new": "64.99"}}
# A line added during a 10 % sale (53.99 a unit after sale) that ended since: the held catalog price stays, the sale
# does not (docs/PRICING.md, "Price hold"), and the line says what a unit costs now.
SALE_ENDED_LINE = {**CART["items"][0], "sale_changed": {"old": "53.99", "new": "59.99"}}

CART_ADD_EXAMPLES = [
    OpenApiExample("Two of a product", request_only=True, value={"product_id": 1, "quantity": 2}),
    OpenApiExample("A product's variant", request_only=True, value={"product_id": 7, "variant_id": 12, "quantity": 1}),
    OpenApiExample("The cart after adding", response_only=True, status_codes=["200"], value=CART),
]
CART_EXAMPLES = [
    OpenApiExample("A cart, taxed at the shop's country", response_only=True, status_codes=["200"], value=CART),
    OpenApiExample("A line re-priced after its price hold", response_only=True, status_codes=["200"],
                   value={**CART, "items": [REPRICED_LINE], "cart_total": "129.98", "subtotal": "129.98",
                          "tax_total": "20.76", "total": "129.98",
                          "tax_lines": [{"rate": "19", "base": "109.22", "amount": "20.76"}]}),
    OpenApiExample("A line whose sale ended since it was added", response_only=True, status_codes=["200"],
                   value={**CART, "items": [SALE_ENDED_LINE]}),
]

# A 10 % sale on the product (6.00 off each unit) and a 10 % order voucher (10 % of 107.98 = 10.80), both priced
# by the pipeline before tax.
CART_WITH_VOUCHER = {
    **CART,
    "items": [{**CART["items"][0], "discount": "22.80", "net": "81.66", "tax": "15.52", "gross": "97.18"}],
    "cart_total": "97.18",
    "discount": "22.80",
    "discounts": [
        {"source": "promotion", "code": "", "name": "Winter sale", "target": "lines", "amount": "12.00"},
        {"source": "voucher", "code": "WELCOME10", "name": "10 % off your first order", "target": "order",
         "amount": "10.80"},
    ],
    "voucher": {"code": "WELCOME10", "applies": True, "refusal": None},
    "tax_total": "15.52",
    "total": "97.18",
    "tax_lines": [{"rate": "19", "base": "81.66", "amount": "15.52"}],
}
CART_VOUCHER_EXAMPLES = [
    OpenApiExample("A voucher code", request_only=True, value={"code": "welcome10"}),
    OpenApiExample("The cart with a sale and the voucher", response_only=True, status_codes=["200"],
                   value=CART_WITH_VOUCHER),
]
GUEST_CART_EXAMPLES = [
    OpenApiExample("A new guest cart", response_only=True, status_codes=["201"], value={
        **CART, "id": 7, "user": None, "items": [], "total_items": 0, "cart_total": "0.00", "subtotal": "0.00",
        "tax_total": "0.00", "total": "0.00", "tax_lines": [],
        "cart_token": "q3Yk0cW2oI6dJ8xF1rT5uV9sZ4bN7mE0aL2hG6pC8wQ",
    }),
]
