from django.contrib import admin

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
    """Read-mostly: status changes go through the API so stock and history stay consistent."""

    list_display = ["order_key", "user", "status", "total", "payment_status", "created_at"]
    list_filter = ["status", "payment_status"]
    search_fields = ["order_key", "user__email"]
    list_select_related = ["user"]
    readonly_fields = ["order_key", "user", "status", "subtotal", "shipping_fee", "total", "payment_status",
                       "is_fully_paid", "paid_at", "payment_deadline", "cancel_reason", "cancelled_at",
                       "idempotency_key"]
    inlines = [OrderAddressInline, OrderItemInline, OrderStatusChangeInline]


class ShipmentEventInline(admin.TabularInline):
    model = ShipmentEvent
    extra = 0


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["order", "status", "carrier", "tracking_number"]
    list_select_related = ["order"]
    raw_id_fields = ["order"]  # a select would list every order on each page
    inlines = [ShipmentEventInline]
