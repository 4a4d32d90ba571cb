"""OpenAPI examples of the staff discounts API: real answers, tidied."""

from drf_spectacular.utils import OpenApiExample

VOUCHER = {
    "id": 3, "name": "10 % off your first order", "kind": "percentage", "value": "10.00", "scope": "order",
    "products": [], "variants": [], "categories": [], "min_spend": "20.00", "min_quantity": None,
    "starts_at": "2026-12-01T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z", "usage_limit": 1000,
    "code_usage_limit": None, "per_customer_limit": 1, "combines_with_promotions": False, "is_active": True,
    "times_used": 0, "code_count": 1, "created_at": "2026-11-30T10:15:00Z", "updated_at": "2026-11-30T10:15:00Z",
}
VOUCHER_EXAMPLES = [
    OpenApiExample("10 % off once per customer", request_only=True, value={
        "name": "10 % off your first order", "kind": "percentage", "value": "10", "min_spend": "20.00",
        "starts_at": "2026-12-01T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z", "usage_limit": 1000,
        "per_customer_limit": 1, "codes": ["WELCOME10"],
    }),
    OpenApiExample("Free shipping", request_only=True, value={"name": "Free shipping", "kind": "free_shipping",
                                                              "scope": "shipping", "codes": ["SHIPFREE"]}),
    OpenApiExample("The voucher", response_only=True, status_codes=["201"], value=VOUCHER),
]
VOUCHER_CODES_EXAMPLES = [
    OpenApiExample("500 one-time codes", request_only=True, value={"count": 500, "prefix": "SPRING-"}),
    OpenApiExample("Given codes", request_only=True, value={"codes": ["VIP-ADA", "VIP-GRACE"]}),
    OpenApiExample("The new codes", response_only=True, status_codes=["201"], value={
        "created": 2, "codes": [{"id": 8, "code": "VIP-ADA", "times_used": 0, "created_at": "2026-11-30T10:15:00Z"},
                                {"id": 9, "code": "VIP-GRACE", "times_used": 0,
                                 "created_at": "2026-11-30T10:15:00Z"}],
    }),
]
PROMOTION_EXAMPLES = [
    OpenApiExample("20 % off a category for a week", request_only=True, value={
        "name": "Winter sale", "kind": "percentage", "value": "20", "categories": [2],
        "starts_at": "2026-12-01T00:00:00Z", "ends_at": "2026-12-08T00:00:00Z",
    }),
    OpenApiExample("The promotion", response_only=True, status_codes=["201"], value={
        "id": 1, "name": "Winter sale", "kind": "percentage", "value": "20.00", "products": [], "categories": [2],
        "starts_at": "2026-12-01T00:00:00Z", "ends_at": "2026-12-08T00:00:00Z", "is_active": True,
        "created_at": "2026-11-30T10:15:00Z", "updated_at": "2026-11-30T10:15:00Z", "free_products": [],
    }),
]
USAGE_EXAMPLE = {"times_used": 12, "orders": 12, "amount_discounted": "143.20"}
