"""OpenAPI examples for the webhook operations: real answers' shapes (tests/test_api.py checks each against one)."""

from drf_spectacular.utils import OpenApiExample

ENDPOINT = {
    "id": 1,
    "url": "https://erp.example.com/hooks/shop",
    "events": ["order.created", "order.status_changed", "refund.succeeded"],
    "is_active": True,
    "description": "ERP order import",
    "secret_hint": "...q0E=",
    "rotation_overlap_until": None,
    "consecutive_failures": 0,
    "disabled_reason": "",
    "created_at": "2026-12-01T09:00:00Z",
    "updated_at": "2026-12-01T09:00:00Z",
}
ENDPOINT_WITH_SECRET = {**ENDPOINT, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw3Gx6H8Ez4q0E="}

ENDPOINT_INPUT_EXAMPLE = OpenApiExample(
    "An ERP endpoint",
    value={"url": "https://erp.example.com/hooks/shop", "events": ["order.created", "order.status_changed",
                                                                   "refund.succeeded"],
           "description": "ERP order import"},
    request_only=True,
)
ENDPOINT_CREATED_EXAMPLE = OpenApiExample("Created, with its secret (shown once)", value=ENDPOINT_WITH_SECRET,
                                          response_only=True, status_codes=["201"])
ENDPOINT_ROTATED_EXAMPLE = OpenApiExample(
    "Rotated: the new secret; the previous one signs too until the overlap ends",
    value={**ENDPOINT_WITH_SECRET, "rotation_overlap_until": "2026-12-02T09:00:00Z"}, response_only=True)
ENDPOINT_EXAMPLE = OpenApiExample("An endpoint", value=ENDPOINT, response_only=True)
ENDPOINT_PAGE_EXAMPLE = OpenApiExample("Endpoints", value={"count": 1, "next": None, "previous": None,
                                                           "results": [ENDPOINT]}, response_only=True)

_BODY = ('{"id":"evt_42","number":42,"type":"order.created","timestamp":"2026-12-01T09:30:00Z","resource":"order",'
         '"resource_id":7,"sequence":1,"data":{},"object":{"id":7,"status":"processing"}}')
DELIVERY = {
    "id": 12,
    "endpoint": 1,
    "webhook_id": "evt_42",
    "event_type": "order.created",
    "resource_key": "order:7",
    "sequence": 1,
    "status": "pending",
    "attempts": 1,
    "next_attempt_at": "2026-12-01T09:31:02Z",
    "last_response_status": 503,
    "last_error": "HTTP 503",
    "redelivery_of": None,
    "created_at": "2026-12-01T09:30:00Z",
    "updated_at": "2026-12-01T09:30:01Z",
    "request_body": _BODY,
    "attempt_log": [
        {
            "number": 1,
            "started_at": "2026-12-01T09:30:00Z",
            "request_url": "https://erp.example.com/hooks/shop",
            "request_headers": {
                "content-type": "application/json",
                "webhook-id": "evt_42",
                "webhook-timestamp": "1795944600",
                "webhook-signature": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
            },
            "response_status": 503,
            "response_excerpt": "Service Unavailable",
            "error": "",
            "latency_ms": 41,
            "retry_at": "2026-12-01T09:31:02Z",
        }
    ],
}
DELIVERY_EXAMPLE = OpenApiExample("A delivery waiting for its retry", value=DELIVERY, response_only=True)
DELIVERY_PAGE_EXAMPLE = OpenApiExample("Deliveries", value={"count": 1, "next": None, "previous": None,
                                                            "results": [DELIVERY]}, response_only=True)
PING_EXAMPLE = OpenApiExample(
    "A ping the receiver accepted",
    value={**DELIVERY, "webhook_id": "msg_ping_Qm9vS2VlcGluZ0l0", "event_type": "webhook.ping", "resource_key": "",
           "sequence": 0, "status": "succeeded", "next_attempt_at": "2026-12-01T09:30:00Z",
           "last_response_status": 204, "last_error": "",
           "request_body": '{"id":"msg_ping_Qm9vS2VlcGluZ0l0","type":"webhook.ping","timestamp":"2026-12-01T09:30:00Z",'
                           '"data":{"endpoint_id":1,"url":"https://erp.example.com/hooks/shop"}}',
           "attempt_log": [{**DELIVERY["attempt_log"][0], "response_status": 204, "response_excerpt": "",
                            "retry_at": None}]},
    response_only=True,
)
REDELIVERY_EXAMPLE = OpenApiExample(
    "Queued again (same webhook-id)",
    value={**DELIVERY, "id": 13, "status": "pending", "attempts": 0, "last_response_status": None, "last_error": "",
           "redelivery_of": 12, "attempt_log": []},
    response_only=True, status_codes=["202"],
)
