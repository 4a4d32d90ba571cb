"""The pricing app's error codes (see ``shop.core.errors`` for the convention)."""

from enum import StrEnum


class PricingErrorCode(StrEnum):
    """Refusals of the staff tax-class and tax-rate API, and of pricing a cart or an order."""

    TAX_CLASS_NOT_FOUND = "tax_class_not_found"  # (404)
    TAX_RATE_NOT_FOUND = "tax_rate_not_found"  # (404)
    TAX_CLASS_DEFAULT_REQUIRED = "tax_class_default_required"  # un-defaulting the default class (409)
    TAX_CLASS_IS_DEFAULT = "tax_class_is_default"  # deleting the default class (409)
    UNPRICEABLE = "unpriceable"  # lines the pricing pipeline cannot price (a discount above its line) (400)
