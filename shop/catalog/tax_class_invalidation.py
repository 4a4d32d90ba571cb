"""Product answers name their tax class by code, so renaming or deleting a tax class changes catalog pages: every
write of a tax class moves the catalog cache to a new version after commit. Connected to the pricing model's
signals (the catalog may depend on pricing, not the reverse), so the staff API, the admin (which saves the model
itself) and fixtures are all covered. Cache invalidation only; no business logic here."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from shop.pricing.models import TaxClass

from .cache import catalog_invalidate


def _tax_class_written(sender, **kwargs) -> None:
    transaction.on_commit(catalog_invalidate)


def connect() -> None:
    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(_tax_class_written, sender=TaxClass, dispatch_uid=f"catalog-tax-class-{name}")
