"""Every write of a promotion, of its targets, or of a product or category a promotion may target drops the
shared memo of promotions (``selectors.promotions_live``): connected to the models' signals, not called from the
services, so the admin, the staff API, demo data, fixtures and cascades are all covered. Cache invalidation
only; no business logic here."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from shop.catalog.models import Category, Product
from shop.core.memo import memo_invalidate

from .models import Promotion
from .selectors import PROMOTIONS_MEMO


def _promotions_changed(sender, **kwargs) -> None:
    memo_invalidate(PROMOTIONS_MEMO)


def connect() -> None:
    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(_promotions_changed, sender=Promotion, dispatch_uid=f"promotions-memo-{name}")
    for through in (Promotion.products.through, Promotion.categories.through):
        m2m_changed.connect(_promotions_changed, sender=through, dispatch_uid=f"promotions-memo-{through.__name__}")
    # A deleted target leaves its id in a memoized rule; SQLite may give that id to the next row it inserts.
    for model in (Product, Category):
        post_delete.connect(_promotions_changed, sender=model, dispatch_uid=f"promotions-memo-{model.__name__}")
