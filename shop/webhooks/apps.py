from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "shop.webhooks"
    label = "webhooks"
    verbose_name = "Outbound webhooks"

    def ready(self) -> None:
        from shop.events.services import event_listeners_add

        from .tasks import queue_relay

        event_listeners_add(queue_relay)
