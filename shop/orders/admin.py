"""The shop owner's order desk.

An order's page shows everything about it (lines and totals, the address as it was at checkout, every payment
attempt with its refunds, the shipment with its tracking, the status history) and changes nothing by itself:
fulfilment runs through buttons and list actions that call the same services as the staff API
(``admin_fulfilment.py``), so the order pipeline and the stock, payment and history rules hold here too.
"""

from decimal import Decimal

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse

from shop.core.admin import MoneyAdminMixin, ReadOnlyAdminMixin, ReadOnlyInlineMixin
from shop.core.exceptions import ApplicationError
from shop.core.money import money_text
from shop.payments import services as payment_services
from shop.payments.models import Payment
from shop.pricing.admin import tax_lines_admin_text
from shop.pricing.rates import percent_text

from . import services
from .admin_fulfilment import ACTIONS, collect_target
from .models import Order, OrderAddress, OrderItem, OrderStatusChange, Shipment, ShipmentEvent, ShippingMethod
from .transitions import CANCELLABLE

NEEDS_REFUND_HELP = ("Set when money arrived for an order that no longer wants it (paid after it expired or was "
                     "cancelled): the shop must give it back. The refunds under Payments show whether it did.")


def _refusal_text(exc: Exception) -> str:
    if isinstance(exc, ApplicationError):
        return exc.message
    return "; ".join(exc.messages)


@admin.register(ShippingMethod)
class ShippingMethodAdmin(MoneyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "price", "free_over", "tax_class", "is_active"]
    list_filter = ["is_active", "tax_class"]
    list_select_related = ["tax_class"]


class OrderItemInline(MoneyAdminMixin, ReadOnlyInlineMixin, admin.TabularInline):
    model = OrderItem
    fields = ["product_name", "variant_description", "sku", "barcode", "quantity", "unit_price", "line_total",
              "discount", "net", "tax", "gross", "tax_rate_percent", "tax_class", "product", "variant"]
    readonly_fields = ["tax_rate_percent"]

    @admin.display(description="tax rate (%)")
    def tax_rate_percent(self, item):
        return percent_text(item.tax_rate)


class OrderAddressInline(ReadOnlyInlineMixin, admin.StackedInline):
    model = OrderAddress
    verbose_name = verbose_name_plural = "shipping address (as given at checkout)"
    fields = ["full_name", "phone", "email", "address_line_1", "address_line_2", "city", "state", "postal_code",
              "country"]


class OrderStatusChangeInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = OrderStatusChange
    verbose_name_plural = "status history"
    fields = ["created_at", "from_status", "to_status", "changed_by", "reason", "note"]


