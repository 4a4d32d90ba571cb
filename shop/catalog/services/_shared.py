"""What every catalog write shares: field lists, live-identifier checks (slugs and SKUs unique among live rows,
slugs ignoring case), the product row lock and cache invalidation after commit."""

from collections.abc import Iterable
from functools import partial
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from shop.core.models import same_text

from ..cache import catalog_invalidate
from ..models import Category, Product, ProductVariant

# Product slugs that would be shadowed by the catalog's own routes under /products/.
RESERVED_SLUGS = frozenset({"categories", "images", "variants"})
SluggedModel = TypeVar("SluggedModel", Product, Category)  # the models addressed by slug
Row = TypeVar("Row", bound=models.Model)

PRODUCT_FIELDS = ("name", "slug", "description", "price", "stock_quantity", "is_active", "category", "tax_class",
                  "low_stock_threshold")
CATEGORY_FIELDS = ("name", "slug", "description")
IMAGE_FIELDS = ("image_url", "is_primary", "product")
VARIANT_FIELDS = ("sku", "barcode", "name", "options", "price_override", "stock_quantity", "is_active", "tax_class")


def _invalidate_on_commit(*, product_ids: Iterable[int] = (), variant_ids: Iterable[int] = ()) -> None:
    transaction.on_commit(
        partial(catalog_invalidate, product_ids=tuple(product_ids), variant_ids=tuple(variant_ids))
    )


def _check_product_slug(slug: str) -> None:
    if slug in RESERVED_SLUGS:
        raise ValidationError({"slug": [f"'{slug}' is reserved; choose another slug."]})


def _lock_product(product_id: int) -> Product:
    return Product.objects.select_for_update(of=("self",)).get(pk=product_id)


# --- Live identifiers: unique among live rows, slugs ignoring case ----------------------------------------------

def _slug_holder(model: type[SluggedModel], slug: str, *, exclude_pk: int | None) -> SluggedModel | None:
    """The live row whose slug equals ``slug`` ignoring case (served by the ``Lower(slug)`` unique index)."""
    live = {"is_deleted": False} if model is Product else {}  # categories are deleted for real
    rows = model.objects.filter(same_text("slug", slug), **live)
    return _excluding(rows, exclude_pk).first()


def _sku_holder(sku: str, *, exclude_pk: int | None) -> ProductVariant | None:
    """The live variant whose SKU equals ``sku`` ignoring case (served by the ``Lower(sku)`` unique index)."""
    rows = ProductVariant.objects.filter(same_text("sku", sku), is_deleted=False).select_related("product")
    return _excluding(rows, exclude_pk).first()


def _excluding(rows: models.QuerySet[Row], pk: int | None) -> models.QuerySet[Row]:
    """``rows`` without the row ``pk`` (the one being saved); all of them when there is none yet."""
    return rows if pk is None else rows.exclude(pk=pk)


def _check_slug_free(model: type[SluggedModel], slug: str, *, exclude_pk: int | None = None) -> None:
    """Raises ``ValidationError({"slug": [...]})`` (400) when a live row already uses the slug, in any case."""
    holder = _slug_holder(model, slug, exclude_pk=exclude_pk)
    if holder is not None:
        noun = model._meta.verbose_name
        raise ValidationError(
            {"slug": [f"A {noun} with the slug '{holder.slug}' already exists (slugs ignore case)."]}
        )


def _check_sku_free(sku: str, *, exclude_pk: int | None = None) -> None:
    """Raises ``ValidationError({"sku": [...]})`` (400) when a live variant already uses the SKU, in any case."""
    holder = _sku_holder(sku, exclude_pk=exclude_pk)
    if holder is not None:
        raise ValidationError({"sku": [f"A variant with the SKU '{holder.sku}' already exists (SKUs ignore case)."]})


def _save_with_unique(obj: models.Model, *, field: str) -> None:
    """Save; a unique-constraint race lost to a concurrent writer (both passed the check) is the same 400."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        if "unique" not in str(exc).lower():
            raise
        value = getattr(obj, field)
        raise ValidationError({field: [f"'{value}' was just taken by another write; choose another {field}."]}) \
            from exc


def _touch(product_id: int) -> None:
    """Bump the product's ``updated_at``: its images or variants changed, and with them what its pages show."""
    Product.objects.filter(pk=product_id).update(updated_at=timezone.now())
