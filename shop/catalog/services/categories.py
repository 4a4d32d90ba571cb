"""Category writes: create, update, delete (refused while the category holds live products)."""

from typing import Any

from django.db import transaction

from shop.core.exceptions import ApplicationError

from ..errors import CatalogErrorCode
from ..models import Category, Product
from ._shared import CATEGORY_FIELDS, _check_slug_free, _invalidate_on_commit, _save_with_unique

# --- Categories -----------------------------------------------------------------------------------------------

@transaction.atomic
def category_create(*, name: str, slug: str, description: str = "") -> Category:
    _check_slug_free(Category, slug)
    category = Category(name=name, slug=slug, description=description)
    category.full_clean()
    _save_with_unique(category, field="slug")
    _invalidate_on_commit()
    return category


@transaction.atomic
def category_update(*, category: Category, data: dict[str, Any]) -> Category:
    if "slug" in data:
        _check_slug_free(Category, data["slug"], exclude_pk=category.pk)
    for field in CATEGORY_FIELDS:
        if field in data:
            setattr(category, field, data[field])
    category.full_clean()
    _save_with_unique(category, field="slug")
    _invalidate_on_commit()
    return category


@transaction.atomic
def category_delete(*, category: Category) -> None:
    """Refuse while live products use the category; soft-deleted ones keep their rows and lose the link."""
    category = Category.objects.select_for_update().get(pk=category.pk)
    live = list(Product.objects.live().filter(category=category).order_by("name").values_list("name", flat=True)[:21])
    if live:
        shown = ", ".join(live[:20]) + (", ..." if len(live) > 20 else "")
        raise ApplicationError(
            f"Category '{category.name}' still has products: {shown}. Delete or move them first.",
            code=CatalogErrorCode.CATEGORY_NOT_EMPTY,
            extra={"products": live[:20]},
        )
    category.delete()  # on_delete=SET_NULL detaches soft-deleted products; orders keep showing them
    _invalidate_on_commit()
