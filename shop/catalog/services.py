"""Every catalog write. Each runs in a transaction, validates with ``full_clean()``, and invalidates the public
read cache after commit (see :mod:`shop.catalog.cache`). Stock *moves* live in :mod:`shop.catalog.stock`; setting
a product's stock here is an administrative correction under the product's row lock.
"""

from collections.abc import Iterable
from functools import partial
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from shop.core.exceptions import ApplicationError, Conflict, NotFound
from shop.events.services import event_record
from shop.events.types import EventType

from .cache import catalog_invalidate
from .models import Category, Product, ProductImage, ProductVariant, same_text
from .selectors import with_shown_stock

# Product slugs that would be shadowed by the catalog's own routes under /products/.
RESERVED_SLUGS = frozenset({"categories", "images", "variants"})
SluggedModel = TypeVar("SluggedModel", Product, Category)  # the models addressed by slug
Row = TypeVar("Row", bound=models.Model)

PRODUCT_FIELDS = ("name", "slug", "description", "price", "stock_quantity", "is_active", "category")
CATEGORY_FIELDS = ("name", "slug", "description")
IMAGE_FIELDS = ("image_url", "is_primary", "product")
VARIANT_FIELDS = ("sku", "barcode", "name", "options", "price_override", "stock_quantity", "is_active")


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
            code="category_not_empty",
            extra={"products": live[:20]},
        )
    category.delete()  # on_delete=SET_NULL detaches soft-deleted products; orders keep showing them
    _invalidate_on_commit()


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
) -> Product:
    _check_product_slug(slug)
    _check_slug_free(Product, slug)
    product = Product(
        name=name, slug=slug, description=description, price=price, stock_quantity=stock_quantity,
        is_active=is_active, category=category,
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
            "Change the variants' stock_quantity instead.", code="stock_on_variants",
            extra={"errors": {"stock_quantity": ["The sum of the variants' stock: edit the variants."]}})
    return True


