from django.contrib import admin
from django.db import models

from .models import Order, OrderAddress, OrderItem, OrderStatusChange, Shipment, ShipmentEvent, ShippingMethod


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    list_display = ["name", "price", "free_over", "is_active"]
    list_filter = ["is_active"]


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    can_delete = False
    readonly_fields = ["product", "variant", "product_name", "variant_description", "sku", "barcode", "quantity",
                       "unit_price", "line_total"]


class OrderAddressInline(admin.StackedInline):
    model = OrderAddress
    extra = 0
    can_delete = False


class OrderStatusChangeInline(admin.TabularInline):
    model = OrderStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "changed_by", "reason", "note", "created_at"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Read-mostly: status changes go through the API so stock, history and the payment rules stay consistent.

    ``payment_method`` is read-only too: switching an order to cash on delivery here would let it ship unpaid.
    """

    list_display = ["order_key", "user", "status", "total", "payment_status", "created_at"]
    list_filter = ["status", "payment_status"]
    search_fields = ["order_key", "user__email"]
    list_select_related = ["user"]
    readonly_fields = ["order_key", "user", "status", "subtotal", "shipping_fee", "total", "payment_method",
                       "payment_status",
                       "is_fully_paid", "paid_at", "payment_deadline", "cancel_reason", "cancelled_at",
                       "idempotency_key"]
    inlines = [OrderAddressInline, OrderItemInline, OrderStatusChangeInline]


class ShipmentEventInline(admin.TabularInline):
    """Shown, never added or edited here: ``POST /orders/admin/{id}/shipment/events/`` applies the shipping rule."""

    model = ShipmentEvent
    extra = 0
    can_delete = False
    readonly_fields = ["status", "message", "location", "occurred_at", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    """Carrier and tracking are edited here; the status moves only through the API (an unpaid online order must
    not be marked shipped or delivered: ``shop.orders.policy.order_fulfilment_check``)."""

    list_display = ["order", "status", "carrier", "tracking_number"]
    list_select_related = ["order"]
    raw_id_fields = ["order"]  # a select would list every order on each page
    readonly_fields = ["order", "status", "delivered_at"]
    inlines = [ShipmentEventInline]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.URLField):
            kwargs["assume_scheme"] = "https"  # carriers' tracking pages; and Django 6's default
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def has_add_permission(self, request) -> bool:
        return False  # every order gets its shipment at checkout
