"""Admin building blocks shared by the apps: read-only records, and the site's name.

Financial and historical rows (order lines and totals, payments, refunds, webhook events, status history) are
written only by services; the admin shows them and nothing more.
"""

from django.conf import settings
from django.contrib import admin


def admin_site_configure() -> None:
    """Name the admin after the shop (``SHOP_NAME``) instead of "Django administration"."""
    admin.site.site_header = f"{settings.SHOP_NAME} administration"
    admin.site.site_title = settings.SHOP_NAME
    admin.site.index_title = "Orders, catalog and customers"


class ReadOnlyAdminMixin:
    """A model admin that shows rows and never adds, changes or deletes them (view permission suffices)."""

    def get_readonly_fields(self, request, obj=None):
        hidden = set(self.exclude or ())
        own = [field.name for field in self.model._meta.fields if field.name not in hidden]
        return [*own, *(name for name in super().get_readonly_fields(request, obj) if name not in own)]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInlineMixin(ReadOnlyAdminMixin):
    """A read-only inline that whoever may view the page's object may see (no separate view permission)."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        parent = self.parent_model._meta
        return super().has_view_permission(request, obj) or request.user.has_perm(
            f"{parent.app_label}.view_{parent.model_name}") or request.user.has_perm(
            f"{parent.app_label}.change_{parent.model_name}")
