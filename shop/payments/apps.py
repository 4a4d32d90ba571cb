from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "shop.payments"
    label = "payments"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the start-up checks)
