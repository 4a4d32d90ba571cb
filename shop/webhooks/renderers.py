"""The ``object`` of an event: its resource as the API answers it, rendered with the API's own output serializers.

This app sits above orders, payments, catalog and accounts (pyproject.toml's layers), so it may import their
serializers, while the apps that record events import only the outbox below them. An event is rendered once, when
it is first relayed; a resource that no longer exists renders as ``None``.
"""

from collections.abc import Callable

from django.contrib.auth import get_user_model
from rest_framework import serializers

from shop.accounts.api.serializers import UserOutput
from shop.catalog import selectors as catalog_selectors
from shop.catalog.api.serializers import ProductOutput
from shop.core.links import public_base_url
from shop.core.snapshot import read_snapshot
from shop.events.types import Resource
from shop.orders import selectors as order_selectors
from shop.orders.api.serializers import OrderOutput
from shop.payments import selectors as payment_selectors
from shop.payments.api.serializers import PaymentReadOutput, RefundOutput
from shop.payments.models import Refund


def _order(order_id: int) -> dict | None:
    order = order_selectors.order_get(order_id=order_id)
    # As staff read it, like the product and the user below: the receivers are the shop's own systems, which staff
    # registered (who moved each status, and staff's notes, included).
    return OrderOutput(order, context={"staff_view": True}).data if order else None


def _payment(payment_id: int) -> dict | None:
    # As GET /payments/{id}/ answers it to staff: with its refunds.
    payment = payment_selectors.payment_read_queryset().filter(pk=payment_id).first()
    return PaymentReadOutput(payment).data if payment else None


class RefundEventOutput(RefundOutput):
    """A refund event's ``object``: the refund exactly as ``POST /payments/refund/`` answers it (``amount`` gross,
    its ``tax``, ``tax_lines`` by rate, ``lines`` per order line, shipping or excess), plus what a receiver needs
    to file it without another call: its payment, order and ``currency`` (the payment's), the gateway's
    ``failure_message`` (null unless it failed) and ``updated_at``."""

    payment_id = serializers.IntegerField(read_only=True)
    order_id = serializers.IntegerField(source="payment.order_id", read_only=True)
    currency = serializers.CharField(source="payment.currency", read_only=True)
    failure_message = serializers.SerializerMethodField()

    class Meta(RefundOutput.Meta):
        fields = [*RefundOutput.Meta.fields, "payment_id", "order_id", "currency", "failure_message", "updated_at"]
        read_only_fields = fields

    def get_failure_message(self, refund: Refund) -> str | None:
        return refund.failure_message or None


def _refund(refund_id: int) -> dict | None:
    # The API's own read of a refund (refund_get: its payment in the same row, its lines in one query, whatever
    # their number), on one snapshot: a settlement committing between the two never pairs a status with lines of
    # another moment.
    with read_snapshot():
        try:
            refund = payment_selectors.refund_get(refund_id=refund_id)
        except Refund.DoesNotExist:
            return None
        return RefundEventOutput(refund).data


def _product(product_id: int) -> dict | None:
    product = catalog_selectors.product_queryset(staff=True, include_deleted=True).filter(pk=product_id).first()
    if product is None:
        return None
    # As staff's product read answers it (a deleted one as GET /products/?deleted=true lists it): no read shows a
    # deleted flag; product.deleted says so.
    return ProductOutput(product, context={"request": None, "public_base_url": public_base_url()}).data


def _customer(user_id: int) -> dict | None:
    user = get_user_model().objects.filter(pk=user_id).first()
    return UserOutput(user).data if user else None


RENDERERS: dict[str, Callable[[int], dict | None]] = {
    Resource.ORDER: _order,
    Resource.PAYMENT: _payment,
    Resource.REFUND: _refund,
    Resource.PRODUCT: _product,
    Resource.CUSTOMER: _customer,
}


def render(resource_type: str, resource_id: int) -> dict | None:
    """The JSON-able API answer for the resource (``GET /orders/{id}/`` for an order...), or None if it is gone."""
    data = RENDERERS[resource_type](resource_id)
    return None if data is None else _plain(data)


def _plain(value):
    """Serializer output (ReturnDict, Decimal already strings) as plain dicts and lists for JSONField."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
