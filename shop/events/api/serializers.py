from rest_framework import serializers

from ..models import Event


class EventOutput(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True,
                               help_text="Stable id (`evt_<n>`), the `webhook-id` of every delivery of this event.")
    number = serializers.IntegerField(source="pk", read_only=True, help_text="The `after` cursor for the next call.")
    timestamp = serializers.DateTimeField(source="occurred_at", read_only=True, help_text="When it was committed.")
    resource = serializers.CharField(source="resource_type", read_only=True)
    object = serializers.JSONField(read_only=True, allow_null=True, help_text=(
        "The resource as the API answers it (e.g. `GET /orders/{id}/`), rendered when the event was first relayed; "
        "null until then (normally milliseconds after the commit)."))
    data = serializers.JSONField(read_only=True, help_text="Facts of the change known at commit, e.g. "
                                                           "`from_status`/`to_status`.")

    class Meta:
        model = Event
        fields = ["id", "number", "type", "timestamp", "resource", "resource_id", "sequence", "data", "object"]
        read_only_fields = fields
