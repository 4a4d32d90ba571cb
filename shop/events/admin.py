from django.contrib import admin

from .models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The outbox, read-only: events are history."""

    list_display = ("id", "type", "resource_type", "resource_id", "sequence", "occurred_at", "relayed_at")
    list_filter = ("type", "resource_type")
    search_fields = ("=resource_id",)
    readonly_fields = [field.name for field in Event._meta.fields]
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
