from django.db.models import QuerySet

from .models import Event


def event_list(*, after: int | None = None, types: list[str] | None = None, resource_type: str | None = None,
               resource_id: int | None = None) -> QuerySet[Event]:
    """Events in id order (the order they were recorded), after the id ``after`` when given, of any of ``types``."""
    events = Event.objects.order_by("id")
    if after is not None:
        events = events.filter(id__gt=after)
    if types:
        events = events.filter(type__in=types)
    if resource_type:
        events = events.filter(resource_type=resource_type)
    if resource_id is not None:
        events = events.filter(resource_id=resource_id)
    return events


def events_unrelayed(*, limit: int) -> list[int]:
    """Ids of committed events no relay has picked up yet (a broker outage, a crashed worker), oldest first."""
    return list(Event.objects.filter(relayed_at__isnull=True).order_by("id").values_list("id", flat=True)[:limit])
