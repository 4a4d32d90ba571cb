"""The discounts app's error codes (see ``shop.core.errors``): values are the strings clients match on. The
shopper-facing messages live with the checks that raise them; bad staff input is ``CoreErrorCode.INVALID``."""

from enum import StrEnum


class DiscountsErrorCode(StrEnum):
    VOUCHER_INVALID = "voucher_invalid"  # no such code, or the voucher is switched off
    VOUCHER_EXPIRED = "voucher_expired"  # past its ``ends_at``
    VOUCHER_NOT_STARTED = "voucher_not_started"  # before its ``starts_at``
    MIN_SPEND_NOT_MET = "min_spend_not_met"  # the goods come to less than its minimum spend
    NOT_ELIGIBLE = "not_eligible"  # nothing in the order is covered by it (or too few items)
    USAGE_LIMIT_REACHED = "usage_limit_reached"  # every use of the voucher, or of this code, is taken (message: which)
    CUSTOMER_LIMIT_REACHED = "customer_limit_reached"  # this customer used it as often as allowed
    VOUCHER_CODE_TAKEN = "voucher_code_taken"  # staff: a code that exists already (codes ignore case)
    VOUCHER_LIMIT_BELOW_USES = "voucher_limit_below_uses"  # staff: a usage limit under the uses already counted
    VOUCHER_IN_USE = "voucher_in_use"  # staff: orders hold it, so it is switched off rather than deleted (409)
    VOUCHER_NOT_FOUND = "voucher_not_found"  # staff: no voucher has this id (404)
    PROMOTION_NOT_FOUND = "promotion_not_found"  # staff: no promotion has this id (404)
    VOUCHER_CODE_IN_USE = "voucher_code_in_use"  # staff: orders were placed with this code, so it stays as it is (409)
