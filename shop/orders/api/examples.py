"""OpenAPI examples for checkout and the order (real answers; tests/test_docs_schema.py keeps them true)."""

from drf_spectacular.utils import OpenApiExample

from shop.cart.api.examples import PRODUCT
from shop.payments.api.examples import PAYMENT_START

ORDER = {
    "id": 1,
    "order_key": "ORD-AAC29E8E8932D81F",
    "user": 1,
    "email": "ada@example.com",
    "status": "processing",
    "created_at": "2026-11-30T10:15:00Z",
    "updated_at": "2026-11-30T10:15:00Z",
    "items": [
        {
            "id": 1,
            "product": {**PRODUCT, "stock_quantity": 23},  # two sold
            "variant": None,
            "product_name": "Wireless Headphones",
            "variant_description": "",
            "sku": "",
            "barcode": "",
            "quantity": 2,
            "unit_price": "59.99",
            "line_total": "119.98",
            "price_snapshot": "59.99",
            "item_total": "119.98",
            "discount": "0.00",
            "net": "100.82",
            "tax": "19.16",
            "gross": "119.98",
            "tax_rate": "19",
            "tax_class": "standard",
            "refunded_quantity": 0,
            "refunded_amount": "0.00",
            "refunded_tax": "0.00",
            "created_at": "2026-11-30T10:15:00Z",
        }
    ],
    "subtotal": "119.98",
    "shipping_fee": "5.00",
    "total": "124.98",
    "total_price": "124.98",
    "shipping": {"net": "4.20", "tax": "0.80", "gross": "5.00", "tax_rate": "19", "refunded_amount": "0.00",
                 "refunded_tax": "0.00"},
    "discount": "0.00",
    "discounts": [],
    "tax_total": "19.96",
    "currency": "EUR",
    "tax_lines": [{"rate": "19", "base": "105.02", "amount": "19.96"}],
    "tax_source": "rate",
    # Taxed where it ships: the address's country (and its state, when that is a subdivision code).
    "tax_country": "DE",
    "tax_region": "",
    "prices_include_tax": True,
    "tax_rounding_mode": "line",
    "shipping_method": 1,
    "shipping_address": {
        "id": 1,
        "source_address_id": None,
        "full_name": "Ada Lovelace",
        "phone": "",
        "email": "",
        "address_line_1": "Unter den Linden 1",
        "address_line_2": "",
        "city": "Berlin",
        "state": "",
        "postal_code": "10117",
        "country": "DE",
        "country_name": "Germany",
        "created_at": "2026-11-30T10:15:00Z",
    },
    "notes": "",
    "payment_method": "sandbox",
    "payment_status": "unpaid",
    "is_fully_paid": False,
    "paid_at": None,
    "payment_deadline": "2026-11-30T10:45:00Z",
    "needs_refund": False,
    "cancel_reason": "",
    "cancelled_at": None,
    "payment_outcome": "pending",
    "status_history": [
        {
            "id": 1,
            "from_status": "",
            "to_status": "pending",
            "changed_by": 1,
            "reason": "created",
            "note": "",
            "created_at": "2026-11-30T10:15:00Z",
        },
        {
            "id": 2,
            "from_status": "pending",
            "to_status": "processing",
            "changed_by": 1,
            "reason": "checkout",
            "note": "",
            "created_at": "2026-11-30T10:15:00Z",
        },
    ],
    "shipment": {
        "id": 1,
        "status": "ORDER_PLACED",
        "carrier": "",
        "tracking_number": "",
        "tracking_url": "",
        "estimated_delivery_at": None,
        "delivered_at": None,
        "created_at": "2026-11-30T10:15:00Z",
        "updated_at": "2026-11-30T10:15:00Z",
        "events": [
            {
                "id": 1,
                "status": "ORDER_PLACED",
                "message": "Order placed",
                "location": "",
                "occurred_at": "2026-11-30T10:15:00Z",
            }
        ],
    },
    "payments": [
        {
            "id": 1,
            "provider": "sandbox",
            "status": "pending",
            "amount": "124.98",
            "amount_refunded": "0.00",
            "currency": "EUR",
            "checkout_url": "http://127.0.0.1:8000/payments/sandbox/pay/eyJwIjoxLCJjIjoic2J4XzI1ZTRkNzY4OWE2MCJ9:1xXsjX:Zk3bWq0example/",
            "provider_payment_id": "sbx_25e4d7689a60751ba944e438",
            "provider_invoice_id": "",
            "failure_message": "",
            "created_at": "2026-11-30T10:15:00Z",
            "updated_at": "2026-11-30T10:15:00Z",
        }
    ],
    # The open attempt's hosted page, as the checkout answered it.
    "next_step": "http://127.0.0.1:8000/payments/sandbox/pay/eyJwIjoxLCJjIjoic2J4XzI1ZTRkNzY4OWE2MCJ9:1xXsjX:Zk3bWq0example/",
    "payment_url": "http://127.0.0.1:8000/payments/sandbox/pay/eyJwIjoxLCJjIjoic2J4XzI1ZTRkNzY4OWE2MCJ9:1xXsjX:Zk3bWq0example/",
}

