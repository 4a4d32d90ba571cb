from django.contrib import admin

from .models import Payment, Refund, SandboxCharge, WebhookEvent


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
