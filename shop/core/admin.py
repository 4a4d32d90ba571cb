"""Admin building blocks shared by the apps: read-only records, amounts with their currency's digits, and the
site's name.

Financial and historical rows (order lines and totals, payments, refunds, webhook events, status history) are
written only by services; the admin shows them and nothing more.
"""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db import models

from .money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, minor_unit, money_text


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


def is_money_column(field) -> bool:
    """A money column (``shop.core.money.MONEY_COLUMN``): a DecimalField of 13 digits, 3 of them decimals."""
    return (isinstance(field, models.DecimalField) and field.max_digits == MONEY_MAX_DIGITS
            and field.decimal_places == MONEY_DECIMAL_PLACES)


def _row_currency(row) -> str:
    currency = getattr(row, "currency", None)
    return currency if isinstance(currency, str) and currency else settings.SHOP_CURRENCY


def _money_display(field):
    """A display function (the admin calls it with the row) writing ``field`` with its currency's digits."""

    @admin.display(description=field.verbose_name, ordering=field.name)
    def show(row) -> str:
        value = getattr(row, field.name)
        return "-" if value is None else money_text(value, _row_currency(row))

    return show


class MoneyInput(forms.NumberInput):
    """An edit box for an amount of the shop's currency: shows ``10.50`` (EUR) or ``100`` (JPY), not the column's
    ``10.500``, and steps by one minor unit."""

    def __init__(self, attrs=None):
        super().__init__({"step": "any", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, Decimal) and value.is_finite():
            return money_text(value, settings.SHOP_CURRENCY)
        return super().format_value(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["step"] = str(Decimal(1).scaleb(-minor_unit(settings.SHOP_CURRENCY)))
        return context


class MoneyAdminMixin:
    """Amounts in a model admin (lists, read-only fields, edit boxes) with exactly their currency's digits: the row's
    own ``currency`` where it has one (orders, payments), else ``SHOP_CURRENCY`` (no query per row). Django would
    write a money column's three decimals ("100.000" yen).

    Read-only money fields are shown through a display function named ``<field>_money``, swapped in for the field's
    name wherever the field is read-only (lists, read-only fields, fieldsets); editable ones keep their name and get
    a :class:`MoneyInput`. ``not_money_fields`` names money columns that hold something else too (a voucher's
    ``value``: percent or amount), left as Django shows them.
    """

    not_money_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.money_fields = [field.name for field in self.model._meta.concrete_fields
                             if is_money_column(field) and field.name not in self.not_money_fields]
        for name in self.money_fields:
            setattr(self, f"{name}_money", _money_display(self.model._meta.get_field(name)))

    def _swap(self, names, read_only) -> list:
        return [f"{name}_money" if isinstance(name, str) and name in read_only else name for name in names]

    def _read_only_money(self, request, obj=None) -> set[str]:
        """The money fields shown read-only: all of them to whoever may not change the row (Django then shows the
        whole page read-only), else those the admin lists as read-only."""
        if not self.has_change_permission(request, obj):
            return set(self.money_fields)
        return set(self.money_fields) & set(super().get_readonly_fields(request, obj))

    def get_readonly_fields(self, request, obj=None):
        read_only = self._read_only_money(request, obj)
        names = self._swap(super().get_readonly_fields(request, obj), read_only)
        return [*names, *(display for name in self.money_fields
                          if name in read_only and (display := f"{name}_money") not in names)]

    def get_exclude(self, request, obj=None):
        # The form leaves out what is read-only; the money fields are read-only under their display names.
        return [*(super().get_exclude(request, obj) or ()), *self._read_only_money(request, obj)] or None

    def get_fieldsets(self, request, obj=None):
        read_only = self._read_only_money(request, obj)
        return [(title, {**options, "fields": [self._swap(group, read_only) if isinstance(group, list | tuple)
                                               else self._swap([group], read_only)[0]
                                               for group in options["fields"]]})
                for title, options in super().get_fieldsets(request, obj)]

    def get_list_display(self, request):
        editable = set(getattr(self, "list_editable", ()) or ())
        return self._swap(super().get_list_display(request), set(self.money_fields) - editable)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.money_fields:
            kwargs["widget"] = MoneyInput
        return super().formfield_for_dbfield(db_field, request, **kwargs)
