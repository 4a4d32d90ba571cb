from django.contrib import admin

from .models import TaxClass, TaxRate


class TaxRateInline(admin.TabularInline):
    model = TaxRate
    extra = 0
    fields = ("country", "region", "rate")


@admin.register(TaxClass)
class TaxClassAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_default")
    search_fields = ("code", "name")
    inlines = (TaxRateInline,)


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    list_display = ("tax_class", "country", "region", "rate")
    list_filter = ("tax_class", "country")
    list_select_related = ("tax_class",)
    search_fields = ("region", "tax_class__code")
