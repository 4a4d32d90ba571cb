from rest_framework import serializers

from shop.core.serializers import StrictInput
from shop.events.types import EventType

from ..models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

EVENT_CHOICES = ["*", *EventType.values]


class EndpointInput(StrictInput):
    url = serializers.URLField(max_length=2000, help_text="Where events are POSTed; http or https, on a public "
                                                          "address (private, loopback and metadata ones are refused).")
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_CHOICES), allow_empty=False,
                                   help_text="Event types to deliver; `*` for all. `order.status_changed` also "
                                             "brings the specific status events (cancelled, shipped, delivered).")
    is_active = serializers.BooleanField(default=True)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class EndpointOutput(serializers.ModelSerializer):
    secret_hint = serializers.SerializerMethodField(help_text="The secret's last four characters, to tell which "
                                                              "one a receiver holds; the secret is shown only once.")
    rotation_overlap_until = serializers.DateTimeField(source="previous_secret_expires_at", read_only=True,
                                                       allow_null=True, help_text="Until when the previous secret "
                                                       "still signs (a second signature), after a rotation.")

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "is_active", "description", "secret_hint", "rotation_overlap_until",
                  "consecutive_failures", "disabled_reason", "created_at", "updated_at"]
        read_only_fields = fields

    def get_secret_hint(self, endpoint: WebhookEndpoint) -> str:
        return "..." + endpoint.secret[-4:]


class EndpointWithSecretOutput(EndpointOutput):
    secret = serializers.CharField(read_only=True, help_text="The signing secret (`whsec_...`): store it now, it "
                                                             "is never answered again.")

    class Meta(EndpointOutput.Meta):
        fields = [*EndpointOutput.Meta.fields, "secret"]
        read_only_fields = fields


class AttemptOutput(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "started_at", "request_url", "request_headers", "response_status", "response_excerpt",
                  "error", "latency_ms", "retry_at"]
        read_only_fields = fields


class DeliveryOutput(serializers.ModelSerializer):
    endpoint = serializers.IntegerField(source="endpoint_id", read_only=True)
    webhook_id = serializers.CharField(source="message_id", read_only=True,
                                       help_text="The `webhook-id` header: the same on every retry and redelivery.")
    request_body = serializers.CharField(source="body", read_only=True, help_text="The exact body signed and sent.")
    redelivery_of = serializers.IntegerField(source="redelivery_of_id", read_only=True, allow_null=True)
    attempt_log = AttemptOutput(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "endpoint", "webhook_id", "event_type", "resource_key", "sequence", "status", "attempts",
                  "next_attempt_at", "last_response_status", "last_error", "redelivery_of", "created_at",
                  "updated_at", "request_body", "attempt_log"]
        read_only_fields = fields
