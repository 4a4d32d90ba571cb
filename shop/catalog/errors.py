"""The catalog's error codes (see ``shop.core.errors`` for the convention)."""

from enum import StrEnum


class CatalogErrorCode(StrEnum):
    """Refusals of catalog writes and of stock moves (which the cart and checkout reuse)."""

    CATEGORY_NOT_EMPTY = "category_not_empty"  # a category still holding live products cannot be deleted (400)
    STOCK_ON_VARIANTS = "stock_on_variants"  # a product with variants keeps its stock on them (400)
    NOT_DELETED = "not_deleted"  # restoring a product or variant that is not deleted (409)
    SLUG_TAKEN = "slug_taken"  # restoring a product whose slug a live product now holds (409, ``conflict``)
    SKU_TAKEN = "sku_taken"  # restoring a variant (or a product's variants) whose SKU is now live elsewhere (409)
    CATEGORY_REQUIRED = "category_required"  # restoring a product whose category was deleted, without a new one
    PRODUCT_DELETED = "product_deleted"  # restoring a variant of a deleted product (409: restore the product)
    INVALID_QUANTITY = "invalid_quantity"  # a quantity outside what is allowed (not positive; over a cart line's cap)
    INSUFFICIENT_STOCK = "insufficient_stock"  # more units asked than are in stock (every shortage listed)
