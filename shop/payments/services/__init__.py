"""Payment writes, one module per responsibility (the public names are re-exported here):

- ``start``: opening a payment attempt (``payment_start``);
- ``state``: applying the gateway's truth and recomputing the order's payment facts (``payment_apply_state``,
  ``payment_sync``, ``order_payment_recalculate``);
- ``webhooks``: receiving, deduplicating and acting on gateway events (``webhook_receive``, ``webhook_process``);
- ``refunds``: refunds and their settlement, chargebacks (``payment_refund``, ``payment_flag``);
- ``cancel``: cancelling attempts, at the gateway too (``payment_cancel``, ``payments_cancel_for_order``,
  ``payment_gateway_cancel``);
- ``manual``: what a person does (``payment_collect``, ``payment_sandbox_outcome``,
  ``payment_method_setting_save``).

Network calls to a gateway never run inside a transaction or while a row lock is held: we record intent in the
database, talk to the gateway, then record the outcome (each step consistent alone). Lock order, as everywhere:
order -> payment (``shop/payments/locks.py``).
"""

from ._shared import gateway_error_detail
from .cancel import payment_cancel, payment_gateway_cancel, payments_cancel_for_order
from .manual import payment_collect, payment_collect_check, payment_method_setting_save, payment_sandbox_outcome
from .refunds import payment_flag, payment_refund
from .start import payment_reserve_for_checkout, payment_start
from .state import order_payment_recalculate, payment_apply_state, payment_sync
from .webhooks import webhook_process, webhook_receive

__all__ = [
    "gateway_error_detail",
    "order_payment_recalculate",
    "payment_apply_state",
    "payment_cancel",
    "payment_collect",
    "payment_collect_check",
    "payment_flag",
    "payment_gateway_cancel",
    "payment_method_setting_save",
    "payment_refund",
    "payment_sandbox_outcome",
    "payment_reserve_for_checkout",
    "payment_start",
    "payment_sync",
    "payments_cancel_for_order",
    "webhook_process",
    "webhook_receive",
]
