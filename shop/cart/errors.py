"""The cart's error codes (see ``shop.core.errors``); checkout reuses them for its lines.

A cart line's quantity and stock refusals are the catalog's ``invalid_quantity`` and ``insufficient_stock``.
"""

from enum import StrEnum


class CartErrorCode(StrEnum):
    """Refusals of what a line names: the product or variant a customer wants to buy (400)."""

    PRODUCT_REQUIRED = "product_required"  # neither product_id nor variant_id given
    PRODUCT_NOT_FOUND = "product_not_found"  # no product has this id
    VARIANT_NOT_FOUND = "variant_not_found"  # no variant has this id
    VARIANT_MISMATCH = "variant_mismatch"  # the variant belongs to another product than the one named
    VARIANT_REQUIRED = "variant_required"  # the product comes in variants: name one
    PRODUCT_UNAVAILABLE = "product_unavailable"  # the product or variant is inactive or deleted
    INVALID_CART_MERGE = "invalid_cart_merge"  # X-Cart-Merge names no strategy (400, ``errors["X-Cart-Merge"]``)
    # More than one order can hold (the money columns' ten whole digits): a cart line added or raised past it
    # (naming ``quantity``), or a checkout's total or subtotal (400). Checkout reuses it.
    ORDER_TOO_LARGE = "order_too_large"
    # More lines than one order holds (``ORDER_MAX_LINES``): a new line added to a cart already that full, or a cart
    # checkout of a cart holding more (kept from before the limit), with ``max_lines`` and ``lines_to_remove`` (400).
    TOO_MANY_LINES = "too_many_lines"
