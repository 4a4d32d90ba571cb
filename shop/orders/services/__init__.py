"""Order writes, one module per part of an order's life (the public names are re-exported here):

- ``checkout``: placing an order from the cart or from lines (``order_create``; with its payment:
  ``shop.payments.checkout.order_place_and_pay``), and undoing one (``order_create_undo``);
- ``cancel``: cancelling an order, its stock restored once (``order_cancel``, ``order_cancel_and_restock_locked``);
- ``fulfilment``: the status pipeline after checkout, shipments and tracking, shipping methods;
- ``expiry``: unpaid orders past their payment deadline;
- ``emails``: order e-mails whose task never ran or died, handed to a new task (``order_emails_sweep``).

Lock order: AGENTS.md rule 2 (``shop/orders/locks.py`` says it for each path). Stock only moves through
``shop.catalog.stock``.
"""

from ._shared import order_created_announce
from .cancel import order_cancel, order_cancel_and_restock_locked
from .checkout import LineRequest, order_create, order_create_undo
from .emails import order_emails_sweep
from .expiry import expire_unpaid_orders, order_expire
from .fulfilment import (
    order_mark_processing_locked,
    order_refund_notify,
    order_set_status,
    order_ship,
    shipment_event_add,
    shipment_update,
    shipping_method_deactivate,
    shipping_method_save,
)

__all__ = [
    "LineRequest",
    "expire_unpaid_orders",
    "order_cancel",
    "order_cancel_and_restock_locked",
    "order_create",
    "order_create_undo",
    "order_created_announce",
    "order_emails_sweep",
    "order_expire",
    "order_mark_processing_locked",
    "order_refund_notify",
    "order_set_status",
    "order_ship",
    "shipment_event_add",
    "shipment_update",
    "shipping_method_deactivate",
    "shipping_method_save",
]
