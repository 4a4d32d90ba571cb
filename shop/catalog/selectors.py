"""Catalog reads, shaped for their readers: a constant number of queries whatever the page size.

A product list page costs 1 COUNT (memoized per catalog version) + 1 page query (category and tax class joined)
+ 1 images query + 1 variants query (:func:`product_page_rows`).
"""

import re
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import TypeVar, cast

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import router
from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.query import ModelIterable

from shop.core.compiled import CompiledIdsQuery, CompiledSliceQuery
from shop.core.exceptions import NotFound
from shop.core.models import same_text

from .models import Category, Product, ProductImage, ProductVariant

_WORD = re.compile(r"\w+", re.UNICODE)
_Line = TypeVar("_Line", bound=Model)


def user_is_catalog_staff(user) -> bool:
    """Staff who manage the catalog see inactive products and variants (and bypass the public cache)."""
    return bool(user and user.is_authenticated and user.is_staff and user.has_perm("catalog.view_product"))


def _variants_queryset(*, staff: bool) -> QuerySet[ProductVariant]:
    variants = ProductVariant.objects.filter(is_deleted=False).select_related("tax_class")
    return variants if staff else variants.filter(is_active=True)


def with_shown_stock(products: QuerySet[Product], *, staff: bool) -> QuerySet[Product]:
    """Annotate ``shown_stock``: what a product can sell, in one column of the same query (no query per row).

    A product with variants is sold only as one of them (the cart's ``purchasable_get``), so its figure is the sum of
    the variants' stock (the ones ``staff`` or the public see: live ones, active too for the public; 0 when none
    is left); a product without variants shows its own ``stock_quantity``. List pages apply the same rule in
    Python to the variants they read anyway (:func:`product_page_rows`).
    """
    return products.annotate(shown_stock=_shown_stock(product="pk", own_stock="stock_quantity", staff=staff))


def _shown_stock(*, product: str, own_stock: str, staff: bool) -> Case:
    """The ``shown_stock`` rule as one SQL expression: ``product`` names the product's id and ``own_stock`` its
    own column, as seen from the queryset it annotates."""
    variants = _variants_queryset(staff=staff).filter(product=OuterRef(product))
    variant_sum = Subquery(
        variants.order_by().values("product").annotate(total=Sum("stock_quantity")).values("total")[:1],
        output_field=IntegerField(),
    )
    has_variants = Exists(ProductVariant.objects.filter(product=OuterRef(product)))
    return Case(When(has_variants, then=Coalesce(variant_sum, Value(0))), default=F(own_stock),
                output_field=IntegerField())


class _LinesWithShownStock(ModelIterable):
    """Hands each line's ``product_shown_stock`` annotation to its (select_related) product as ``shown_stock``."""

    def __iter__(self):
        for line in super().__iter__():
            if line.product is not None:
                line.product.shown_stock = line.product_shown_stock
            yield line


def lines_with_product_shown_stock(lines: QuerySet[_Line]) -> QuerySet[_Line]:
    """Cart or order lines (any model with a ``product`` foreign key) whose ``line.product.shown_stock`` is the
    catalog's public figure (:func:`with_shown_stock`: for a product with variants, the sum of its live, active
    variants' stock), computed in the lines' own query: no query added, whatever the number of lines."""
    annotated = cast("QuerySet[_Line]", lines.annotate(product_shown_stock=_shown_stock(
        product="product_id", own_stock="product__stock_quantity", staff=False)))
    annotated._iterable_class = _LinesWithShownStock  # kept by every clone, so by Prefetch's filtering too
    return annotated


def product_queryset(*, user=None, staff: bool | None = None, include_deleted: bool = False) -> QuerySet[Product]:
    """Products the user may see (``staff=True``: every live one; with ``include_deleted``, the soft-deleted ones
    too, for the staff list's ``deleted`` filter), with everything the serializer reads. Customers never get a
    deleted or inactive product, whatever the arguments."""
    if staff is None:
        staff = user_is_catalog_staff(user)
    products = product_list_queryset(staff=staff, include_deleted=include_deleted)
    return (
        with_shown_stock(products, staff=staff).select_related("category", "tax_class")
        .defer("search_vector")
        .prefetch_related(
            Prefetch("images", queryset=ProductImage.objects.order_by("-is_primary", "id")),
            Prefetch("variants", queryset=_variants_queryset(staff=staff)),
        )
    )


