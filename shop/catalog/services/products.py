"""Product writes: create, update (stock set here is an administrative correction under the row lock), soft
delete, restore, bulk activation."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from shop.core.exceptions import ApplicationError, Conflict, NotFound
from shop.events.services import event_record
from shop.events.types import EventType
from shop.pricing.models import TaxClass

from ..errors import CatalogErrorCode
from ..models import Category, Product, ProductVariant
from ..selectors import with_shown_stock
from ._shared import (
    PRODUCT_FIELDS,
    _check_product_slug,
    _check_slug_free,
    _invalidate_on_commit,
    _lock_product,
    _save_with_unique,
    _sku_holder,
    _slug_holder,
)

# --- Products -------------------------------------------------------------------------------------------------

@transaction.atomic
def product_create(
    *,
    name: str,
    slug: str,
    price,
    category: Category,
    description: str = "",
    stock_quantity: int = 0,
    is_active: bool = True,
    tax_class: TaxClass | None = None,
    low_stock_threshold: int | None = None,
) -> Product:
    """Staff create a product; ``tax_class`` None: taxed as the shop's default class; ``low_stock_threshold``
    (units) None: ``stock.low`` uses ``CATALOG_LOW_STOCK_THRESHOLD``."""
    _check_product_slug(slug)
    _check_slug_free(Product, slug)
    product = Product(
        name=name, slug=slug, description=description, price=price, stock_quantity=stock_quantity,
        is_active=is_active, category=category, tax_class=tax_class, low_stock_threshold=low_stock_threshold,
    )
    product.full_clean(exclude=["search_vector"])
    _save_with_unique(product, field="slug")
    event_record(type=EventType.PRODUCT_CREATED, resource_id=product.pk)
    _invalidate_on_commit(product_ids=[product.pk])
    return product


def _check_stock_field(product: Product, stock_quantity: int) -> bool:
    """A product with variants sells only through them: its stock is their sum (``with_shown_stock``), so its own
    ``stock_quantity`` is not set. Sending the sum the API shows (a GET sent back by PUT) changes nothing and
    passes; any other figure is 400 ``stock_on_variants`` naming ``stock_quantity``. True when the product has
    variants (the figure is then not written)."""
    if not ProductVariant.objects.filter(product=product).exists():
        return False
    # ``shown_stock`` is an annotation, which django-stubs cannot see on the plain Product queryset type.
    shown = with_shown_stock(Product.objects.filter(pk=product.pk), staff=True).values_list(  # type: ignore[misc]
        "shown_stock", flat=True).get()
    if stock_quantity != shown:
        raise ApplicationError(
            f"'{product.name}' is sold in variants: its stock ({shown}) is the sum of its variants' stock. "
            "Change the variants' stock_quantity instead.", code=CatalogErrorCode.STOCK_ON_VARIANTS,
            extra={"errors": {"stock_quantity": ["The sum of the variants' stock: edit the variants."]}})
    return True


def _stored_values(product: Product, fields: list[str]) -> dict[str, Any]:
    """What the row holds for ``fields`` (a relation by its id), to compare before and after a change."""
    return {field: product.serializable_value(field) for field in fields}


@transaction.atomic
def product_update(*, product: Product, data: dict[str, Any]) -> Product:
    """Staff change a product's fields (``data``: any of ``PRODUCT_FIELDS``); ``product.updated`` names in
    ``data.fields`` those whose value actually changed, and is not recorded when none did. Raises ``ApplicationError``
    (404 deleted, 400 ``stock_on_variants`` for a stock figure on a product with variants), ``ValidationError``."""
    product = _lock_product(product.pk)
    if product.is_deleted:
        raise NotFound("This product has been deleted.")
    if "stock_quantity" in data and _check_stock_field(product, data["stock_quantity"]):
        data = {field: value for field, value in data.items() if field != "stock_quantity"}
    if "slug" in data:
        _check_product_slug(data["slug"])
        _check_slug_free(Product, data["slug"], exclude_pk=product.pk)
    if "category" in data and data["category"] is None:
        raise ValidationError({"category_id": ["A product needs a category."]})
    given = [field for field in PRODUCT_FIELDS if field in data]
    before = _stored_values(product, given)
    for field in given:
        setattr(product, field, data[field])
    product.full_clean(exclude=["search_vector"])  # also turns "9.50" into Decimal, so the comparison is fair
    _save_with_unique(product, field="slug")
    changed = sorted(field for field, value in _stored_values(product, given).items() if value != before[field])
    if changed:  # a PATCH that sends what is already there is not a change: no event
        event_record(type=EventType.PRODUCT_UPDATED, resource_id=product.pk, data={"fields": changed})
    _invalidate_on_commit(product_ids=[product.pk])
    return product


@transaction.atomic
def product_soft_delete(*, product: Product) -> None:
    """Hide the product everywhere customers look; its row stays for the orders that hold it.

    Checkout refuses it (``stock_deduct`` only takes live, active products), so carts drop it there. Its slug and
    its live variants' SKUs are freed at once (they are unique among live rows only); the variants are deleted
    with it, stamped with the product's ``deleted_at`` so :func:`product_restore` brings back exactly those.
    """
    product = _lock_product(product.pk)
    if product.is_deleted:
        return
    product.is_deleted = True
    product.is_active = False
    product.deleted_at = timezone.now()
    product.save(update_fields=["is_deleted", "is_active", "deleted_at", "updated_at"])
    variant_ids = list(ProductVariant.objects.filter(product=product, is_deleted=False).values_list("pk", flat=True))
    ProductVariant.objects.filter(pk__in=variant_ids).update(
        is_deleted=True, deleted_at=product.deleted_at, updated_at=product.deleted_at
    )
    event_record(type=EventType.PRODUCT_DELETED, resource_id=product.pk)
    _invalidate_on_commit(product_ids=[product.pk], variant_ids=variant_ids)


@transaction.atomic
def product_restore(*, product_id: int, slug: str | None = None, category: Category | None = None) -> Product:
    """Bring a soft-deleted product back, with the variants deleted together with it; it comes back inactive
    (``is_active=false``: staff check it, then activate it), so nothing reappears in the shop unreviewed.

    ``slug`` restores it under a new slug (its own may have been reused meanwhile); ``category`` gives it a
    category when its own was deleted meanwhile. Raises ``NotFound`` (no such product), ``Conflict`` (409)
    with ``code`` ``not_deleted``, ``slug_taken`` (a live product holds the slug: ``conflict`` names it),
    ``sku_taken`` (live variants hold SKUs of the variants to restore: ``conflict`` lists them) or
    ``category_required``, and ``ValidationError`` for a reserved or malformed slug.
    """
    product = Product.objects.select_for_update(of=("self",)).filter(pk=product_id).first()
    if product is None:
        raise NotFound("No product matches the given query.")
    if not product.is_deleted:
        raise Conflict(f"Product '{product.name}' (id {product.pk}) is not deleted.", code=CatalogErrorCode.NOT_DELETED)
    if slug is not None:
        _check_product_slug(slug)
        product.slug = slug
    holder = _slug_holder(Product, product.slug, exclude_pk=product.pk)
    if holder is not None:
        raise Conflict(
            f"Cannot restore '{product.name}': its slug '{product.slug}' is now used by the live product "
            f"'{holder.name}' (id {holder.pk}). Restore it under another slug: POST /products/{product.pk}/restore/ "
            f'with {{"slug": "<new-slug>"}}.',
            code=CatalogErrorCode.SLUG_TAKEN, extra={"conflict": {"slug": product.slug, "product_id": holder.pk}},
        )
    if category is not None:
        product.category = category
    if product.category_id is None:
        raise Conflict(
            f"Cannot restore '{product.name}': its category was deleted. Give it one: "
            f'POST /products/{product.pk}/restore/ with {{"category_id": <id>}}.',
            code=CatalogErrorCode.CATEGORY_REQUIRED,
        )
    variants = list(
        ProductVariant.objects.select_for_update().filter(product=product, is_deleted=True,
                                                          deleted_at=product.deleted_at).order_by("pk")
    )
    taken = sorted(v.sku for v in variants if _sku_holder(v.sku, exclude_pk=v.pk) is not None)
    if taken:
        raise Conflict(
            f"Cannot restore '{product.name}': live variants now use the SKUs {', '.join(taken)} of its deleted "
            f"variants. Change or delete those live variants first.",
            code=CatalogErrorCode.SKU_TAKEN, extra={"conflict": {"skus": taken}},
        )
    product.is_deleted = False
    product.is_active = False
    product.deleted_at = None
    product.full_clean(exclude=["search_vector"])
    _save_with_unique(product, field="slug")
    ProductVariant.objects.filter(pk__in=[v.pk for v in variants]).update(
        is_deleted=False, deleted_at=None, updated_at=timezone.now()
    )
    event_record(type=EventType.PRODUCT_UPDATED, resource_id=product.pk, data={"restored": True})
    _invalidate_on_commit(product_ids=[product.pk], variant_ids=[v.pk for v in variants])
    return product


@transaction.atomic
def product_set_active(*, product_ids: Iterable[int], is_active: bool) -> int:
    """Bulk (de)activation, e.g. from the admin. Deleted products stay deleted."""
    ids = sorted(set(product_ids))
    # Locked in id order (as stock moves take them) so each product.updated event's sequence is computed under
    # its row lock.
    changed = list(Product.objects.live().select_for_update().filter(pk__in=ids).exclude(is_active=is_active)
                   .order_by("pk").values_list("pk", flat=True))
    count = Product.objects.filter(pk__in=changed).update(is_active=is_active, updated_at=timezone.now())
    for product_id in changed:
        event_record(type=EventType.PRODUCT_UPDATED, resource_id=product_id, data={"fields": ["is_active"]})
    _invalidate_on_commit(product_ids=ids)
    return count
