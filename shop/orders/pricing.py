"""Checkout's pricing: the pipeline's input from the order's lines, shipping and address, and what the order stores.

:func:`checkout_price` is the one place an order's money is computed (``shop.pricing.quote.price_quote`` does the
arithmetic); the checkout stores its answer on the order and its lines (:func:`order_price_fields`,
:func:`order_item_price_fields`), and from then on the order, its refunds and its invoice read only those stored
figures: a later price or rate change never alters them. Discounts (vouchers) plug in through ``line_discounts``
and ``order_discount``.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shop.catalog.models import Product, ProductVariant
from shop.pricing.models import TaxClass
from shop.pricing.pipeline import LinePrice, OrderPrice, PriceLine, ShippingCharge
from shop.pricing.quote import price_quote
from shop.pricing.rates import tax_lines_text

from .models import ShippingMethod


@dataclass(frozen=True)
class CheckoutLine:
    """One line being bought: ``quantity`` of ``product`` (or its ``variant``) at ``unit_price`` (major units, the
    shop's entry basis: for a cart line the held price, for a direct order the catalog's)."""

    product: Product
    variant: ProductVariant | None
    quantity: int
    unit_price: Decimal


def _tax_class_codes(lines: Sequence[CheckoutLine], shipping_method: ShippingMethod | None) -> dict[int, str]:
    """``{tax class id: code}`` for every class the lines and shipping name: one query, none when none is named."""
    ids = {line.product.tax_class_id for line in lines} | {line.variant.tax_class_id for line in lines if line.variant}
    if shipping_method is not None:
        ids.add(shipping_method.tax_class_id)
    ids.discard(None)
    return dict(TaxClass.objects.filter(pk__in=ids).values_list("pk", "code")) if ids else {}


def _line_class(line: CheckoutLine, codes: Mapping[int, str]) -> str | None:
    """The variant's own class, else the product's; ``None``: the default class."""
    if line.variant is not None and line.variant.tax_class_id is not None:
        return codes[line.variant.tax_class_id]
    return codes[line.product.tax_class_id] if line.product.tax_class_id is not None else None


def shipping_fee(*, lines: Sequence[CheckoutLine], shipping_method: ShippingMethod | None) -> Decimal | None:
    """What ``shipping_method`` charges for ``lines`` before any voucher (free over its ``free_over``, compared with
    the lines at their unit prices), or None without a shipping method."""
    if shipping_method is None:
        return None
    return shipping_method.fee_for(sum((line.unit_price * line.quantity for line in lines), Decimal(0)))


def checkout_price(
    *,
    lines: Sequence[CheckoutLine],
    shipping_method: ShippingMethod | None,
    address: Mapping[str, Any] | None,
    line_discounts: Sequence[Decimal] | None = None,
    order_discount: Decimal = Decimal(0),
    shipping_discount: Decimal = Decimal(0),
) -> OrderPrice:
    """Price an order: ``lines`` (their ``LinePrice.key`` is the line's index), shipping by ``shipping_method``'s
    fee for the lines' subtotal (free over its ``free_over``), taxed for ``address`` (a snapshot dict with
    ``country`` and ``state``; ``None``: the shop's country). ``line_discounts`` (one amount per line, for the
    whole line) and ``order_discount`` are taken off as docs/PRICING.md describes; ``shipping_discount`` (a
    shipping voucher's, at most the fee: ``shop.discounts``) comes off the shipping fee before it is taxed. One
    query for the tax classes (none when nothing names one) and the tax provider's two, whatever the number of
    lines. Raises
    ``ApplicationError`` 400 ``unpriceable`` for a discount the lines cannot take."""
    codes = _tax_class_codes(lines, shipping_method)
    discounts = list(line_discounts) if line_discounts is not None else [Decimal(0)] * len(lines)
    price_lines = [
        PriceLine(unit_price=line.unit_price, quantity=line.quantity, tax_class=_line_class(line, codes),
                  discount=discount, key=index)
        for index, (line, discount) in enumerate(zip(lines, discounts, strict=True))
    ]
    shipping = None
    fee = shipping_fee(lines=lines, shipping_method=shipping_method)
    if shipping_method is not None and fee is not None:
        shipping = ShippingCharge(
            price=fee - shipping_discount,
            tax_class=codes[shipping_method.tax_class_id] if shipping_method.tax_class_id is not None else None,
        )
    address = {"country": address.get("country", ""), "state": address.get("state", "")} if address else None
    return price_quote(lines=price_lines, shipping=shipping, address=address, order_discount=order_discount)


def order_price_fields(price: OrderPrice) -> dict[str, Any]:
    """The ``Order`` columns that store ``price`` (its totals, shipping, tax lines, and how it was computed)."""
    return {
        "subtotal": price.subtotal, "shipping_fee": price.shipping.gross, "total": price.total,
        "currency": price.currency, "prices_include_tax": price.prices_include_tax,
        "tax_rounding_mode": price.rounding_mode, "discount": price.discount, "shipping_net": price.shipping.net,
        "shipping_tax": price.shipping.tax, "shipping_tax_rate": price.shipping.tax_rate,
        "shipping_tax_class": price.shipping.tax_class, "tax_total": price.tax_total,
        "tax_lines": tax_lines_text(price.tax_lines),
        "tax_source": price.tax_source, "tax_country": price.tax_country, "tax_region": price.tax_region,
    }


def order_item_price_fields(line: LinePrice) -> dict[str, Any]:
    """The ``OrderItem`` columns that store one priced line (``line_total`` = unit price x quantity, as ever)."""
    return {
        "unit_price": line.unit_price, "line_total": line.unit_price * line.quantity, "discount": line.discount,
        "net": line.net, "tax": line.tax, "gross": line.gross, "tax_rate": line.tax_rate,
        "tax_class": line.tax_class,
    }