# What a product answer shows, read as plain rows (``product_page_rows``): the product's own columns, with its
# category and tax class joined.
PRODUCT_ROW_FIELDS = (
    "id", "name", "slug", "description", "price", "stock_quantity", "is_active", "category_id", "category__name",
    "category__slug", "tax_class__code", "low_stock_threshold", "created_at", "updated_at",
)
IMAGE_ROW_FIELDS = ("id", "product_id", "image", "image_url", "is_primary")
VARIANT_ROW_FIELDS = (
    "id", "product_id", "sku", "barcode", "name", "options", "price_override", "stock_quantity", "is_active",
    "is_deleted", "tax_class__code",
)


@dataclass(frozen=True)
class ProductPageRows:
    """A page of products as plain rows (``values()`` dicts), in the page's order, each with its ``shown_stock``,
    and each product's images and shown variants (keyed by product id, each list in the order the product answer
    shows them)."""

    products: list[dict]
    images: dict[int, list[dict]]
    variants: dict[int, list[dict]]


# The page's three reads, compiled once per page size (shop.core.compiled: compiling them was most of an uncached
# page's CPU). The rows by id serve a page whose ids are known in order (a ranked search page).
_ROWS_BY_ID = CompiledIdsQuery(Product, lambda ids: Product.objects.filter(pk__in=ids).values(*PRODUCT_ROW_FIELDS))
_IMAGES_OF = CompiledIdsQuery(ProductImage, lambda ids: ProductImage.objects.filter(product_id__in=ids)
                              .order_by("-is_primary", "id").values(*IMAGE_ROW_FIELDS))
_VARIANTS_OF = CompiledIdsQuery(ProductVariant, lambda ids: ProductVariant.objects.filter(product_id__in=ids)
                                .order_by("id").values(*VARIANT_ROW_FIELDS))


def product_page_rows(products: QuerySet[Product], *, staff: bool, ids: list[int] | None = None) -> ProductPageRows:
    """The rows of ``products`` (a page of :func:`product_list_queryset`, filtered and ordered) as plain rows,
    with the images and variants :func:`product_queryset` would prefetch (live ones; active ones too unless
    ``staff``) and each product's ``shown_stock``. ``ids``: the page's product ids in its order, when the caller
    knows them (then ``products`` is not read: the rows are read by id and put in that order).

    Three queries, none when the page is empty, as the prefetching queryset; but no model instance is built:
    on an uncached list page the instances, their prefetch bookkeeping and the nested serializers over them
    were most of the CPU time (bench/README.md, "Uncached catalog pages, round two"). For the same reason
    ``shown_stock`` is summed here from the page's variants (every one of them is read, hidden ones too) rather
    than by :func:`with_shown_stock`'s subqueries: the same rule, and shop/catalog/tests/test_product_rows.py
    asserts the same figures for every case of it.
    """
    if ids is None:
        rows = list(products.prefetch_related(None).values(*PRODUCT_ROW_FIELDS))
    else:
        position = {pk: index for index, pk in enumerate(ids)}
        rows = sorted(_ROWS_BY_ID.rows(ids), key=lambda row: position[row["id"]])
    if not rows:
        return ProductPageRows(products=[], images={}, variants={})
    ids = [row["id"] for row in rows]
    images: dict[int, list[dict]] = defaultdict(list)
    for image in _IMAGES_OF.rows(ids):
        images[image["product_id"]].append(image)
    shown: dict[int, list[dict]] = defaultdict(list)
    has_variants: set[int] = set()
    for variant in _VARIANTS_OF.rows(ids):
        has_variants.add(variant["product_id"])
        if not variant["is_deleted"] and (staff or variant["is_active"]):
            shown[variant["product_id"]].append(variant)
    for row in rows:  # with_shown_stock's rule: with variants, the sum of the shown ones' stock
        product_id = row["id"]
        row["shown_stock"] = (sum(variant["stock_quantity"] for variant in shown.get(product_id, ()))
                              if product_id in has_variants else row["stock_quantity"])
    return ProductPageRows(products=rows, images=images, variants=shown)


# The plain public list (no filter, no ordering: newest first), the catalog's most read page: its ids compiled once.
_PUBLIC_IDS = CompiledSliceQuery(Product, lambda: Product.objects.public().values_list("created_at", "pk"),
                                 keyset=("-created_at", "-id"))
# Every ANCHOR_EVERY rows of the plain list, the row that ends that stretch, per catalog version (see
# public_page_ids). A dict per process, bounded by _ANCHOR_VERSIONS versions.
ANCHOR_EVERY = 1000
_ANCHOR_VERSIONS = 4
_anchors: dict[tuple[str, int, int], dict[int, tuple]] = {}
_anchors_lock = threading.Lock()


