"""The one place stock moves. Every other module calls these functions; none updates stock itself.

A purchase line names a product, or a product *variant* (which has its own stock). Deduction is a guarded
conditional UPDATE (``stock >= q``), so two checkouts can never take the same unit even without a prior
SELECT ... FOR UPDATE; every shortage is collected and reported together. Lines are applied in a fixed
order (products by id, then variants by id) so concurrent multi-line checkouts cannot deadlock.
Callers must already be inside ``transaction.atomic()`` (a shortage raises and rolls back what was applied);
both functions raise ``TransactionRequired`` when they are not (``shop.core.locking``).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F

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


def _shortage_for_product(product_id: int, requested: int) -> Shortage:
    product = Product.objects.filter(pk=product_id).values("name", "stock_quantity", "is_active", "is_deleted").first()
    if product is None or not product["is_active"] or product["is_deleted"]:
        name = product["name"] if product else f"product #{product_id}"
        return Shortage(product_id, None, name, requested, 0, "unavailable")
    return Shortage(product_id, None, product["name"], requested, product["stock_quantity"], "insufficient_stock")


def _shortage_for_variant(variant_id: int, requested: int) -> Shortage:
    variant = (
        ProductVariant.objects.filter(pk=variant_id)
        .values("product_id", "name", "product__name", "stock_quantity", "is_active", "product__is_active",
                "product__is_deleted")
        .first()
    )
    if variant is None:
        return Shortage(0, variant_id, f"variant #{variant_id}", requested, 0, "unavailable")
    name = f"{variant['product__name']} ({variant['name']})"
    if not (variant["is_active"] and variant["product__is_active"]) or variant["product__is_deleted"]:
        return Shortage(variant["product_id"], variant_id, name, requested, 0, "unavailable")
    return Shortage(variant["product_id"], variant_id, name, requested, variant["stock_quantity"],
                    "insufficient_stock")


@transaction_required
def stock_deduct(*, lines: Iterable[StockLine]) -> None:
    """Take stock for every line, or raise :class:`InsufficientStock` naming every line that cannot be served.

    Also raises ``ApplicationError`` (``invalid_quantity``) for a quantity below 1, and ``TransactionRequired``
    outside ``transaction.atomic()``.
    """
    products, variants = _merge(lines)
    shortages: list[Shortage] = []
    low: list[tuple[int, int | None, int, int]] = []
    for product_id, quantity in products.items():
        row = _deduct(_PRODUCT_DEDUCT, [quantity, product_id, True, False, quantity])
        if row is None:
            shortages.append(_shortage_for_product(product_id, quantity))
        elif _crossed(row[0], quantity, row[1]):
            low.append((product_id, None, row[0], _threshold(row[1])))
    for variant_id, quantity in variants.items():
        # Every guard on the variant row itself: a filter through the product join would make Django write
        # ``WHERE id IN (SELECT ... JOIN ...)``, which PostgreSQL does not re-check after waiting for a
        # concurrent buyer's row lock, and the stock would go negative (check-constraint error, not a shortage).
        row = _deduct(_VARIANT_DEDUCT, [quantity, variant_id, True, quantity, True, False])
        if row is None:
            shortages.append(_shortage_for_variant(variant_id, quantity))
        elif _crossed(row[0], quantity, row[2]):
            low.append((row[1], variant_id, row[0], _threshold(row[2])))
    if shortages:
        raise InsufficientStock(shortages)
    for low_product, low_variant, left, threshold in low:
        _stock_low(low_product, variant_id=low_variant, left=left, threshold=threshold)
    _invalidate_after_commit(products, variants)


# The guarded UPDATEs, written out so they answer the stock left (RETURNING, PostgreSQL and SQLite >= 3.35) at no
# extra query: stock.low is emitted when a sale takes the stock from above the threshold to at or below it.
_PRODUCT_DEDUCT = (
    "UPDATE catalog_product SET stock_quantity = stock_quantity - %s "
    "WHERE id = %s AND is_active = %s AND is_deleted = %s AND stock_quantity >= %s "
    "RETURNING stock_quantity, low_stock_threshold"
)
_VARIANT_DEDUCT = (
    "UPDATE catalog_productvariant SET stock_quantity = stock_quantity - %s "
    "WHERE id = %s AND is_active = %s AND stock_quantity >= %s "
    "AND product_id IN (SELECT id FROM catalog_product WHERE is_active = %s AND is_deleted = %s) "
    "RETURNING stock_quantity, product_id, "
    "(SELECT low_stock_threshold FROM catalog_product WHERE catalog_product.id = catalog_productvariant.product_id)"
)


def _deduct(sql: str, params: list) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


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

    Raises ``TransactionRequired`` outside ``transaction.atomic()``.
    """
    products, variants = _merge(lines)
    for product_id, quantity in products.items():
        Product.objects.filter(pk=product_id).update(stock_quantity=F("stock_quantity") + quantity)
    for variant_id, quantity in variants.items():
        ProductVariant.objects.filter(pk=variant_id).update(stock_quantity=F("stock_quantity") + quantity)
    _invalidate_after_commit(products, variants)


def _invalidate_after_commit(products: dict[int, int], variants: dict[int, int]) -> None:
    from .cache import catalog_stock_moved

    transaction.on_commit(partial(catalog_stock_moved, product_ids=tuple(products), variant_ids=tuple(variants)))
