from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "shop.catalog"
    label = "catalog"

    def ready(self) -> None:
        from . import tax_class_invalidation

        tax_class_invalidation.connect()