TOTAL_MISMATCH = {"detail": "The order total is 134.98, not 124.98: review your cart and retry.",
                  "code": "total_mismatch", "total": "134.98", "currency": "EUR"}
SHIP_TO = {"full_name": "Ada Lovelace", "address_line_1": "Unter den Linden 1", "city": "Berlin",
           "postal_code": "10117", "country": "DE"}

CHECKOUT_EXAMPLES = [
    OpenApiExample(
        "Check out the cart, pay in the sandbox",
        request_only=True,
        value={"payment_method": "sandbox", "shipping_method": 1, "shipping_address": SHIP_TO},
    ),
    OpenApiExample(
        "A direct order, cash on delivery, to a saved address",
        request_only=True,
        value={
            "items": [{"product_id": 1, "quantity": 2}],
            "payment_method": "cod",
            "address": 3,
            "shipping_method": 1,
            "expected_total": "124.98",
        },
    ),
    OpenApiExample(
        "Order placed: send the customer to next_step",
        response_only=True,
        status_codes=["201"],
        value={
            **ORDER,
            "client_secret": None,
            "payment_id": 1,
        },
    ),
    OpenApiExample("expected_total is not the current total (a price changed): nothing was placed",
                   response_only=True, status_codes=["409"], value=TOTAL_MISMATCH),
]
ORDER_EXAMPLES = [OpenApiExample("An order awaiting payment", response_only=True, status_codes=["200"], value=ORDER)]

GUEST_ADDRESS = {"full_name": "Grace Hopper", "phone": "+49 30 1234567", "address_line_1": "Friedrichstr. 10",
                 "city": "Berlin", "postal_code": "10117", "country": "DE"}
GUEST_ORDER = {
    **ORDER,
    "user": None,
    "email": "grace@example.com",
    "shipping_address": {**ORDER["shipping_address"], **GUEST_ADDRESS, "email": "", "address_line_2": "",
                         "state": "", "country_name": "Germany"},
    "status_history": [{**change, "changed_by": None} for change in ORDER["status_history"]],
}
ORDER_TOKEN = "eyJvIjoxLCJrIjoiT1JELUFBQzI5RThFODkzMkQ4MUYifQ:1vPq2s:Wm9vLnNpZ25hdHVyZS1leGFtcGxlLW9ubHk"
GUEST_CHECKOUT_EXAMPLES = [
    OpenApiExample("A guest checks out, pays in the sandbox", request_only=True, value={
        "email": "grace@example.com", "shipping_address": GUEST_ADDRESS, "shipping_method": 1,
        "payment_method": "sandbox", "return_url": "/demo/#/guest-order",
    }),
    OpenApiExample("Order placed: keep order_token, send the guest to next_step", response_only=True,
                   status_codes=["201"], value={**GUEST_ORDER, "client_secret": None, "payment_id": 1,
                                                "order_token": ORDER_TOKEN,
                                                "order_token_expires_at": "2026-12-30T10:15:00Z"}),
]
GUEST_ORDER_EXAMPLES = [OpenApiExample("A guest's order awaiting payment", response_only=True, status_codes=["200"],
                                       value=GUEST_ORDER)]
ORDER_CLAIM_EXAMPLES = [
    OpenApiExample("One guest order claimed", response_only=True, status_codes=["200"],
                   value={"claimed": 1, "orders": [{**GUEST_ORDER, "user": 1}]}),
]
GUEST_PAY_EXAMPLES = [
    OpenApiExample("Pay again in the sandbox", request_only=True,
                   value={"payment_method": "sandbox", "return_url": "/demo/#/guest-orders/{order_key}"}),
    OpenApiExample("Payment opened: send the guest to next_step", response_only=True, status_codes=["201"],
                   value=PAYMENT_START),
]
GUEST_CANCEL_EXAMPLES = [
    OpenApiExample("Cancel", request_only=True, value={"note": "Ordered the wrong size"}),
    OpenApiExample("The cancelled order", response_only=True, status_codes=["200"], value={
        **GUEST_ORDER, "status": "cancelled", "cancel_reason": "customer", "cancelled_at": "2026-11-30T10:20:00Z",
        "payment_outcome": "cancelled", "next_step": None, "payment_url": None,
        "payments": [{**GUEST_ORDER["payments"][0], "status": "cancelled"}],
    }),
]
