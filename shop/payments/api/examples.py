"""OpenAPI examples for starting, polling, reading and refunding a payment (tests/test_docs_schema.py keeps them
true)."""

from drf_spectacular.utils import OpenApiExample

PAYMENT_START = {
    "payment": {
        "id": 1,
        "order": {"id": 1, "status": "processing", "total_amount": "119.98", "created_at": "2026-11-30T10:15:00Z"},
        "provider": "sandbox",
        "stripe_payment_intent_id": None,
        "provider_payment_id": "sbx_25e4d7689a60751ba944e438",
        "provider_invoice_id": "",
        "checkout_url": "http://127.0.0.1:8000/payments/sandbox/pay/eyJwIjoxLCJjIjoic2J4XzI1ZTRkNzY4OWE2MCJ9:1xXsjX:Zk3bWq0example/",
        "status": "pending",
        "status_display": "Pending",
        "amount": "119.98",
        "amount_refunded": "0.00",
        "currency": "USD",
        "failure_message": None,
        "is_successful": False,
        "is_pending": True,
        "is_failed": False,
        "can_be_refunded": False,
        "flagged": False,
        "created_at": "2026-11-30T10:15:00Z",
        "updated_at": "2026-11-30T10:15:00Z",
    },
    "client_secret": None,
    "publishable_key": None,
    "checkout_url": "http://127.0.0.1:8000/payments/sandbox/pay/eyJwIjoxLCJjIjoic2J4XzI1ZTRkNzY4OWE2MCJ9:1xXsjX:Zk3bWq0example/",
    "next_step": "http://127.0.0.1:8000/payments/sandbox/pay/eyJwIjoxLCJjIjoic2J4XzI1ZTRkNzY4OWE2MCJ9:1xXsjX:Zk3bWq0example/",
}

CREATE_INTENT_EXAMPLES = [
    OpenApiExample(
        "Pay an order in the sandbox", request_only=True, value={"order_id": 1, "payment_method": "sandbox"}
    ),
    OpenApiExample("Pay an order with Stripe", request_only=True, value={"order_id": 1, "payment_method": "stripe"}),
    OpenApiExample(
        "Payment opened: send the customer to next_step", response_only=True, status_codes=["201"], value=PAYMENT_START
    ),
]
PAYMENT_STATUS_EXAMPLES = [
    OpenApiExample(
        "Still waiting",
        response_only=True,
        status_codes=["200"],
        value={"id": 1, "order_id": 1, "status": "pending", "status_display": "Pending", "is_successful": False},
    ),
    OpenApiExample(
        "Paid",
        response_only=True,
        status_codes=["200"],
        value={"id": 1, "order_id": 1, "status": "succeeded", "status_display": "Succeeded", "is_successful": True},
    ),
]
REFUND = {
    "id": 1,
    "amount": "100.00",
    "tax": "15.97",
    "tax_lines": [{"rate": "19", "base": "84.03", "amount": "15.97"}],
    "lines": [{"kind": "item", "order_item": 1, "quantity": 1, "amount": "100.00", "tax": "15.97", "tax_rate": "19"}],
    "status": "succeeded",
    "reason": "requested_by_customer",
    "created_at": "2026-11-30T10:20:00Z",
}
REFUND_EXAMPLES = [
    OpenApiExample("All that is left of the payment", request_only=True, value={"payment_id": 1}),
    OpenApiExample("An amount (staff)", request_only=True, value={"payment_id": 1, "amount": "10.00"}),
    OpenApiExample("One unit of an order line, and shipping (staff)", request_only=True,
                   value={"payment_id": 1, "lines": [{"order_item_id": 1, "quantity": 1}], "shipping": True,
                          "reason": "requested_by_customer"}),
    OpenApiExample("Refunded: what came back, with its tax", response_only=True, status_codes=["200"], value={
        "message": "Payment refunded successfully.",
        "payment": {**PAYMENT_START["payment"], "status": "partially_refunded", "status_display": "Partially refunded",
                    "checkout_url": None,
                    "amount": "500.00", "amount_refunded": "100.00", "is_successful": False, "is_pending": False,
                    "can_be_refunded": True, "order": {**PAYMENT_START["payment"]["order"], "total_amount": "500.00"}},
        "refund": REFUND,
    }),
]
PAYMENT_READ_EXAMPLES = [
    OpenApiExample("Paid, then one line refunded", response_only=True, status_codes=["200"], value={
        **REFUND_EXAMPLES[-1].value["payment"],
        "refunds": [REFUND],
    }),
]
