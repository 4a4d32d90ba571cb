import django_filters

from shop.core.filters import IdFilter, StrictFilterSet

from ..models import Event
from ..types import EventType, Resource


class EventFilter(StrictFilterSet):
    """``GET /events/``: a cursor and type filters, each validated (a bad value is a 400 naming it)."""

    after = IdFilter(field_name="id", lookup_expr="gt", min_value=0,
                     label="Only events whose `number` is greater than this one.")
    type = django_filters.MultipleChoiceFilter(choices=EventType.choices,
                                               label="Only events of this type (repeat the parameter for several).")
    resource = django_filters.ChoiceFilter(field_name="resource_type", choices=Resource.choices,
                                           label="Only events about this kind of resource.")
    resource_id = IdFilter(field_name="resource_id", label="Only events about the resource with this id.")

    class Meta:
        model = Event
        fields = ("after", "type", "resource", "resource_id")
