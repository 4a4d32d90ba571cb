"""Vouchers and promotions in the Django admin. Writes go through the same services as the staff API (so the same
checks refuse the same things); use counters and the redemption ledger are read-only (they move only with orders)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count

from shop.core.admin import MoneyAdminMixin
from shop.core.exceptions import ApplicationError

from . import selectors, services
from .models import OrderDiscount, Promotion, Redemption, Voucher, VoucherCode


class VoucherCodeInline(admin.TabularInline):
    model = VoucherCode
    extra = 1
    fields = ("code", "times_used", "created_at")
    readonly_fields = ("times_used", "created_at")


class ReadOnlyInline(MoneyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RedemptionInline(ReadOnlyInline):
    model = Redemption
    raw_id_fields = ("order", "code")
    fields = ("order", "code", "email", "status", "amount", "reserved_at", "consumed_at", "released_at")
    readonly_fields = fields
    ordering = ("-reserved_at",)


def _form_check(validate, model, form, cleaned: dict) -> None:
    """Run the service's own validation on the form's values, so the admin refuses what the API refuses."""
    fields = {name: value for name, value in cleaned.items()
              if name in {f.name for f in model._meta.concrete_fields}}
    candidate = model(pk=form.instance.pk, **fields)
    try:
        validate(candidate, cleaned)
    except ApplicationError as exc:
        raise ValidationError(exc.extra.get("errors") or exc.message) from None


class VoucherForm(forms.ModelForm):
    class Meta:
        model = Voucher
        fields = ("name", "kind", "value", "scope", "products", "variants", "categories", "min_spend", "min_quantity",
                  "starts_at", "ends_at", "usage_limit", "code_usage_limit", "per_customer_limit",
                  "combines_with_promotions", "is_active")

    def clean(self):
        cleaned = super().clean()
        _form_check(lambda voucher, data: services.voucher_validate(voucher=voucher, data=data), Voucher, self,
                    cleaned)
        if self.instance.pk and cleaned.get("usage_limit") is not None \
                and cleaned["usage_limit"] < self.instance.times_used:
            raise ValidationError({"usage_limit": f"This voucher holds {self.instance.times_used} uses already."})
        return cleaned


class PromotionForm(forms.ModelForm):
    class Meta:
        model = Promotion
        fields = ("name", "kind", "value", "products", "categories", "starts_at", "ends_at", "is_active")

    def clean(self):
        cleaned = super().clean()
        _form_check(lambda promotion, data: services.promotion_validate(promotion=promotion, data=data), Promotion,
                    self, cleaned)
        return cleaned


class ServiceSavedAdmin(MoneyAdminMixin, admin.ModelAdmin):
    """Saves the object through its service (``save_through_service``), which also sets its products, variants
    and categories; only inlines are saved here afterwards. ``value`` is percent or amount: shown as stored."""

    not_money_fields = ("value",)

    def save_through_service(self, data, instance):
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        obj.pk = self.save_through_service(dict(form.cleaned_data), obj if change else None).pk

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(Voucher)
class VoucherAdmin(ServiceSavedAdmin):
    form = VoucherForm
    list_display = ("name", "kind", "value", "scope", "times_used", "usage_limit", "code_total", "is_active",
                    "starts_at", "ends_at")
    list_filter = ("is_active", "kind", "scope")
    search_fields = ("name", "codes__code")
    readonly_fields = ("times_used", "usage_report")
    autocomplete_fields = ("products", "categories")
    raw_id_fields = ("variants",)
    inlines = (VoucherCodeInline, RedemptionInline)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(code_total=Count("codes"))

    @admin.display(description="codes", ordering="code_total")
    def code_total(self, voucher: Voucher) -> int:
        return voucher.code_total

    @admin.display(description="usage")
    def usage_report(self, voucher: Voucher) -> str:
        if not voucher.pk:
            return "-"
        usage = selectors.voucher_usage(voucher=voucher)
        return (f"{usage['times_used']} uses held by {usage['orders']} orders ({usage['consumed']} paid), "
                f"{usage['released']} released, {usage['amount_discounted']} discounted")

    def save_through_service(self, data, instance):
        return services.voucher_save(data=data, voucher=instance)


@admin.register(Promotion)
class PromotionAdmin(ServiceSavedAdmin):
    form = PromotionForm
    list_display = ("name", "kind", "value", "starts_at", "ends_at", "is_active")
    list_filter = ("is_active", "kind")
    search_fields = ("name",)
    autocomplete_fields = ("products", "categories")

    readonly_fields = ("usage_report",)

    @admin.display(description="usage")
    def usage_report(self, promotion: Promotion) -> str:
        if not promotion.pk:
            return "-"
        usage = selectors.promotion_usage(promotion=promotion)
        return f"{usage['orders']} orders, {usage['amount_discounted']} discounted"

    def save_through_service(self, data, instance):
        return services.promotion_save(data=data, promotion=instance)


@admin.register(Redemption)
class RedemptionAdmin(MoneyAdminMixin, admin.ModelAdmin):
    """The ledger, read-only: it moves only with orders (checkout, payment, cancel, expiry)."""

    list_display = ("order", "voucher", "code", "email", "status", "amount", "reserved_at", "released_at")
    list_filter = ("status",)
    search_fields = ("code__code", "email", "order__order_key")
    list_select_related = ("order", "voucher", "code")
    raw_id_fields = ("order", "voucher", "code")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OrderDiscount)
class OrderDiscountAdmin(RedemptionAdmin):
    list_display = ("order", "source", "code", "name", "target", "amount")
    list_filter = ("source", "target")
    search_fields = ("code", "name", "order__order_key")
    list_select_related = ("order",)
    raw_id_fields = ("order", "voucher", "promotion")
