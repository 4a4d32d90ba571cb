"""Product image writes: add (a file or a URL), update, delete; one image is always the primary one."""

from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from shop.core.exceptions import NotFound

from ..models import Product, ProductImage
from ._shared import _invalidate_on_commit, _lock_product, _touch

# --- Images ---------------------------------------------------------------------------------------------------

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
        raise NotFound("This product has been deleted.")
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
