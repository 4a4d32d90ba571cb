"""Every write of a tax class or a tax rate drops the shared memo of the rates (``providers.FlatRateTaxProvider``):
connected to the models' signals, not called from the services, so the admin (which saves these models itself),
the staff API, seeds, fixtures and the cascade from a class to its rates are all covered. Cache invalidation
only; no business logic here."""

from django.db.models.signals import post_delete, post_save

from shop.core.memo import memo_invalidate

from .models import TaxClass, TaxRate

TAX_MEMO = "tax"  # the shared memo family (``shop.core.memo``) of the default class and the rates per place


def _taxes_changed(sender, **kwargs) -> None:
    memo_invalidate(TAX_MEMO)


def connect() -> None:
    for model in (TaxClass, TaxRate):
        for name, signal in (("save", post_save), ("delete", post_delete)):
            signal.connect(_taxes_changed, sender=model, dispatch_uid=f"tax-memo-{model.__name__}-{name}")
