"""The stable ``code`` of every refusal the discounts app answers (``{"detail", "code"}``): one enum, values are
the strings clients match on. The shopper-facing messages live with the checks that raise them."""

from enum import StrEnum


class DiscountsErrorCode(StrEnum):
    VOUCHER_INVALID = "voucher_invalid"  # no such code, or the voucher is switched off
    VOUCHER_EXPIRED = "voucher_expired"  # past its ``ends_at``
    VOUCHER_NOT_STARTED = "voucher_not_started"  # before its ``starts_at``
    MIN_SPEND_NOT_MET = "min_spend_not_met"  # the goods come to less than its minimum spend
    NOT_ELIGIBLE = "not_eligible"  # nothing in the order is covered by it (or too few items, or no shipping)
    USAGE_LIMIT_REACHED = "usage_limit_reached"  # every use of the voucher (or of this code) is taken
    CUSTOMER_LIMIT_REACHED = "customer_limit_reached"  # this customer used it as often as allowed
    VOUCHER_CODE_TAKEN = "voucher_code_taken"  # staff: a code that exists already (codes ignore case)
    VOUCHER_LIMIT_BELOW_USES = "voucher_limit_below_uses"  # staff: a usage limit under the uses already counted
