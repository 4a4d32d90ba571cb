"""Every catalog write. Each runs in a transaction, validates with ``full_clean()``, and invalidates the public
read cache after commit (see :mod:`shop.catalog.cache`). Stock *moves* live in :mod:`shop.catalog.stock`; setting
a product's stock here is an administrative correction under the product's row lock.
"""

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from shop.core.exceptions import ApplicationError

from .cache import catalog_invalidate
from .models import Category, Product, ProductImage, ProductVariant

# Product slugs that would be shadowed by the catalog's own routes under /products/.
RESERVED_SLUGS = frozenset({"categories", "images", "variants"})

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


# --- Categories -----------------------------------------------------------------------------------------------

@transaction.atomic
def category_create(*, name: str, slug: str, description: str = "") -> Category:
    category = Category(name=name, slug=slug, description=description)
    category.full_clean()
    category.save()
    _invalidate_on_commit()
    return category


@transaction.atomic
def category_update(*, category: Category, data: dict[str, Any]) -> Category:
    for field in CATEGORY_FIELDS:
        if field in data:
            setattr(category, field, data[field])
    category.full_clean()
    category.save()
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
    product = Product(
        name=name, slug=slug, description=description, price=price, stock_quantity=stock_quantity,
        is_active=is_active, category=category,
    )
    product.full_clean(exclude=["search_vector"])
    product.save()
    _invalidate_on_commit(product_ids=[product.pk])
    return product


@transaction.atomic
def product_update(*, product: Product, data: dict[str, Any]) -> Product:
    product = _lock_product(product.pk)
    if product.is_deleted:
        raise ApplicationError("This product has been deleted.", code="not_found", status_code=404)
    if "slug" in data:
        _check_product_slug(data["slug"])
    if "category" in data and data["category"] is None:
        raise ValidationError({"category_id": ["A product needs a category."]})
    for field in PRODUCT_FIELDS:
        if field in data:
            setattr(product, field, data[field])
    product.full_clean(exclude=["search_vector"])
    product.save()
    _invalidate_on_commit(product_ids=[product.pk])
    return product


@transaction.atomic
def product_soft_delete(*, product: Product) -> None:
    """Hide the product everywhere customers look; its row stays for the orders that hold it.

    Checkout refuses it (``stock_deduct`` only takes live, active products), so carts drop it there.
    """
    product = _lock_product(product.pk)
    if product.is_deleted:
        return
    product.is_deleted = True
    product.is_active = False
    product.deleted_at = timezone.now()
    product.save(update_fields=["is_deleted", "is_active", "deleted_at", "updated_at"])
    _invalidate_on_commit(product_ids=[product.pk])


@transaction.atomic
def product_set_active(*, product_ids: Iterable[int], is_active: bool) -> int:
    """Bulk (de)activation, e.g. from the admin. Deleted products stay deleted."""
    ids = list(product_ids)
    count = Product.objects.live().filter(pk__in=ids).update(is_active=is_active, updated_at=timezone.now())
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
    if file is not None:
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
    variant = ProductVariant(
        product=product, sku=sku, name=name, barcode=barcode, options=options or {},
        price_override=price_override, stock_quantity=stock_quantity, is_active=is_active,
    )
    variant.full_clean()
    variant.save()
    _touch(product.pk)
    _invalidate_on_commit(product_ids=[product.pk], variant_ids=[variant.pk])
    return variant


@transaction.atomic
def variant_update(*, variant: ProductVariant, data: dict[str, Any]) -> ProductVariant:
    variant = ProductVariant.objects.select_for_update(of=("self",)).select_related("product").get(pk=variant.pk)
    if variant.is_deleted:
        raise ApplicationError("This variant has been deleted.", code="not_found", status_code=404)
    for field in VARIANT_FIELDS:
        if field in data:
            setattr(variant, field, data[field])
    if variant.options is None:
        variant.options = {}
    variant.full_clean()
    variant.save()
    _touch(variant.product_id)
    _invalidate_on_commit(product_ids=[variant.product_id], variant_ids=[variant.pk])
    return variant


@transaction.atomic
def variant_delete(*, variant: ProductVariant) -> None:
    """Soft delete: orders may hold the variant. It can no longer be bought (``stock_deduct`` needs it active)."""
    updated = ProductVariant.objects.filter(pk=variant.pk, is_deleted=False).update(
        is_deleted=True, is_active=False, updated_at=timezone.now()
    )
    if updated:
        _touch(variant.product_id)
        _invalidate_on_commit(product_ids=[variant.product_id], variant_ids=[variant.pk])
