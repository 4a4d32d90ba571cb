"""Variant writes: create, update, soft delete, restore."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from shop.core.exceptions import Conflict, NotFound
from shop.pricing.models import TaxClass

from ..errors import CatalogErrorCode
from ..models import Product, ProductVariant
from ._shared import (
    VARIANT_FIELDS,
    _check_sku_free,
    _invalidate_on_commit,
    _lock_product,
    _save_with_unique,
    _sku_holder,
    _touch,
)

# --- Variants -------------------------------------------------------------------------------------------------

@transaction.atomic
def variant_create(
    *,
    product: Product,
    sku: str,
    name: str,
    barcode: str = "",
    options: dict | None = None,
    price_override=None,
    stock_quantity: int = 0,
    is_active: bool = True,
    tax_class: TaxClass | None = None,
) -> ProductVariant:
    """Staff add a variant; ``tax_class`` None: taxed as its product."""
    product = _lock_product(product.pk)
    if product.is_deleted:
        raise NotFound("This product has been deleted.")
    _check_sku_free(sku)
    variant = ProductVariant(
        product=product, sku=sku, name=name, barcode=barcode, options=options or {},
        price_override=price_override, stock_quantity=stock_quantity, is_active=is_active, tax_class=tax_class,
    )
    variant.full_clean()
    _save_with_unique(variant, field="sku")
    _touch(product.pk)
    _invalidate_on_commit(product_ids=[product.pk], variant_ids=[variant.pk])
    return variant


@transaction.atomic
def variant_update(*, variant: ProductVariant, data: dict[str, Any]) -> ProductVariant:
    variant = ProductVariant.objects.select_for_update(of=("self",)).select_related("product").get(pk=variant.pk)
    if variant.is_deleted:
        raise NotFound("This variant has been deleted.")
    if "sku" in data:
        _check_sku_free(data["sku"], exclude_pk=variant.pk)
    for field in VARIANT_FIELDS:
        if field in data:
            setattr(variant, field, data[field])
    if variant.options is None:
        variant.options = {}
    variant.full_clean()
    _save_with_unique(variant, field="sku")
    _touch(variant.product_id)
    _invalidate_on_commit(product_ids=[variant.product_id], variant_ids=[variant.pk])
    return variant


@transaction.atomic
def variant_delete(*, variant: ProductVariant) -> None:
    """Soft delete: orders may hold the variant. It can no longer be bought (``stock_deduct`` needs it active);
    its SKU is free for a new variant at once."""
    now = timezone.now()
    updated = ProductVariant.objects.filter(pk=variant.pk, is_deleted=False).update(
        is_deleted=True, is_active=False, deleted_at=now, updated_at=now
    )
    if updated:
        _touch(variant.product_id)
        _invalidate_on_commit(product_ids=[variant.product_id], variant_ids=[variant.pk])


@transaction.atomic
def variant_restore(*, variant_id: int, sku: str | None = None) -> ProductVariant:
    """Bring a soft-deleted variant back, inactive (staff activate it after a check), optionally under a new
    ``sku`` (its own may have been reused meanwhile).

    Raises ``NotFound``; ``Conflict`` (409) with ``code`` ``not_deleted``, ``product_deleted`` (restore the
    product first: that brings back the variants deleted with it) or ``sku_taken`` (``conflict`` names the live
    variant holding the SKU).
    """
    variant = ProductVariant.objects.select_for_update(of=("self",)).select_related("product").filter(
        pk=variant_id
    ).first()
    if variant is None:
        raise NotFound("No variant matches the given query.")
    if not variant.is_deleted:
        raise Conflict(f"Variant '{variant.sku}' (id {variant.pk}) is not deleted.", code=CatalogErrorCode.NOT_DELETED)
    if variant.product.is_deleted:
        raise Conflict(
            f"Cannot restore variant '{variant.sku}': its product '{variant.product.name}' (id "
            f"{variant.product_id}) is deleted. Restore the product first: "
            f"POST /products/{variant.product_id}/restore/.",
            code=CatalogErrorCode.PRODUCT_DELETED,
        )
    if sku is not None:
        variant.sku = sku
    holder = _sku_holder(variant.sku, exclude_pk=variant.pk)
    if holder is not None:
        raise Conflict(
            f"Cannot restore variant {variant.pk}: its SKU '{variant.sku}' is now used by the live variant "
            f"{holder.pk} of '{holder.product.name}'. Restore it under another SKU: "
            f'POST /products/variants/{variant.pk}/restore/ with {{"sku": "<new-sku>"}}.',
            code=CatalogErrorCode.SKU_TAKEN, extra={"conflict": {"sku": variant.sku, "variant_id": holder.pk}},
        )
    variant.is_deleted = False
    variant.deleted_at = None
    variant.full_clean()
    _save_with_unique(variant, field="sku")
    _touch(variant.product_id)
    _invalidate_on_commit(product_ids=[variant.product_id], variant_ids=[variant.pk])
    return variant