def public_page_ids(offset: int, limit: int, *, version: int | None = None, every: int = ANCHOR_EVERY) -> list[int]:
    """The ids of the public products at positions ``offset`` to ``offset + limit - 1`` (0-based) of the plain list,
    newest first: what ``product_list_queryset(staff=False)``'s ids give sliced, read from
    ``catalog_product_public_idx`` with no per-request query compile.

    ``version``: the catalog version the read answers for (``shop.catalog.cache``; every write to a product moves
    it). With one, a deep page starts from an *anchor*, the row ending the stretch of ``every`` rows before it,
    kept in this process for that version, instead of an ``OFFSET`` that steps over every row before the page:
    at 100,000 products an ``OFFSET`` of 20,000 cost PostgreSQL ~1.4 ms and an anchored page ~0.3 ms
    (bench/README.md section 18). An anchor is found once per version and process, from the nearest one before
    it. Without a version (a staff read, the cache unreachable) the page is read by ``OFFSET``.
    Raises ValueError for a negative offset or a limit below 1.
    """
    block = offset // every
    if version is None or block == 0:
        return [pk for _, pk in _PUBLIC_IDS.rows(offset, limit)]
    anchors = _version_anchors(version, every)
    if block not in anchors:  # one read from the nearest anchor before it (or the list's start)
        known = max((b for b in list(anchors) if b < block), default=0)
        found = _PUBLIC_IDS.rows((block - known) * every - 1, 1, after=anchors.get(known))
        if not found:  # the list ends before this anchor: the page is past its end
            return []
        anchors[block] = found[0]
    return [pk for _, pk in _PUBLIC_IDS.rows(offset - block * every, limit, after=anchors[block])]


def _version_anchors(version: int, every: int) -> dict[int, tuple]:
    """This process's anchors of the plain list for ``version`` on the read database, every ``every`` rows (block ->
    keyset values)."""
    key = (router.db_for_read(Product), version, every)
    with _anchors_lock:
        anchors = _anchors.get(key)
        if anchors is None:
            while len(_anchors) >= _ANCHOR_VERSIONS:
                del _anchors[next(iter(_anchors))]
            anchors = _anchors[key] = {}
        return anchors


def product_list_queryset(*, staff: bool, include_deleted: bool = False) -> QuerySet[Product]:
    """The products a list page filters, counts and pages: those :func:`product_queryset` gives, without what only
    the page's rows need (``shown_stock``, the joins, the prefetches), which :func:`product_page_rows` reads."""
    if staff:
        return Product.objects.all() if include_deleted else Product.objects.live()
    return Product.objects.public()


class _SearchTerms(SearchQuery):
    """A search's tsquery, rendered by :func:`_search_terms` (a ``SearchQuery``, so ``search_vector=`` takes it)."""

    def __init__(self, sql: str, params: list[str]):
        super().__init__(Value(""))  # the value is never rendered: as_sql() below is
        self.sql, self.params = sql, params

    def as_sql(self, compiler, connection, *args, **kwargs):
        return self.sql, list(self.params)


def _search_terms(words: list[str], *, mode: str) -> _SearchTerms:
    r"""The tsquery for ``words`` (``\w+`` tokens, lower case) under ``CATALOG_SEARCH_PREFIX=mode``.

    ``search_vector`` holds two sets of lexemes (migration 0010): stemmed English words (``catalog_english``:
    unaccented, stop words dropped) and the words as written (``catalog_simple``: unaccented, lower case, stop
    words kept). A whole word is looked up stemmed ("lamps" finds lamp). A word that may be the start of a longer
    one matches stemmed as a whole word or, as written, as a prefix: "runn" finds running, whose stem "run" it
    does not start. The last word, the one being typed, does so even when it is a common word ("lamp a" finds
    "Adjustable lamp"), so a search never finds nothing because its half-typed word is "a"; before the last,
    a common word is ignored as a whole word is (``CASE``: its English query is empty), in every mode.

    Only \w+ tokens reach to_tsquery (each word a parameter), so user input can never produce a tsquery syntax
    error. Every ``to_tsquery(config, text)`` is immutable, so PostgreSQL folds the whole expression to one
    constant before it plans the GIN index scan.
    """
    english, simple = "to_tsquery('catalog_english', %s)", "to_tsquery('catalog_simple', %s)"
    last = len(words) - 1
    prefixes = {index for index in range(len(words)) if mode == "all" or (mode == "last" and index == last)}
    whole = [word for index, word in enumerate(words) if index not in prefixes]
    parts, params = ([english], [" & ".join(whole)]) if whole else ([], [])
    for index in sorted(prefixes):
        word = words[index]
        # Stemmed or as a prefix; only the prefix when the word is its own stem (it covers that lexeme already, and
        # the index is not scanned twice for it).
        either = f"CASE WHEN {english} = {simple} THEN {simple} ELSE {english} || {simple} END"
        either_params = [word, word, f"{word}:*", word, f"{word}:*"]
        if index == last:
            parts.append(either)
            params += either_params
        else:
            parts.append(f"CASE WHEN numnode({english}) = 0 THEN {english} ELSE {either} END")
            params += [word, word, *either_params]
    return _SearchTerms("(" + " && ".join(parts) + ")", params)


