import django_filters

from shop.core.filters import IdFilter, StrictFilterSet

from ..models import WebhookDelivery


class DeliveryFilter(StrictFilterSet):
    endpoint = IdFilter(field_name="endpoint_id", label="Deliveries to this endpoint.")
    status = django_filters.ChoiceFilter(choices=WebhookDelivery.Status.choices, label="Deliveries in this status.")
    event_type = django_filters.CharFilter(max_length=40, label="Deliveries of this event type.")
    webhook_id = django_filters.CharFilter(field_name="message_id", max_length=64,
                                           label="Deliveries of this message (`webhook-id`).")

    class Meta:
        model = WebhookDelivery
        fields = ("endpoint", "status", "event_type", "webhook_id")
