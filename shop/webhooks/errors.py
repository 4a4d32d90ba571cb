"""The webhooks app's error codes (see ``shop.core.errors`` for the convention)."""

from enum import StrEnum


class WebhookErrorCode(StrEnum):
    """Refusals of the staff endpoint and delivery API."""

    WEBHOOK_URL_REFUSED = "webhook_url_refused"  # not http(s), unresolvable, or a loopback/private/metadata address
    INVALID_EVENT_TYPES = "invalid_event_types"  # an unknown event type, or none
    WEBHOOK_NOT_FOUND = "webhook_not_found"  # (404)
    WEBHOOK_DELIVERY_NOT_FOUND = "webhook_delivery_not_found"  # (404)
    PING_NOT_REDELIVERED = "ping_not_redelivered"  # a ping is sent anew, never redelivered
    DELIVERY_IN_PROGRESS = "delivery_in_progress"  # an attempt of the delivery is in flight (409)
