from django.contrib import admin

from .models import TaxClass, TaxRate
from .rates import percent_text, tax_lines_text


def tax_lines_admin_text(tax_lines) -> str:
    """An order's or refund's stored tax lines as the admin shows them, rates as the API writes them:
    ``"19 %: 420.15 + 79.85 tax; 7 %: 10.00 + 0.70 tax"`` ("—" for none)."""
    return "; ".join(f"{line['rate']} %: {line['base']} + {line['amount']} tax"
                     for line in tax_lines_text(tax_lines or [])) or "—"


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
    list_display = ("tax_class", "country", "region", "rate_percent")
    list_filter = ("tax_class", "country")
    list_select_related = ("tax_class",)
    search_fields = ("region", "tax_class__code")

    @admin.display(description="rate (%)", ordering="rate")
    def rate_percent(self, tax_rate):
        return percent_text(tax_rate.rate)
