"""Payments, refunds and webhook events are records of money that moved: the admin shows them, never edits them.
Refunds and cash collection run from the order's page (``shop.orders.admin``), through the payment services."""

from django.contrib import admin

from shop.core.admin import MoneyAdminMixin, ReadOnlyAdminMixin, ReadOnlyInlineMixin
from shop.pricing.admin import tax_lines_admin_text
from shop.pricing.rates import percent_text

from .models import Payment, PaymentMethodSetting, Refund, RefundLine, SandboxCharge, WebhookEvent


class RefundInline(MoneyAdminMixin, ReadOnlyInlineMixin, admin.TabularInline):
    model = Refund
    fields = ["amount", "tax", "tax_lines_display", "reason", "status", "provider_refund_id", "failure_message",
              "requested_by", "created_at"]
    readonly_fields = ["tax_lines_display"]

    @admin.display(description="tax lines")
    def tax_lines_display(self, refund):
        return tax_lines_admin_text(refund.tax_lines)


class RefundLineInline(MoneyAdminMixin, ReadOnlyInlineMixin, admin.TabularInline):
    model = RefundLine
    fields = ["kind", "order_item", "quantity", "amount", "tax", "tax_rate_percent"]
    readonly_fields = ["tax_rate_percent"]

    @admin.display(description="tax rate (%)")
    def tax_rate_percent(self, line):
        return percent_text(line.tax_rate)


@admin.register(Refund)
class RefundAdmin(MoneyAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """A refund with its tax and what it gave back of each order line (a credit note's figures)."""

    list_display = ["id", "payment", "amount", "tax", "status", "reason", "created_at"]
    list_filter = ["status", "reason"]
    search_fields = ["payment__order__order_key", "provider_refund_id"]
    list_select_related = ["payment"]
    inlines = [RefundLineInline]


@admin.register(Payment)
class PaymentAdmin(MoneyAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "order", "user", "provider", "status", "amount", "amount_refunded", "currency", "flagged",
                    "created_at"]
    list_filter = ["provider", "status", "flagged", "currency"]
    search_fields = ["provider_payment_id", "provider_invoice_id", "user__email", "order__order_key"]
    list_select_related = ["order", "user"]
    exclude = ["client_secret"]  # a credential for the customer's browser, not for staff eyes
    inlines = [RefundInline]
    date_hierarchy = "created_at"


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["provider", "event_type", "event_id", "provider_payment_id", "received_at", "processed_at",
                    "outcome"]
    list_filter = ["provider", "event_type"]
    search_fields = ["event_id", "provider_payment_id"]


@admin.register(SandboxCharge)
class SandboxChargeAdmin(MoneyAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The sandbox gateway's own side of each charge: what a real gateway's dashboard would show."""

    list_display = ["provider_payment_id", "status", "amount", "currency", "amount_refunded", "created_at"]


@admin.register(PaymentMethodSetting)
class PaymentMethodSettingAdmin(MoneyAdminMixin, admin.ModelAdmin):
    """Staff's switches per payment method; the methods themselves come from the code (one row each)."""

    list_display = ["id", "code", "name", "is_active", "min_order_total", "max_order_total", "currencies"]
    list_editable = ["is_active"]
    readonly_fields = ["id", "code", "created_at", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return False  # rows come from the registry (data migration, or the first staff change through the API)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate instead: orders keep naming the method
