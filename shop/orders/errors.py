"""Error codes of the orders app (its services, the cancel/refund/fulfilment policy, its API)."""

from enum import StrEnum


class OrderErrorCode(StrEnum):
    """The ``code`` of an error this app answers (``{"detail", "code"}``): part of the API's contract,
    one meaning each. Values are the strings clients already read."""

    ADDRESS_NOT_FOUND = "address_not_found"
    CART_EMPTY = "cart_empty"
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    INVALID_PAYMENT_METHOD = "invalid_payment_method"
    INVALID_SHIPMENT_STATUS = "invalid_shipment_status"
    INVALID_SHIPPING_METHOD = "invalid_shipping_method"
    INVALID_STATUS = "invalid_status"
    INVALID_TRANSITION = "invalid_transition"
    ITEMS_REQUIRED = "items_required"
    NOT_CANCELLABLE = "not_cancellable"
    NOT_UPDATABLE = "not_updatable"
    ORDER_CANCELLED = "order_cancelled"
    ORDER_DELIVERED = "order_delivered"
    ORDER_NOT_PAID = "order_not_paid"
    ORDER_PAID = "order_paid"
    ORDER_TOO_LARGE = "order_too_large"
    PARTIAL_REFUND_STAFF_ONLY = "partial_refund_staff_only"
    REFUND_STAFF_ONLY = "refund_staff_only"
    TOTAL_MISMATCH = "total_mismatch"
    VARIANT_REQUIRED = "variant_required"
