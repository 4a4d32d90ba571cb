from django.contrib import admin

from .models import Payment, PaymentMethodSetting, Refund, SandboxCharge, WebhookEvent


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    readonly_fields = ["amount", "reason", "status", "provider_refund_id", "failure_message", "requested_by",
                       "created_at"]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    """Read-mostly: money moves through the API and the gateways, never by editing a row here."""

    list_display = ["id", "order", "user", "provider", "status", "amount", "amount_refunded", "currency", "flagged",
                    "created_at"]
    list_filter = ["provider", "status", "flagged", "currency"]
    search_fields = ["provider_payment_id", "provider_invoice_id", "user__email", "order__order_key"]
    list_select_related = ["order", "user"]
    readonly_fields = [field.name for field in Payment._meta.fields if field.name not in ("flagged", "flag_reason")]
    inlines = [RefundInline]
    date_hierarchy = "created_at"


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["provider", "event_type", "event_id", "provider_payment_id", "received_at", "processed_at",
                    "outcome"]
    list_filter = ["provider", "event_type"]
    search_fields = ["event_id", "provider_payment_id"]
    readonly_fields = [field.name for field in WebhookEvent._meta.fields]


@admin.register(SandboxCharge)
class SandboxChargeAdmin(admin.ModelAdmin):
    list_display = ["provider_payment_id", "status", "amount", "currency", "amount_refunded", "created_at"]


@admin.register(PaymentMethodSetting)
class PaymentMethodSettingAdmin(admin.ModelAdmin):
    """Staff's switches per payment method; the methods themselves come from the code (one row each)."""

    list_display = ["id", "code", "name", "is_active", "min_order_total", "max_order_total", "currencies"]
    list_editable = ["is_active"]
    readonly_fields = ["id", "code", "created_at", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return False  # rows come from the registry (data migration, or the first staff change through the API)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate instead: orders keep naming the method