def product_search(queryset: QuerySet[Product], text: str) -> QuerySet[Product]:
    """Ranked full-text search on PostgreSQL (every word must match, stemmed by the English dictionary, accents
    ignored; name weighs more than description); a case-insensitive substring match elsewhere. Results come best
    match first unless the caller orders them.

    Which words also match as the start of a longer word, as written ("runn" finds running), is
    ``settings.CATALOG_SEARCH_PREFIX``: ``last`` (the default: "wireless headph" finds wireless headphones,
    "wire headphones" does not; the rule of Algolia's default ``prefixLast`` and of Meilisearch), ``all`` or
    ``none`` (:func:`_search_terms`). A prefix is a scan of every indexed word it starts, so each one costs the
    database more than a whole word.
    """
    text = text.strip()
    if not text:
        return queryset
    if not settings.IS_POSTGRES:
        return queryset.filter(Q(name__icontains=text) | Q(description__icontains=text))
    words = _WORD.findall(text.lower())[:10]
    if not words:
        return queryset.none()
    # Only \w+ tokens reach to_tsquery, so user input can never produce a tsquery syntax error.
    query = _search_terms(words, mode=settings.CATALOG_SEARCH_PREFIX)
    return (
        queryset.filter(search_vector=query)
        .annotate(search_rank=SearchRank(F("search_vector"), query))
        .order_by("-search_rank", "-created_at", "-id")
    )


def product_get(*, slug: str, user) -> Product:
    """By slug, ignoring case as slug uniqueness does (``HAT-1`` and ``hat-1`` are one product); a number that is
    no product's slug is tried as the id (``/products/<id>/`` works too)."""
    products = product_queryset(user=user)
    product = products.filter(same_text("slug", slug)).first()
    if product is None and slug.isdigit():
        product = products.filter(pk=int(slug)).first()
    if product is None:
        raise NotFound("No product matches the given query.")
    return product


def product_get_for_staff(*, pk: int) -> Product:
    """A live product, active or not, shaped for the product serializer: what a write answers with."""
    return product_queryset(staff=True).get(pk=pk)


def product_get_live(*, slug: str) -> Product:
    """A live (not soft-deleted) product, active or not, by slug (ignoring case) or id: the row a staff write
    changes. A plain read: it takes no row lock. Raises ``NotFound`` (404)."""
    product = Product.objects.live().filter(same_text("slug", slug)).first()
    if product is None and slug.isdigit():
        product = Product.objects.live().filter(pk=int(slug)).first()
    if product is None:
        raise NotFound("No product matches the given query.")
    return product


def variant_list(*, product: Product, user) -> QuerySet[ProductVariant]:
    """A product's variants for its variant list: active ones for customers; for catalog staff every one, the
    soft-deleted included (the list's ``deleted`` filter picks live or deleted ones)."""
    variants = ProductVariant.objects.filter(product=product).select_related("product", "tax_class").order_by("id")
    if not user_is_catalog_staff(user):
        variants = variants.filter(is_active=True, is_deleted=False)
    return variants


def category_list() -> QuerySet[Category]:
    return Category.objects.all()


def category_get(*, slug: str) -> Category:
    """A category by slug, ignoring case as slug uniqueness does; raises ``NotFound`` (404)."""
    category = Category.objects.filter(same_text("slug", slug)).first()
    if category is None:
        raise NotFound("No category matches the given query.")
    return category


def category_products(*, category: Category) -> QuerySet[Product]:
    """The category page's product summaries: active products only, for everyone."""
    return Product.objects.public().filter(category=category).order_by("name", "id").only(
        "id", "name", "slug", "price"
    )


def image_get(*, pk: int, user) -> ProductImage:
    images = ProductImage.objects.select_related("product")
    if user_is_catalog_staff(user):
        images = images.filter(product__is_deleted=False)
    else:
        images = images.filter(product__is_deleted=False, product__is_active=True)
    image = images.filter(pk=pk).first()
    if image is None:
        raise NotFound("No image matches the given query.")
    return image


def variant_get(*, pk: int, user) -> ProductVariant:
    variants = ProductVariant.objects.select_related("product", "tax_class").filter(
        is_deleted=False, product__is_deleted=False)
    if not user_is_catalog_staff(user):
        variants = variants.filter(is_active=True, product__is_active=True)
    variant = variants.filter(pk=pk).first()
    if variant is None:
        raise NotFound("No variant matches the given query.")
    return variant
