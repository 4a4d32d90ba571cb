from django.apps import AppConfig


class PricingConfig(AppConfig):
    name = "shop.pricing"
    label = "pricing"
    verbose_name = "Pricing and taxes"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401  (registers the start-up checks)
            memo_invalidation,
        )

        memo_invalidation.connect()
