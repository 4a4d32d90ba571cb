"""Every event type the outbox records, with the resource each belongs to (its `sequence` runs per resource)."""

from django.db import models


class EventType(models.TextChoices):
    ORDER_CREATED = "order.created"
    ORDER_PAID = "order.paid"
    ORDER_CANCELLED = "order.cancelled"
    ORDER_STATUS_CHANGED = "order.status_changed"
    ORDER_SHIPPED = "order.shipped"
    ORDER_DELIVERED = "order.delivered"
    SHIPMENT_TRACKING_EVENT = "shipment.tracking_event"
    PAYMENT_SUCCEEDED = "payment.succeeded"
    PAYMENT_FAILED = "payment.failed"
    REFUND_SUCCEEDED = "refund.succeeded"
    REFUND_FAILED = "refund.failed"
    PRODUCT_CREATED = "product.created"
    PRODUCT_UPDATED = "product.updated"
    PRODUCT_DELETED = "product.deleted"
    STOCK_LOW = "stock.low"
    CUSTOMER_CREATED = "customer.created"


class Resource(models.TextChoices):
    """What an event is about. Order, shipment tracking and status events share the order's sequence, so a
    receiver sees `order.created` before `order.shipped` before `shipment.tracking_event`; `stock.low` shares the
    product's."""

    ORDER = "order"
    PAYMENT = "payment"
    REFUND = "refund"
    PRODUCT = "product"
    CUSTOMER = "customer"


RESOURCE_OF_TYPE: dict[str, str] = {
    EventType.ORDER_CREATED: Resource.ORDER,
    EventType.ORDER_PAID: Resource.ORDER,
    EventType.ORDER_CANCELLED: Resource.ORDER,
    EventType.ORDER_STATUS_CHANGED: Resource.ORDER,
    EventType.ORDER_SHIPPED: Resource.ORDER,
    EventType.ORDER_DELIVERED: Resource.ORDER,
    EventType.SHIPMENT_TRACKING_EVENT: Resource.ORDER,
    EventType.PAYMENT_SUCCEEDED: Resource.PAYMENT,
    EventType.PAYMENT_FAILED: Resource.PAYMENT,
    EventType.REFUND_SUCCEEDED: Resource.REFUND,
    EventType.REFUND_FAILED: Resource.REFUND,
    EventType.PRODUCT_CREATED: Resource.PRODUCT,
    EventType.PRODUCT_UPDATED: Resource.PRODUCT,
    EventType.PRODUCT_DELETED: Resource.PRODUCT,
    EventType.STOCK_LOW: Resource.PRODUCT,
    EventType.CUSTOMER_CREATED: Resource.CUSTOMER,
}

# A status change has one event: the specific type where one exists, else order.status_changed. An endpoint
# subscribed to order.status_changed receives these too (every status change), under their own type.
STATUS_CHANGE_TYPES = frozenset({
    EventType.ORDER_STATUS_CHANGED, EventType.ORDER_CANCELLED, EventType.ORDER_SHIPPED, EventType.ORDER_DELIVERED,
})
