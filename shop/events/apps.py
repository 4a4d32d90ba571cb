from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "shop.events"
    label = "events"
    verbose_name = "Events (outbox)"