@transaction.atomic
def product_update(*, product: Product, data: dict[str, Any]) -> Product:
    """Staff change a product's fields (``data``: any of ``PRODUCT_FIELDS``). Raises ``ApplicationError``
    (404 deleted, 400 ``stock_on_variants`` for a stock figure on a product with variants), ``ValidationError``."""
    product = _lock_product(product.pk)
    if product.is_deleted:
        raise ApplicationError("This product has been deleted.", code="not_found", status_code=404)
    if "stock_quantity" in data and _check_stock_field(product, data["stock_quantity"]):
        data = {field: value for field, value in data.items() if field != "stock_quantity"}
    if "slug" in data:
        _check_product_slug(data["slug"])
        _check_slug_free(Product, data["slug"], exclude_pk=product.pk)
    if "category" in data and data["category"] is None:
        raise ValidationError({"category_id": ["A product needs a category."]})
    for field in PRODUCT_FIELDS:
        if field in data:
            setattr(product, field, data[field])
    product.full_clean(exclude=["search_vector"])
    _save_with_unique(product, field="slug")
    event_record(type=EventType.PRODUCT_UPDATED, resource_id=product.pk,
                 data={"fields": sorted(field for field in PRODUCT_FIELDS if field in data)})
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
        raise Conflict(f"Product '{product.name}' (id {product.pk}) is not deleted.", code="not_deleted")
    if slug is not None:
        _check_product_slug(slug)
        product.slug = slug
    holder = _slug_holder(Product, product.slug, exclude_pk=product.pk)
    if holder is not None:
        raise Conflict(
            f"Cannot restore '{product.name}': its slug '{product.slug}' is now used by the live product "
            f"'{holder.name}' (id {holder.pk}). Restore it under another slug: POST /products/{product.pk}/restore/ "
            f'with {{"slug": "<new-slug>"}}.',
            code="slug_taken", extra={"conflict": {"slug": product.slug, "product_id": holder.pk}},
        )
    if category is not None:
        product.category = category
    if product.category_id is None:
        raise Conflict(
            f"Cannot restore '{product.name}': its category was deleted. Give it one: "
            f'POST /products/{product.pk}/restore/ with {{"category_id": <id>}}.',
            code="category_required",
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
            code="sku_taken", extra={"conflict": {"skus": taken}},
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


# --- Images ---------------------------------------------------------------------------------------------------

def _touch(product_id: int) -> None:
    Product.objects.filter(pk=product_id).update(updated_at=timezone.now())


def _promote_first_image(product_id: int) -> None:
    if not ProductImage.objects.filter(product_id=product_id, is_primary=True).exists():
        first = ProductImage.objects.filter(product_id=product_id).order_by("id").first()
        if first is not None:
            ProductImage.objects.filter(pk=first.pk).update(is_primary=True)


@transaction.atomic
def product_image_add(*, product: Product, image_url: str = "", image=None, is_primary: bool = False) -> ProductImage:
    """Add an image by URL or by uploaded file. The first image of a product becomes its primary one;
    ``is_primary`` moves the flag from the current primary image. The product row lock serialises image writes
    so two first images cannot both become primary.
    """
    product = _lock_product(product.pk)
    if product.is_deleted:
        raise ApplicationError("This product has been deleted.", code="not_found", status_code=404)
    if bool(image_url) == bool(image):
        raise ValidationError({"image_url": ["Give either image_url or an uploaded image, not both."]})
    has_images = ProductImage.objects.filter(product=product).exists()
    make_primary = is_primary or not has_images
    if make_primary:
        ProductImage.objects.filter(product=product, is_primary=True).update(is_primary=False)
    product_image = ProductImage(product=product, image_url=image_url or "", is_primary=make_primary)
    if image is not None:
        product_image.image = image
    product_image.full_clean()
    product_image.save()
    _touch(product.pk)
    _invalidate_on_commit(product_ids=[product.pk])
    return product_image


@transaction.atomic
def product_image_update(*, image: ProductImage, data: dict[str, Any]) -> ProductImage:
    old_product_id = image.product_id
    new_product_id = data["product"].pk if "product" in data else old_product_id
    for product_id in sorted({old_product_id, new_product_id}):
        _lock_product(product_id)
    image = ProductImage.objects.get(pk=image.pk)
    if "image_url" in data:
        if not data["image_url"] and not image.image:
            raise ValidationError({"image_url": ["An image needs a URL or an uploaded file."]})
        image.image_url = data["image_url"]
    moved = new_product_id != old_product_id
    if moved:
        image.product_id = new_product_id
        image.is_primary = False
    wants_primary = data.get("is_primary")
    if wants_primary or (moved and not ProductImage.objects.filter(product_id=new_product_id).exists()):
        ProductImage.objects.filter(product_id=new_product_id, is_primary=True).exclude(pk=image.pk).update(
            is_primary=False
        )
        image.is_primary = True
    elif wants_primary is False:
        image.is_primary = False
    image.full_clean()
    image.save()
    for product_id in {old_product_id, new_product_id}:
        _promote_first_image(product_id)
        _touch(product_id)
    image.refresh_from_db(fields=["is_primary"])
    _invalidate_on_commit(product_ids={old_product_id, new_product_id})
    return image


@transaction.atomic
def product_image_delete(*, image: ProductImage) -> None:
    product_id = image.product_id
    _lock_product(product_id)
    file = image.image if image.image else None
    ProductImage.objects.filter(pk=image.pk).delete()
    _promote_first_image(product_id)
    _touch(product_id)
    if file is not None and file.name:  # a FieldFile is truthy exactly when it has a name: same test as above
        name, storage = file.name, file.storage
        transaction.on_commit(partial(storage.delete, name))
    _invalidate_on_commit(product_ids=[product_id])


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
) -> ProductVariant:
    product = _lock_product(product.pk)
    if product.is_deleted:
        raise ApplicationError("This product has been deleted.", code="not_found", status_code=404)
    _check_sku_free(sku)
    variant = ProductVariant(
        product=product, sku=sku, name=name, barcode=barcode, options=options or {},
        price_override=price_override, stock_quantity=stock_quantity, is_active=is_active,
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
        raise ApplicationError("This variant has been deleted.", code="not_found", status_code=404)
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
        raise Conflict(f"Variant '{variant.sku}' (id {variant.pk}) is not deleted.", code="not_deleted")
    if variant.product.is_deleted:
        raise Conflict(
            f"Cannot restore variant '{variant.sku}': its product '{variant.product.name}' (id "
            f"{variant.product_id}) is deleted. Restore the product first: "
            f"POST /products/{variant.product_id}/restore/.",
            code="product_deleted",
        )
    if sku is not None:
        variant.sku = sku
    holder = _sku_holder(variant.sku, exclude_pk=variant.pk)
    if holder is not None:
        raise Conflict(
            f"Cannot restore variant {variant.pk}: its SKU '{variant.sku}' is now used by the live variant "
            f"{holder.pk} of '{holder.product.name}'. Restore it under another SKU: "
            f'POST /products/variants/{variant.pk}/restore/ with {{"sku": "<new-sku>"}}.',
            code="sku_taken", extra={"conflict": {"sku": variant.sku, "variant_id": holder.pk}},
        )
    variant.is_deleted = False
    variant.deleted_at = None
    variant.full_clean()
    _save_with_unique(variant, field="sku")
    _touch(variant.product_id)
    _invalidate_on_commit(product_ids=[variant.product_id], variant_ids=[variant.pk])
    return variant