@admin.register(Order)
class OrderAdmin(MoneyAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only record plus fulfilment: ``has_fulfil_permission`` (the ``change_order`` permission) runs it."""

    list_display = ["order_key", "id", "customer", "status", "payment_status", "payment_method", "total",
                    "created_at"]
    list_display_links = ["order_key"]
    list_filter = ["status", "payment_status", "payment_method", "created_at"]
    search_fields = ["order_key", "id__exact", "email", "user__email", "user__first_name", "user__last_name",
                     "shipping_address__full_name", "shipping_address__email"]
    search_help_text = "Order key, order id, customer e-mail or name."
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    actions = ["deliver_selected", "cancel_selected", "collect_selected"]
    fieldsets = [
        (None, {"fields": ["order_key", "customer", "status", "created_at", "notes"]}),
        ("Totals", {"fields": ["currency", "subtotal", "discount", "shipping_method", "shipping_net", "shipping_tax",
                               "shipping_fee", "tax_total", "total", "tax_lines_display", "tax_source", "tax_country",
                               "tax_region", "prices_include_tax", "tax_rounding_mode"]}),
        ("Payment", {"fields": ["payment_method", "payment_status", "is_fully_paid", "paid_at", "payment_deadline",
                                "needs_refund", "payments_and_refunds"]}),
        ("Shipment", {"fields": ["shipment_and_tracking"]}),
        ("Cancellation", {"fields": ["cancel_reason", "cancelled_at"], "classes": ["collapse"]}),
    ]
    readonly_fields = ["customer", "created_at", "tax_lines_display", "payments_and_refunds", "shipment_and_tracking"]
    inlines = [OrderAddressInline, OrderItemInline, OrderStatusChangeInline]
    change_form_template = "admin/orders/order/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "shipping_method")

    def get_object(self, request, object_id, from_field=None):
        # One read for the page's payments, refunds, shipment and tracking events.
        queryset = self.get_queryset(request).select_related("shipment").prefetch_related(
            "payments__refunds", "shipment__events")
        model = queryset.model
        field = model._meta.pk if from_field is None else model._meta.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (model.DoesNotExist, DjangoValidationError, ValueError):
            return None

    def get_form(self, request, obj=None, change=False, **kwargs):
        # Read as a question the owner answers by looking at the refunds, not as a statement about the order.
        kwargs["help_texts"] = {"needs_refund": NEEDS_REFUND_HELP}
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not obj.was_paid:
            return fieldsets
        # A paid order has no deadline left to meet: the field would only suggest one.
        return [(name, {**options, "fields": [f for f in options["fields"] if f != "payment_deadline"]})
                for name, options in fieldsets]

    def has_fulfil_permission(self, request, obj=None):
        return request.user.has_perm("orders.change_order")

    # --- Display ---------------------------------------------------------------------------------------------

    @admin.display(description="customer", ordering="user__email")
    def customer(self, order):
        if order.user is None:  # a guest's order: the e-mail it keeps
            return f"{order.email} (guest)"
        name = f"{order.user.first_name} {order.user.last_name}".strip()
        return f"{name} <{order.user.email}>" if name else order.user.email

    @admin.display(description="tax lines")
    def tax_lines_display(self, order):
        return tax_lines_admin_text(order.tax_lines)

    @admin.display(description="payments and refunds")
    def payments_and_refunds(self, order):
        return render_to_string("admin/orders/order/payments.html", {"payments": order.payments.all()})

    @admin.display(description="shipment and tracking")
    def shipment_and_tracking(self, order):
        shipment = getattr(order, "shipment", None)
        return render_to_string("admin/orders/order/shipment.html", {"shipment": shipment})

    # --- Fulfilment buttons ------------------------------------------------------------------------------------

    def get_urls(self):
        return [
            path("<path:object_id>/fulfil/<str:action>/", self.admin_site.admin_view(self.fulfil_view),
                 name="orders_order_fulfil"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, object_id)
        buttons = []
        if order is not None and self.has_fulfil_permission(request, order):
            buttons = [(reverse("admin:orders_order_fulfil", args=[order.pk, name]), form.label, name)
                       for name, form in ACTIONS.items() if form.offered(order)]
        return super().change_view(request, object_id, form_url,
                                   extra_context={**(extra_context or {}), "fulfilment_buttons": buttons})

    def fulfil_view(self, request, object_id, action):
        form_class = ACTIONS.get(action)
        order = self.get_object(request, object_id)
        if form_class is None or order is None:
            raise Http404("No such order or action.")
        if not self.has_fulfil_permission(request, order):
            raise PermissionDenied
        form = form_class(request.POST if request.method == "POST" else None, order=order)
        if request.method == "POST" and form.is_valid():
            try:
                done = form.run(user=request.user)
            except (ApplicationError, DjangoValidationError) as exc:
                self.message_user(request, _refusal_text(exc), messages.ERROR)
            else:
                self.message_user(request, done, messages.SUCCESS)
                return redirect("admin:orders_order_change", order.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "original": order, "form": form, "action_label": form_class.label,
            "action_help": form_class.help, "refusal": form.refusal() if request.method != "POST" else "",
            "title": f"{form_class.label}: order {order.order_key}",
            "change_url": reverse("admin:orders_order_change", args=[order.pk]),
        }
        return TemplateResponse(request, "admin/orders/order/fulfil.html", context,
                                status=400 if request.method == "POST" else 200)

    # --- List actions: the same services, one order at a time, each refusal reported -----------------------------

    def _each(self, request, queryset, verb: str, run) -> None:
        done, refused = 0, []
        for order in queryset.order_by("pk"):
            try:
                run(order)
                done += 1
            except (ApplicationError, DjangoValidationError) as exc:
                refused.append(f"{order.order_key}: {_refusal_text(exc)}")
        if done:
            self.message_user(request, f"{done} order(s) {verb}.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description="Mark selected shipped orders delivered", permissions=["fulfil"])
    def deliver_selected(self, request, queryset):
        self._each(request, queryset, "delivered", lambda order: services.order_set_status(
            order_id=order.pk, status=Order.Status.DELIVERED, by=request.user))

    def _confirm(self, request, queryset, *, action: str, title: str, verb: str, rows: list[dict]):
        """The intermediate page Django's ``delete_selected`` shows: what each selected order will undergo
        (stock back, money refunded or marked collected, or refused and why), and a button that posts the
        same action again with ``post=yes``. Nothing moves until then."""
        context = {
            **self.admin_site.each_context(request),
            "title": title, "verb": verb, "opts": self.opts, "rows": rows, "action": action,
            "queryset": queryset, "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/orders/order/action_confirmation.html", context)

    @staticmethod
    def _money(amounts: dict[str, Decimal]) -> str:
        return " + ".join(f"{money_text(amount, currency)} {currency}" for currency, amount in sorted(amounts.items()))

    def _cancel_preview(self, order: Order) -> dict:
        """What cancelling ``order`` would do, read without locks (the service decides again under them)."""
        if order.status not in CANCELLABLE:
            return {"order": order, "refused": f"Order cannot be cancelled: it is already {order.status}."}
        refund: dict[str, Decimal] = {}
        closed = 0
        for payment in order.payments.all():
            if payment.status in Payment.ACTIVE:
                closed += 1
            elif payment.net_paid > 0:
                refund[payment.currency.upper()] = refund.get(payment.currency.upper(), Decimal("0")) + payment.net_paid
        units = sum(item.quantity for item in order.items.all())
        effects = [f"{units} unit(s) back in stock"]
        if refund:
            effects.append(f"refund {self._money(refund)} in full")
        if closed:
            effects.append(f"{closed} open payment(s) closed")
        return {"order": order, "effects": effects}

    @admin.action(description="Cancel selected orders (stock back, payments closed or refunded)",
                  permissions=["fulfil"])
    def cancel_selected(self, request, queryset):
        if request.POST.get("post") != "yes":
            orders = queryset.order_by("pk").select_related("user").prefetch_related("payments", "items")
            return self._confirm(request, queryset, action="cancel_selected", title="Cancel these orders?",
                                 verb="Yes, cancel them and refund what is listed",
                                 rows=[self._cancel_preview(order) for order in orders])
        self._each(request, queryset, "cancelled", lambda order: services.order_set_status(
            order_id=order.pk, status=Order.Status.CANCELLED, by=request.user))
        return None

    def _collect_preview(self, order: Order) -> dict:
        payment = collect_target(order)
        try:
            payment_services.payment_collect_check(payment)
        except ApplicationError as exc:
            return {"order": order, "refused": exc.message}
        amount = money_text(payment.amount, payment.currency)
        return {"order": order, "effects": [f"{amount} {payment.currency.upper()} recorded as collected; "
                                            "the order counts as paid"]}

    @admin.action(description="Mark cash on delivery collected for selected orders", permissions=["fulfil"])
    def collect_selected(self, request, queryset):
        if request.POST.get("post") != "yes":
            orders = queryset.order_by("pk").select_related("user").prefetch_related("payments")
            return self._confirm(request, queryset, action="collect_selected", title="Record cash as collected?",
                                 verb="Yes, the courier brought this cash",
                                 rows=[self._collect_preview(order) for order in orders])

        def collect(order):
            payment = collect_target(order)
            payment_services.payment_collect_check(payment)  # no payment at all: refused with its reason
            payment_services.payment_collect(payment_id=payment.pk, user=request.user)

        self._each(request, queryset.prefetch_related("payments"), "marked paid (cash collected)", collect)
        return None


class ShipmentEventInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = ShipmentEvent
    fields = ["occurred_at", "status", "message", "location"]


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    """Tracking details are edited here; a new status is recorded as a tracking event by the service, which
    moves the order through its pipeline (or refuses, with its reason) — never written onto the row directly."""

    list_display = ["order", "status", "carrier", "tracking_number", "delivered_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["order__order_key", "tracking_number"]
    list_select_related = ["order"]
    fields = ["order", "status", "carrier", "tracking_number", "tracking_url", "estimated_delivery_at",
              "delivered_at"]
    readonly_fields = ["order", "delivered_at"]
    inlines = [ShipmentEventInline]
    TRACKING = ("carrier", "tracking_number", "tracking_url", "estimated_delivery_at")

    def has_add_permission(self, request):
        return False  # checkout creates each order's shipment

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.URLField):
            kwargs["assume_scheme"] = "https"  # carriers' tracking pages; Django 6's default
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        changed = set(form.changed_data)
        details = {field: form.cleaned_data[field] for field in self.TRACKING if field in changed}
        if details:
            services.shipment_update(order_id=obj.order_id, data=details)
        if "status" in changed:
            # No message: the customer reads the status's own label ("In transit"), not an admin's workings.
            services.shipment_event_add(order_id=obj.order_id, status=form.cleaned_data["status"], by=request.user)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ApplicationError, DjangoValidationError) as exc:  # the transaction is rolled back: nothing saved
            self.message_user(request, _refusal_text(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

