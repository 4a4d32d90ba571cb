"""Error codes of the orders app: its services, the cancel/refund/fulfilment policy (``policy.py``) and its API.

A code lives here when orders is the lowest app that answers it; payments, above, reuses these members
(``ORDER_PAID``, ``INVALID_PAYMENT_METHOD``, ``METHOD_UNAVAILABLE``) rather than keeping a copy. See
``shop.core.errors``.
"""

from enum import StrEnum


class OrderErrorCode(StrEnum):
    """The ``code`` of an error the orders app answers (``{"detail", "code"}``): the API's contract, one meaning
    each, values the strings clients already read."""

    # A guest checkout sent with a valid login (a JWT header or cookie): the account's cart is checked out with
    # POST /orders/checkout/, so the order is not left off the account (409).
    GUEST_CHECKOUT_SIGNED_IN = "guest_checkout_signed_in"
    # A guest checkout without an e-mail (400, naming the field).
    EMAIL_REQUIRED = "email_required"
    # A checkout without a shipping address where one is needed (400, ``errors`` naming ``shipping_address``): a
    # guest's; one naming a shipping method (there must be somewhere to ship to); one the shop cannot tax without
    # (no address, no ``SHOP_COUNTRY``, and tax rates configured: taxing it at 0 would be silently wrong).
    ADDRESS_REQUIRED = "address_required"
    # A shipping address without what shipping and tax need: free text (one line a program cannot read a country
    # from), or an address-book entry missing its full name, line 1, city or a country (400, ``errors`` naming the
    # field that carried it, ``shipping_address`` or ``address``).
    ADDRESS_INCOMPLETE = "address_incomplete"

    # Checkout: an address-book id that is not the caller's (400, ``errors`` names the field).
    ADDRESS_NOT_FOUND = "address_not_found"
    # Checkout from an empty cart (400).
    CART_EMPTY = "cart_empty"
    # A tracking event's occurred_at in the future (beyond the clock-skew allowance), before the order was placed, or,
    # for an event that changes the shipment's status, before its latest event (400, ``errors.occurred_at``).
    INVALID_EVENT_TIME = "invalid_event_time"
    # A ``payment_method`` that names no payment method at all, neither a code nor an id of the registry ("paypal",
    # "9"): a typo, valid on no server (400, naming ``payment_method``). Every endpoint that takes a method alike:
    # checkout, guest checkout, create-intent, a guest's pay route.
    INVALID_PAYMENT_METHOD = "invalid_payment_method"
    # A tracking event status that is unknown, moves the shipment backwards, or is "cancelled" (400).
    INVALID_SHIPMENT_STATUS = "invalid_shipment_status"
    # Checkout names a shipping method that is unknown or inactive (400).
    INVALID_SHIPPING_METHOD = "invalid_shipping_method"
    # A payment method the code supports that cannot pay this order here and now (400, naming ``payment_method``):
    # the shop does not offer it (not in PAYMENT_METHODS, its gateway's keys missing, deactivated by staff; for a
    # checkout without one, no method offered or the shop's default not), or its limits refuse the order (staff's
    # totals and currencies, the gateway's minimum charge or steps). Checkout, guest checkout, create-intent and a
    # guest's pay route alike; a gateway's webhook when the shop does not offer that gateway (one offered but not
    # set up is the 503 ``provider_not_configured``).
    METHOD_UNAVAILABLE = "method_unavailable"
    # Checkout without a shipping method while the shop offers some and SHIPPING_METHOD_REQUIRED is on (400,
    # ``errors`` naming ``shipping_method``; GET /orders/shipping-methods/ lists them).
    SHIPPING_METHOD_REQUIRED = "shipping_method_required"
    # Staff shipping an order that has no complete shipping address (none, or one given as free text before
    # addresses had to be structured): nowhere to send it (409).
    SHIPPING_ADDRESS_MISSING = "shipping_address_missing"
    # A status that is not an order status (400).
    INVALID_STATUS = "invalid_status"
    # A status move the order pipeline (``transitions.py``) refuses (400).
    INVALID_TRANSITION = "invalid_transition"
    # A direct order with no items (400).
    ITEMS_REQUIRED = "items_required"
    # The order is past cancelling (shipped, delivered or cancelled): cancel and refund refusals (400).
    NOT_CANCELLABLE = "not_cancellable"
    # ``PATCH /orders/{id}/`` with a field other than the status (400).
    NOT_UPDATABLE = "not_updatable"
    # A shipment change on a cancelled order (400).
    ORDER_CANCELLED = "order_cancelled"
    # A shipment change on a delivered order that it no longer takes (400).
    ORDER_DELIVERED = "order_delivered"
    # Shipping or delivering an order still waiting for its online payment (400).
    ORDER_NOT_PAID = "order_not_paid"
    # The order was already paid: a customer cancel, a second payment, cash collected after an online payment (400).
    ORDER_PAID = "order_paid"
    # A customer asked for a partial refund: only staff refund part of a payment (403).
    PARTIAL_REFUND_STAFF_ONLY = "partial_refund_staff_only"
    # A customer refund while PAYMENTS_CUSTOMER_REFUNDS is off (403).
    REFUND_STAFF_ONLY = "refund_staff_only"
    # The client's expected_total differs from the order's computed total (409, ``total`` and ``currency`` in the body).
    TOTAL_MISMATCH = "total_mismatch"
