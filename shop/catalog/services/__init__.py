"""Every catalog write. Each runs in a transaction, validates with ``full_clean()``, and invalidates the public
read cache after commit (see :mod:`shop.catalog.cache`). Stock *moves* live in :mod:`shop.catalog.stock`; setting
a product's stock here is an administrative correction under the product's row lock.

One module per entity (``categories``, ``products``, ``images``, ``variants``); ``_shared`` holds what they all
use: the identifier checks (slugs and SKUs unique among live rows, slugs ignoring case), the product row lock and
cache invalidation after commit. Callers import from ``shop.catalog.services``.
"""

from ._shared import CATEGORY_FIELDS, IMAGE_FIELDS, PRODUCT_FIELDS, RESERVED_SLUGS, VARIANT_FIELDS, _save_with_unique
from .categories import category_create, category_delete, category_update
from .images import product_image_add, product_image_delete, product_image_update
from .products import product_create, product_restore, product_set_active, product_soft_delete, product_update
from .variants import variant_create, variant_delete, variant_restore, variant_update

__all__ = [
    "CATEGORY_FIELDS", "IMAGE_FIELDS", "PRODUCT_FIELDS", "RESERVED_SLUGS", "VARIANT_FIELDS",
    "category_create", "category_delete", "category_update",
    "product_create", "product_restore", "product_set_active", "product_soft_delete", "product_update",
    "product_image_add", "product_image_delete", "product_image_update",
    "variant_create", "variant_delete", "variant_restore", "variant_update",
    "_save_with_unique",  # tests drive the unique-index race through it
]
