"""Vouchers and promotions in the Django admin. Writes go through the same services as the staff API (so the same
checks refuse the same things); use counters and the redemption ledger are read-only (they move only with orders)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html_join

from shop.catalog.models import Product
from shop.core.admin import MoneyAdminMixin
from shop.core.exceptions import ApplicationError

from . import selectors, services
from .models import OrderDiscount, Promotion, Redemption, Voucher, VoucherCode


class VoucherCodeFormSet(BaseInlineFormSet):
    """A voucher's code rows, checked by the staff API's own rule (``services.voucher_code_problems``): the code
    pattern, unique ignoring case among the rows of this form (which the database's ``Lower(code)`` index would
    refuse with a 500) and against every code stored (each row's own model validation checks that too). A code an
    order was placed with is read-only (the API renames nothing either); deleting one is refused by the admin
    (its ledger rows are protected)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.used_ids = services.code_used_ids(self.queryset.values_list("pk", flat=True)) if self.instance.pk \
            else set()

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if form.instance.pk in self.used_ids:
            form.fields["code"].disabled = True
            form.fields["code"].help_text = "Orders were placed with it: it stays as it is."
        return form

    def clean(self):
        super().clean()
        leaving = {form.instance.pk for form in self.initial_forms
                   if self._should_delete_form(form) or "code" in form.changed_data}
        rows = [form for form in self.forms
                if form.has_changed() and not self._should_delete_form(form) and "code" in form.changed_data
                and not form.errors and form.cleaned_data.get("code")]
        problems = services.voucher_code_problems([form.cleaned_data["code"].strip() for form in rows],
                                                  exclude_ids=leaving)
        for index, (_code, message) in problems.items():
            rows[index].add_error("code", message)


class VoucherCodeInline(admin.TabularInline):
    model = VoucherCode
    formset = VoucherCodeFormSet
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

    def save_formset(self, request, form, formset, change):
        """The code rows go through the code services (add, rename, delete), as the staff API's writes do."""
        if not isinstance(formset, VoucherCodeFormSet):
            return super().save_formset(request, form, formset, change)
        voucher = formset.instance
        formset.deleted_objects, formset.changed_objects = [], []
        for row in formset.initial_forms:
            if formset._should_delete_form(row):
                services.voucher_code_delete(code=row.instance)
                formset.deleted_objects.append(row.instance)
            elif "code" in row.changed_data:
                services.voucher_code_rename(code=row.instance, new=row.cleaned_data["code"])
                formset.changed_objects.append((row.instance, ["code"]))
        new = [row.cleaned_data["code"] for row in formset.extra_forms
               if row.has_changed() and not formset._should_delete_form(row) and row.cleaned_data.get("code")]
        formset.new_objects = services.voucher_codes_add(voucher=voucher, codes=new) if new else []
        return None

    def _in_use_message(self) -> str:
        return services.VOUCHER_IN_USE_MESSAGE.replace("(is_active false)", "(untick “Is active”)")

    def delete_view(self, request, object_id, extra_context=None):
        """A voucher orders were placed with is kept for their record: say so, as the staff API's 409 does,
        instead of Django's "your account doesn't have permission to delete redemption"."""
        if object_id.isdigit() and services.voucher_in_use_ids([int(object_id)]):
            self.message_user(request, self._in_use_message(), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:discounts_voucher_change", args=[object_id]))
        return super().delete_view(request, object_id, extra_context)

    def get_deleted_objects(self, objs, request):
        """For "delete selected": vouchers in use are listed with the reason they stay (and nothing is deleted)."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        in_use = services.voucher_in_use_ids([voucher.pk for voucher in objs])
        if in_use:
            reason = self._in_use_message()
            return deleted, counts, set(), [f"{voucher}: {reason}" for voucher in objs if voucher.pk in in_use]
        return deleted, counts, perms_needed, protected


@admin.register(Promotion)
class PromotionAdmin(ServiceSavedAdmin):
    form = PromotionForm
    list_display = ("name", "kind", "value", "starts_at", "ends_at", "is_active")
    list_filter = ("is_active", "kind")
    search_fields = ("name",)
    autocomplete_fields = ("products", "categories")

    readonly_fields = ("usage_report", "free_products")

    @admin.display(description="usage")
    def usage_report(self, promotion: Promotion) -> str:
        if not promotion.pk:
            return "-"
        usage = selectors.promotion_usage(promotion=promotion)
        return f"{usage['orders']} orders, {usage['amount_discounted']} discounted"

    @admin.display(description="made free")
    def free_products(self, promotion: Promotion) -> str:
        """The products this sale brings to 0 now (a sale price never goes below 0)."""
        if not promotion.pk:
            return "-"
        ids = selectors.promotion_free_products(promotion=promotion)
        if not ids:
            return "None: every product it covers still costs something."
        names = Product.objects.filter(pk__in=ids).order_by("pk").values_list("pk", "name")
        return format_html_join(", ", '<a href="{}">{}</a>', (
            (reverse("admin:catalog_product_change", args=[pk]), name) for pk, name in names))

    def save_through_service(self, data, instance):
        return services.promotion_save(data=data, promotion=instance)

    # Deleting goes through the service too: catalog pages show sale prices, and the service moves the catalog
    # cache to a new version (Django's own delete would leave the old sale price on cached pages).
    def delete_model(self, request, obj):
        services.promotion_delete(promotion=obj)

    def delete_queryset(self, request, queryset):
        for promotion in queryset:
            services.promotion_delete(promotion=promotion)


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
