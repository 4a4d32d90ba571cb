from django.contrib import admin

from shop.core.admin import MoneyAdminMixin

from .models import Cart, CartItem


class CartItemInline(MoneyAdminMixin, admin.TabularInline):
    model = CartItem
    extra = 0
    raw_id_fields = ["product", "variant"]  # a select per line would list the whole catalog


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ["user", "updated_at"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    inlines = [CartItemInline]
