"""OpenAPI examples for the event feed (a real answer's shape; shop/webhooks/tests/test_api_examples.py keeps it)."""

from drf_spectacular.utils import OpenApiExample

EVENT = {
    "id": "evt_42",
    "number": 42,
    "type": "order.shipped",
    "timestamp": "2026-12-01T09:30:00Z",
    "resource": "order",
    "resource_id": 7,
    "sequence": 3,
    "data": {"from_status": "processing", "to_status": "shipped"},
    "object": {"id": 7, "order_key": "ORD-AAC29E8E8932D81F", "status": "shipped", "total": "119.98"},
}

EVENT_PAGE_EXAMPLE = OpenApiExample(
    "Events after number 41",
    value={"count": 1, "next": None, "previous": None, "results": [EVENT]},
    response_only=True,
)
