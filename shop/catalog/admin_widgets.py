"""Variant options (``{"size": "M", "colour": "red"}``) edited as name/value rows instead of raw JSON."""

from django import forms
from django.core.exceptions import ValidationError

from .models import ProductVariant


class OptionsWidget(forms.Widget):
    """Rows of two text inputs (option name, value): the stored ones plus ``blank_rows`` empty ones.

    Posted as ``<name>_name_<i>`` / ``<name>_value_<i>`` for i = 0, 1, ... while present; read back as a list of
    (name, value) pairs for :class:`OptionsField` to check.
    """

    template_name = "catalog/widgets/options.html"
    blank_rows = 2

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        pairs = list(value.items()) if isinstance(value, dict) else list(value or [])
        context["widget"]["rows"] = [*pairs, *[("", "")] * self.blank_rows]
        return context

    def format_value(self, value):
        return value

    def value_from_datadict(self, data, files, name):
        pairs, index = [], 0
        while f"{name}_name_{index}" in data:
            pairs.append((data.get(f"{name}_name_{index}", "").strip(), data.get(f"{name}_value_{index}", "").strip()))
            index += 1
        return pairs

    def value_omitted_from_data(self, data, files, name):
        return f"{name}_name_0" not in data


class OptionsField(forms.Field):
    """Name/value rows to a dict; empty rows are dropped, a value without a name or a repeated name is refused."""

    widget = OptionsWidget

    def to_python(self, value):
        if isinstance(value, dict):
            return value
        options = {}
        for name, text in value or []:
            if not name and not text:
                continue
            if not name:
                raise ValidationError(f"The value '{text}' needs an option name (e.g. size).")
            if name in options:
                raise ValidationError(f"The option '{name}' is given twice.")
            options[name] = text
        return options

    def has_changed(self, initial, data):
        try:
            return (initial or {}) != self.to_python(data)
        except ValidationError:
            return True


class VariantAdminForm(forms.ModelForm):
    options = OptionsField(required=False, help_text="One option per row, e.g. size = M, colour = red.")

    class Meta:
        model = ProductVariant
        fields = ("product", "sku", "barcode", "name", "options", "price_override", "tax_class", "stock_quantity",
                  "is_active", "is_deleted")
