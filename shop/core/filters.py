"""Query parameters of every list endpoint: a bad value is a 400 naming the parameter, never a 500.

Every list view filters through a :class:`StrictFilterSet` (django-filter), either through DRF's filter backend
(``filterset_class`` on a generic list view: the settings' ``DEFAULT_FILTER_BACKENDS``) or through
:func:`filter_queryset_or_400` (plain views such as the cached catalog lists). An invalid value raises DRF's
``ValidationError`` keyed by the parameter, which the exception handler renders as
``{"detail": "<param>: <message>", "code": "invalid", "errors": {"<param>": [...]}}``; for an enumeration
(``status``, ``ordering``...) the message lists every valid choice.
"""

import contextlib
import re
from datetime import UTC, date, timedelta
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.fields import BaseCSVField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from .models import shop_amount_validator


def _choices_text(field: forms.ChoiceField) -> str:
    values = [str(value) for value, _label in field.choices if value not in ("", None)]
    return ", ".join(values)


def _name_the_choices(field: forms.Field) -> None:
    """Make a choice field's "invalid choice" message list the valid values (``%`` escaped for Django's
    ``message % params`` formatting)."""
    if isinstance(field, forms.ChoiceField):
        choices = _choices_text(field).replace("%", "%%")
        field.error_messages["invalid_choice"] = f"'%(value)s' is not a valid choice; valid choices: {choices}."


class RangeForm(forms.Form):
    """A filter form refusing each ``(low, high)`` pair of :attr:`StrictFilterSet.ranges` whose low bound is above
    its high bound, as a 400 naming both: such a range matches nothing, so the client has swapped them, and an
    empty page would hide it. Equal bounds are a range of one value."""

    ranges: tuple[tuple[str, str], ...] = ()

    def clean(self):
        cleaned = super().clean()
        for low_name, high_name in self.ranges:
            low, high = cleaned.get(low_name), cleaned.get(high_name)
            if low is None or high is None or low <= high:
                continue
            # Echoed as sent ("2026-12-02", "10.00"), not as parsed; "after"/"start" for times, else "above".
            after, start, end = (("after", "start", "end") if isinstance(low, date)
                                 else ("above", "minimum", "maximum"))
            message = (f"{low_name} ({self.data.get(low_name)}) is {after} {high_name} ({self.data.get(high_name)}); "
                       f"give a range whose {start} is at most its {end}.")
            self.add_error(low_name, message)
            self.add_error(high_name, message)
        return cleaned


class StrictFilterSet(django_filters.FilterSet):
    """Base of every list filterset: enumeration errors list the valid choices, and a range given upside down
    (``ranges``: ``min_price`` above ``max_price``, ``created_from`` after ``created_to``) is refused naming both.

    Unknown parameters are ignored (a cache buster or a client's own marker must not break a list), as in
    django-filter; every declared one is validated by its form field before any query runs.
    """

    #: ``(low, high)`` parameter pairs of the list's ranges (see :class:`RangeForm`).
    ranges: tuple[tuple[str, str], ...] = ()

    def get_form_class(self):
        form_class = super().get_form_class()
        if not self.ranges:
            return form_class
        return type(form_class.__name__, (RangeForm, form_class), {"ranges": self.ranges})

    @property
    def form(self) -> forms.Form:
        if not hasattr(self, "_form"):
            form = super().form
            for field in form.fields.values():
                _name_the_choices(field)
        return self._form


class StatusFilterSet(StrictFilterSet):
    """A filter set with a ``status`` parameter compared in any case and either spelling (``CANCELED``,
    ``canceled``, ``cancelled``): ``shop.core.serializers.status_input``."""

    def __init__(self, data=None, *args, **kwargs):
        from shop.core.serializers import status_input

        if data is not None and isinstance(data.get("status"), str):
            data = data.copy()
            data["status"] = status_input(data["status"])
        super().__init__(data, *args, **kwargs)


class StrictCSVField(BaseCSVField):
    """A comma-separated value whose every item must be present: ``price,,name`` or ``price,`` is refused
    (django-filter passes the empty item on, and ``order_by("")`` raises ``FieldError``, a 500)."""

    def clean(self, value):
        if value is not None and any(not str(item).strip() for item in value):
            valid = f"; valid choices: {_choices_text(self)}" if isinstance(self, forms.ChoiceField) else ""
            raise forms.ValidationError(
                f"An empty item between commas; give a comma-separated list of values{valid}.", code="empty_item"
            )
        return super().clean(value)


