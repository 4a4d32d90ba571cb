from django.db import models

from .types import EventType, Resource


class Event(models.Model):
    """One committed change, written in the same transaction as the change (the transactional outbox).

    ``sequence`` strictly increases per (resource_type, resource_id): ``event_record`` computes it in its INSERT
    while the caller holds that resource's row lock. ``data`` holds the facts of the change known at commit
    (e.g. ``from_status``/``to_status``); ``object`` is the resource as the API answers it, rendered once when the
    event is first relayed (null until then) so every endpoint and every retry gets the same bytes.
    """

    type = models.CharField(max_length=40, choices=EventType.choices)
    resource_type = models.CharField(max_length=20, choices=Resource.choices)
    resource_id = models.BigIntegerField()
    sequence = models.PositiveIntegerField()
    data = models.JSONField(default=dict, blank=True)
    object = models.JSONField(null=True, blank=True)
    occurred_at = models.DateTimeField()
    relayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["resource_type", "resource_id", "sequence"],
                                    name="event_sequence_unique_per_resource"),
        ]
        indexes = [
            models.Index(fields=["type", "id"], name="event_type_id"),
            models.Index(fields=["relayed_at", "id"], name="event_relay_pending",
                         condition=models.Q(relayed_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.type} {self.resource_type}#{self.resource_id}/{self.sequence}"

    @property
    def public_id(self) -> str:
        """The event's stable id, also the ``webhook-id`` of every delivery of it."""
        return f"evt_{self.pk}"
