"""Admin for outbound webhooks: endpoints through the same services as the staff API (the secret is shown once,
in a message, after creating or rotating), and the delivery log, read-only, with a redeliver action."""

from django import forms
from django.contrib import admin, messages

from shop.core.exceptions import ApplicationError
from shop.events.types import EventType

from . import services
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .ssrf import url_check


class EndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(choices=[("*", "every event"), *EventType.choices],
                                       widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "events", "is_active", "description"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        if self.instance.pk is None or url != self.instance.url:
            try:
                url_check(url)
            except ApplicationError as refusal:
                raise forms.ValidationError(refusal.message) from None
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ("id", "url", "is_active", "consecutive_failures", "disabled_reason", "created_at")
    list_filter = ("is_active",)
    actions = ["rotate_secret", "ping"]

    def save_model(self, request, obj, form, change):
        data = {field: form.cleaned_data[field] for field in ("url", "events", "is_active", "description")}
        if change:
            services.endpoint_update(endpoint_id=obj.pk, data=data)
            obj.refresh_from_db()
            return
        endpoint = services.endpoint_create(**data)
        obj.pk, obj.secret = endpoint.pk, endpoint.secret
        self.message_user(request, f"Signing secret of {endpoint.url} (shown only now, store it): {endpoint.secret}",
                          messages.WARNING)

    @admin.action(description="Rotate the signing secret (the old one signs too for the overlap)")
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            rotated = services.endpoint_rotate_secret(endpoint_id=endpoint.pk)
            self.message_user(request, f"New signing secret of {rotated.url} (shown only now): {rotated.secret}",
                              messages.WARNING)

    @admin.action(description="Send a ping")
    def ping(self, request, queryset):
        for endpoint in queryset:
            delivery = services.endpoint_ping(endpoint_id=endpoint.pk)
            level = messages.SUCCESS if delivery.status == WebhookDelivery.Status.SUCCEEDED else messages.ERROR
            self.message_user(request, f"Ping to {endpoint.url}: {delivery.status} "
                                       f"({delivery.last_response_status or delivery.last_error})", level)


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ("number", "started_at", "response_status", "latency_ms", "error", "response_excerpt",
              "request_headers", "retry_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: read-only (history), with a redeliver action that runs the API's service."""

    list_display = ("id", "message_id", "event_type", "endpoint", "status", "attempts", "last_response_status",
                    "next_attempt_at", "created_at")
    list_filter = ("status", "event_type")
    search_fields = ("=message_id", "resource_key")
    list_select_related = ("endpoint",)
    inlines = [AttemptInline]
    actions = ["redeliver"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Redeliver (same webhook-id, new signatures)")
    def redeliver(self, request, queryset):
        for delivery in queryset:
            try:
                copy = services.delivery_redeliver(delivery_id=delivery.pk)
            except ApplicationError as refusal:
                self.message_user(request, f"{delivery.message_id}: {refusal.message}", messages.ERROR)
            else:
                self.message_user(request, f"{delivery.message_id} queued again (delivery {copy.pk}).",
                                  messages.SUCCESS)
