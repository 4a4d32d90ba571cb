"""Error codes of the payments app."""

from enum import StrEnum


class PaymentErrorCode(StrEnum):
    """The ``code`` of an error this app answers (``{"detail", "code"}``): part of the API's contract,
    one meaning each. Values are the strings clients already read."""

    CURRENCY_MISMATCH = "currency_mismatch"
    GATEWAY_BAD_RESPONSE = "gateway_bad_response"
    GATEWAY_REJECTED = "gateway_rejected"
    GATEWAY_UNAVAILABLE = "gateway_unavailable"
    GATEWAY_UNCONFIRMED = "gateway_unconfirmed"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_PAYMENT_METHOD = "invalid_payment_method"
    INVALID_SIGNATURE = "invalid_signature"
    METHOD_DISABLED = "method_disabled"
    METHOD_SWITCH_REFUSED = "method_switch_refused"
    METHOD_UNAVAILABLE = "method_unavailable"
    NOT_COD = "not_cod"
    NOT_COLLECTABLE = "not_collectable"
    NOT_OPEN = "not_open"
    NOT_REFUNDABLE = "not_refundable"
    NOT_STARTED = "not_started"
    ORDER_NOT_PAYABLE = "order_not_payable"
    ORDER_PAID = "order_paid"
    PAYMENT_METHOD_REQUIRED = "payment_method_required"
    PAYMENT_NOT_CANCELLABLE = "payment_not_cancellable"
    PROVIDER_NOT_CONFIGURED = "provider_not_configured"
    REFUND_EXCEEDS_BALANCE = "refund_exceeds_balance"
    REFUND_FAILED = "refund_failed"
    RETURN_URL_NOT_ALLOWED = "return_url_not_allowed"
    UNSUPPORTED_CURRENCY = "unsupported_currency"
