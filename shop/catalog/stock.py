"""The one place stock moves. Every other module calls these functions; none updates stock itself.

A purchase line names a product, or a product *variant* (which has its own stock). Deduction is a guarded
conditional UPDATE (``stock >= q``), so two checkouts can never take the same unit even without a prior
SELECT ... FOR UPDATE; every shortage is collected and reported together. All the product lines move in one
multi-row UPDATE, all the variant lines in another, whatever their number, their rows locked in id order (products
first, then variants) so concurrent multi-line checkouts cannot deadlock.
Callers must already be inside ``transaction.atomic()`` (a shortage raises and rolls back what was applied);
both functions raise ``TransactionRequired`` when they are not (``shop.core.locking``).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import connection, transaction

from shop.core.exceptions import ApplicationError
from shop.core.locking import transaction_required
from shop.events.services import event_record
from shop.events.types import EventType

from .errors import CatalogErrorCode
from .models import Product, ProductVariant


@dataclass(frozen=True)
class StockLine:
    product_id: int
    quantity: int
    variant_id: int | None = None


@dataclass(frozen=True)
class Shortage:
    product_id: int
    variant_id: int | None
    name: str
    requested: int
    available: int
    reason: str  # "insufficient_stock" | "unavailable"

    def message(self) -> str:
        if self.reason == "unavailable":
            return f"'{self.name}' is no longer available."
        return f"Not enough stock for '{self.name}': {self.requested} requested, {self.available} available."


class InsufficientStock(ApplicationError):
    default_code = CatalogErrorCode.INSUFFICIENT_STOCK

    def __init__(self, shortages: list[Shortage]):
        self.shortages = shortages
        super().__init__(
            " ".join(s.message() for s in shortages),
            extra={"shortages": [s.__dict__ for s in shortages]},
        )


def _merge(lines: Iterable[StockLine]) -> tuple[dict[int, int], dict[int, int]]:
    products: dict[int, int] = defaultdict(int)
    variants: dict[int, int] = defaultdict(int)
    for line in lines:
        if line.quantity <= 0:
            raise ApplicationError("Quantities must be positive.", code=CatalogErrorCode.INVALID_QUANTITY)
        if line.variant_id is None:
            products[line.product_id] += line.quantity
        else:
            variants[line.variant_id] += line.quantity
    return dict(sorted(products.items())), dict(sorted(variants.items()))


def _shortages_for_products(requested: dict[int, int]) -> list[Shortage]:
    """Why each product line of ``requested`` (``{product id: quantity}``, in id order) could not be served: one
    query for all of them."""
    found = {row["pk"]: row for row in Product.objects.filter(pk__in=requested).values(
        "pk", "name", "stock_quantity", "is_active", "is_deleted")}
    shortages = []
    for product_id, quantity in requested.items():
        product = found.get(product_id)
        if product is None or not product["is_active"] or product["is_deleted"]:
            name = product["name"] if product else f"product #{product_id}"
            shortages.append(Shortage(product_id, None, name, quantity, 0, "unavailable"))
        else:
            shortages.append(Shortage(product_id, None, product["name"], quantity, product["stock_quantity"],
                                      "insufficient_stock"))
    return shortages


def _shortages_for_variants(requested: dict[int, int]) -> list[Shortage]:
    """As :func:`_shortages_for_products`, for variant lines (``{variant id: quantity}``): one query."""
    found = {row["pk"]: row for row in ProductVariant.objects.filter(pk__in=requested).values(
        "pk", "product_id", "name", "product__name", "stock_quantity", "is_active", "product__is_active",
        "product__is_deleted")}
    shortages = []
    for variant_id, quantity in requested.items():
        variant = found.get(variant_id)
        if variant is None:
            shortages.append(Shortage(0, variant_id, f"variant #{variant_id}", quantity, 0, "unavailable"))
            continue
        name = f"{variant['product__name']} ({variant['name']})"
        if not (variant["is_active"] and variant["product__is_active"]) or variant["product__is_deleted"]:
            shortages.append(Shortage(variant["product_id"], variant_id, name, quantity, 0, "unavailable"))
        else:
            shortages.append(Shortage(variant["product_id"], variant_id, name, quantity, variant["stock_quantity"],
                                      "insufficient_stock"))
    return shortages


@transaction_required
def stock_deduct(*, lines: Iterable[StockLine]) -> None:
    """Take stock for every line, or raise :class:`InsufficientStock` naming every line that cannot be served.

    One guarded multi-row ``UPDATE`` for the product lines and one for the variant lines, whatever their number: a
    row is taken only while ``stock >= q`` and it is for sale. A shortage costs one more query per kind, to say
    why; the caller's transaction then rolls back the rows that were taken.

    Also raises ``ApplicationError`` (``invalid_quantity``) for a quantity below 1, and ``TransactionRequired``
    outside ``transaction.atomic()``.
    """
    products, variants = _merge(lines)
    taken_products = _move(_PRODUCT_DEDUCT, products)
    taken_variants = _move(_VARIANT_DEDUCT, variants)
    short_products = {pk: quantity for pk, quantity in products.items() if pk not in taken_products}
    short_variants = {pk: quantity for pk, quantity in variants.items() if pk not in taken_variants}
    if short_products or short_variants:
        raise InsufficientStock((_shortages_for_products(short_products) if short_products else [])
                                + (_shortages_for_variants(short_variants) if short_variants else []))
    for product_id, (left, own_threshold) in taken_products.items():
        if _crossed(left, products[product_id], own_threshold):
            _stock_low(product_id, variant_id=None, left=left, threshold=_threshold(own_threshold))
    for variant_id, (left, product_id, own_threshold) in taken_variants.items():
        if _crossed(left, variants[variant_id], own_threshold):
            _stock_low(product_id, variant_id=variant_id, left=left, threshold=_threshold(own_threshold))
    _invalidate_after_commit(products, variants)


# The multi-row UPDATEs, written out so that they answer the stock left (RETURNING, PostgreSQL and SQLite >= 3.35) at
# no extra query: stock.low is emitted when a sale takes the stock from above the threshold to at or below it.
# ``{lines}`` is the request's (id, quantity) rows. On PostgreSQL ``{locked}`` locks the rows in id order first: a
# multi-row UPDATE alone locks them in whatever order its plan visits them, and two checkouts could deadlock. The
# guards are on the updated row itself, so PostgreSQL re-checks them against the newest row version after waiting for
# a concurrent buyer's lock (a guard only in a subquery is not re-checked, and the stock could go negative).
_PRODUCT_DEDUCT = (
    "{locked}UPDATE catalog_product SET stock_quantity = catalog_product.stock_quantity - line.quantity "
    "FROM {lines} WHERE catalog_product.id = line.id{locked_join} "
    "AND catalog_product.is_active AND NOT catalog_product.is_deleted "
    "AND catalog_product.stock_quantity >= line.quantity "
    "RETURNING catalog_product.id, catalog_product.stock_quantity, catalog_product.low_stock_threshold"
)
# The variant row is the one updated and locked; its product's guards are a subquery (as they were before the
# statements became multi-row: a product deactivated while a checkout waits on its variant's row lock sells once).
_VARIANT_DEDUCT = (
    "{locked}UPDATE catalog_productvariant "
    "SET stock_quantity = catalog_productvariant.stock_quantity - line.quantity "
    "FROM {lines} WHERE catalog_productvariant.id = line.id{locked_join} "
    "AND catalog_productvariant.is_active AND catalog_productvariant.stock_quantity >= line.quantity "
    "AND catalog_productvariant.product_id IN (SELECT id FROM catalog_product WHERE is_active AND NOT is_deleted) "
    "RETURNING catalog_productvariant.id, catalog_productvariant.stock_quantity, catalog_productvariant.product_id, "
    "(SELECT low_stock_threshold FROM catalog_product WHERE catalog_product.id = catalog_productvariant.product_id)"
)
_PRODUCT_RESTORE = (
    "{locked}UPDATE catalog_product SET stock_quantity = catalog_product.stock_quantity + line.quantity "
    "FROM {lines} WHERE catalog_product.id = line.id{locked_join} RETURNING catalog_product.id"
)
_VARIANT_RESTORE = (
    "{locked}UPDATE catalog_productvariant "
    "SET stock_quantity = catalog_productvariant.stock_quantity + line.quantity "
    "FROM {lines} WHERE catalog_productvariant.id = line.id{locked_join} RETURNING catalog_productvariant.id"
)


def _move(template: str, quantities: dict[int, int]) -> dict[int, tuple]:
    """Run one of the statements above for ``quantities`` (``{id: quantity}``, in id order; none: no query) and
    answer ``{id: the rest of its RETURNING row}`` for the rows it moved."""
    if not quantities:
        return {}
    table = template.split("UPDATE ", 1)[1].split(" ", 1)[0]
    rows = ", ".join(["(%s, %s)"] * len(quantities))
    params: list[int] = [value for pair in quantities.items() for value in pair]
    # Only placeholders and this module's own table names are formatted in; the values go as parameters.
    if connection.vendor == "postgresql":
        ids = ", ".join(["%s"] * len(quantities))
        sql = template.format(
            locked=f"WITH locked AS MATERIALIZED (SELECT id FROM {table} WHERE id IN ({ids}) "  # noqa: S608
                   "ORDER BY id FOR UPDATE) ",
            lines=f"(VALUES {rows}) AS line (id, quantity), locked", locked_join=f" AND locked.id = {table}.id",
        )
        params = [*quantities, *params]
    else:  # SQLite: one writer at a time (BEGIN IMMEDIATE), no row locks; its VALUES columns are column1, column2
        sql = template.format(locked="", locked_join="",
                              lines=f"(SELECT column1 AS id, column2 AS quantity FROM (VALUES {rows})) AS line")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


def _threshold(own: int | None) -> int:
    return settings.CATALOG_LOW_STOCK_THRESHOLD if own is None else own


def _crossed(left: int, taken: int, own_threshold: int | None) -> bool:
    threshold = _threshold(own_threshold)
    return left <= threshold < left + taken


def _stock_low(product_id: int, *, variant_id: int | None, left: int, threshold: int) -> None:
    """Record stock.low for the product. A product's own UPDATE holds its row lock; a variant's does not, so the
    product row is locked first (the event's sequence runs per product), at one more query only on a crossing."""
    if variant_id is not None:
        list(Product.objects.select_for_update().filter(pk=product_id).values_list("pk", flat=True))
    event_record(type=EventType.STOCK_LOW, resource_id=product_id,
                 data={"variant_id": variant_id, "stock_quantity": left, "threshold": threshold})


@transaction_required
def stock_restore(*, lines: Iterable[StockLine]) -> None:
    """Give stock back (cancel, expiry, refund). Restores even to inactive or deleted products: the units exist.

    One multi-row ``UPDATE`` per kind (products, variants), their rows locked in id order as ``stock_deduct`` locks
    them. Raises ``TransactionRequired`` outside ``transaction.atomic()``.
    """
    products, variants = _merge(lines)
    _move(_PRODUCT_RESTORE, products)
    _move(_VARIANT_RESTORE, variants)
    _invalidate_after_commit(products, variants)


def _invalidate_after_commit(products: dict[int, int], variants: dict[int, int]) -> None:
    from .cache import catalog_stock_moved

    transaction.on_commit(partial(catalog_stock_moved, product_ids=tuple(products), variant_ids=tuple(variants)))
