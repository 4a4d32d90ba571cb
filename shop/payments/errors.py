"""Error codes of the payments app. Codes the orders app (below) already holds are reused from
``shop.orders.errors.OrderErrorCode`` (``ORDER_PAID``, ``INVALID_PAYMENT_METHOD``, ``METHOD_UNAVAILABLE``). See
``shop.core.errors``."""

from enum import StrEnum


class PaymentErrorCode(StrEnum):
    """The ``code`` of an error the payments app answers (``{"detail", "code"}``): the API's contract, one
    meaning each, values the strings clients already read."""

    # A payment asked for in another currency than the shop's (400).
    CURRENCY_MISMATCH = "currency_mismatch"
    # The gateway answered something unusable (e.g. a payment id another payment holds); nothing charged (503).
    GATEWAY_BAD_RESPONSE = "gateway_bad_response"
    # The gateway refused the request for a business reason, in its words (400).
    GATEWAY_REJECTED = "gateway_rejected"
    # The gateway could not be reached or read; nothing changed, retry later (503).
    GATEWAY_UNAVAILABLE = "gateway_unavailable"
    # A webhook only a shared challenge vouches for names something the gateway cannot show yet (503, redelivered).
    GATEWAY_UNCONFIRMED = "gateway_unconfirmed"
    # A refund amount that is not positive (400).
    INVALID_AMOUNT = "invalid_amount"
    # A refund its payment's gateway cannot make exactly: more decimals than the currency has, or off the gateway's
    # steps (Stripe: KWD, BHD, JOD, OMR, TND in steps of 0.010); nothing is rounded or refunded (400, names
    # ``amount``, or ``lines`` for a refund by line).
    AMOUNT_NOT_IN_STEPS = "amount_not_in_steps"
    # A webhook whose signature or challenge does not verify (400).
    INVALID_SIGNATURE = "invalid_signature"
    # The sandbox provider is switched off (400).
    METHOD_DISABLED = "method_disabled"
    # Switching a placed online order to a direct method such as cash on delivery (400).
    METHOD_SWITCH_REFUSED = "method_switch_refused"
    # Cash collected on an order whose payment is not cash on delivery (400).
    NOT_COD = "not_cod"
    # A cash-on-delivery payment already collected or closed (400).
    NOT_COLLECTABLE = "not_collectable"
    # A sandbox outcome for a payment that is no longer open (400).
    NOT_OPEN = "not_open"
    # A refund of a payment with nothing left to refund (400).
    NOT_REFUNDABLE = "not_refundable"
    # A sync or sandbox outcome for a payment never opened at the gateway (400).
    NOT_STARTED = "not_started"
    # Paying an order that is neither pending nor processing (400).
    ORDER_NOT_PAYABLE = "order_not_payable"
    # create-intent without a method for an order that has none and a shop without a default (400).
    PAYMENT_METHOD_REQUIRED = "payment_method_required"
    # Cancelling a payment that is no longer open: succeeded, failed, cancelled or refunded (400).
    PAYMENT_NOT_CANCELLABLE = "payment_not_cancellable"
    # The gateway's keys are not configured on this server (503).
    PROVIDER_NOT_CONFIGURED = "provider_not_configured"
    # A refund larger than what is left to refund (400).
    REFUND_EXCEEDS_BALANCE = "refund_exceeds_balance"
    # The gateway refused the refund in its answer; the amount is released (400).
    REFUND_FAILED = "refund_failed"
    # A refund by line asks for more units of a line than are left to refund (400, names ``lines``).
    REFUND_EXCEEDS_LINE = "refund_exceeds_line"
    # A refund by line names the same order line twice (400, names ``lines``).
    REFUND_LINE_DUPLICATE = "refund_line_duplicate"
    # A refund by line of lines (or shipping) with nothing left to refund (400, names ``lines``).
    NOTHING_TO_REFUND = "nothing_to_refund"
    # A refund by line names a line that is not this order's (400, names ``lines``).
    REFUND_LINE_UNKNOWN = "refund_line_unknown"
    # A refund sent with both ``lines`` (or ``shipping``) and an ``amount`` (400).
    REFUND_LINES_OR_AMOUNT = "refund_lines_or_amount"
    # A return_url outside this site, CORS_ALLOWED_ORIGINS and PAYMENT_RETURN_ORIGINS (400).
    RETURN_URL_NOT_ALLOWED = "return_url_not_allowed"
    # A currency the provider itself does not take (400).
    UNSUPPORTED_CURRENCY = "unsupported_currency"
