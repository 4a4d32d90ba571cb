from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm

from . import services
from .models import Address, User


class SessionEndingPasswordChangeForm(AdminPasswordChangeForm):
    """The admin's "change password" form: a new password ends the user's sessions, as the API's does."""

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            services.user_sessions_revoke(user=user)
        return user


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_email_verified", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "is_email_verified"]
    # Only a link or code sent to the address verifies it: staff cannot vouch for a mailbox they do not read.
    readonly_fields = ["is_email_verified"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "is_email_verified", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    change_password_form = SessionEndingPasswordChangeForm

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            services.user_sessions_revoke(user=obj)  # a disabled account's tokens end now, and stay ended


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = ["full_name", "user", "city", "country", "is_default"]
    search_fields = ["full_name", "user__email", "city"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]  # a select would list every account on each page