class StrictOrderingFilter(django_filters.OrderingFilter):
    """``ordering=a,-b``: only the declared fields, no empty items; then the id, so rows that tie (equal prices
    or names) never shuffle between pages.

    The tie-break follows the first key's direction, so the partial ordering indexes (``price, id``...) serve it.
    """

    base_field_class = StrictCSVField

    def filter(self, qs: QuerySet, value: list[str] | None) -> QuerySet:
        if value in ([], (), {}, "", None):
            return qs
        ordering = [self.get_ordering_value(param) for param in value]
        return qs.order_by(*ordering, "-id" if ordering[0].startswith("-") else "id")


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """A whole, in-range id: ``1.5`` or a 20-digit number is a 400, not a database overflow."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class AmountFilter(django_filters.NumberFilter):
    """An amount of the shop's currency (``?min_price=``), checked as a body's ``MoneyField`` is: its size first (the
    money columns' whole digits), then its decimals (the currency's), by ``shop_amount_validator``, one message for
    one problem. A plain ``NumberFilter`` with ``max_digits`` answered ``1e999999`` with "no more than 2 decimal
    places", "13 digits in total" and its own "less than or equal to 1e+50" at once."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [shop_amount_validator])
        super().__init__(*args, **kwargs)

    def get_max_validator(self):
        return None  # the validator bounds the size, in the money columns' words


class _StorableDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time the database can compare: one whose offset takes it past year 1 or 9999 once in UTC
    (``0001-01-01T00:00:00+14:00``) is refused with the field's error, where it made the query fail (500)."""

    def clean(self, value):
        cleaned = super().clean(value)
        if cleaned is not None:
            try:
                cleaned.astimezone(UTC)
            except OverflowError:
                raise forms.ValidationError(
                    "This date-time is outside the years 1 to 9999 once in UTC; send one within them.",
                    code="invalid") from None
        return cleaned


_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


class _ThroughTheDayDateTimeField(_StorableDateTimeField):
    """As :class:`_StorableDateTimeField`, but a date without a time (``2026-12-01``) means the end of that day
    (its last microsecond), for an upper bound: ``created_from=2026-12-01&created_to=2026-12-01`` is that whole
    day, where midnight made it an empty range."""

    def clean(self, value):
        cleaned = super().clean(value)
        if cleaned is not None and isinstance(value, str) and _DATE_ONLY.fullmatch(value.strip()):
            with contextlib.suppress(OverflowError):  # 9999-12-31: its midnight is as far as a date-time goes
                cleaned = cleaned + timedelta(days=1) - timedelta(microseconds=1)
        return cleaned


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """``django_filters.IsoDateTimeFilter`` refusing, as a 400 naming the parameter, a date-time the database cannot
    hold in UTC. ``through_the_day=True`` (an upper bound, ``created_to``): a date alone is the end of that day."""

    field_class = _StorableDateTimeField

    def __init__(self, *args, through_the_day: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if through_the_day:
            self.field_class = _ThroughTheDayDateTimeField


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


class StrictBooleanField(forms.Field):
    """``true``/``false`` (also ``1``/``0``, ``yes``/``no``, any case) or absent; anything else is refused instead
    of being read as "not given" (what Django's ``NullBooleanField`` does with ``maybe``)."""

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise forms.ValidationError(f"'{value}' is not a boolean; use true or false.", code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    """A boolean parameter whose bad values are a 400 naming it (see :class:`StrictBooleanField`)."""

    field_class = StrictBooleanField


def filter_queryset_or_400(filterset_class: type[StrictFilterSet], request, queryset: QuerySet) -> QuerySet:
    """``queryset`` filtered by the request's query parameters.

    Raises ``rest_framework.exceptions.ValidationError`` (400, ``errors`` keyed by parameter) on a bad value,
    exactly as DRF's ``DjangoFilterBackend`` does for generic list views.
    """
    filterset = filterset_class(request.query_params, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return filterset.qs
