"""Query parameters of the catalog lists (bad values are a 400 naming the parameter: see shop.core.filters)."""

from decimal import Decimal

import django_filters
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, Subquery
from drf_spectacular.utils import extend_schema_field

from shop.catalog.models import Category, Product, ProductVariant
from shop.catalog.selectors import product_search, user_is_catalog_staff
from shop.core.filters import AmountFilter, IdFilter, StrictBooleanFilter, StrictFilterSet, StrictOrderingFilter
from shop.core.models import same_text


def in_stock_q() -> Q:
    """Products a customer can buy at least one unit of right now.

    A product with variants is bought as one of them (``shop.cart.selectors.purchasable_get``), so it is in
    stock when one of its active variants has stock; a product without variants when its own stock is positive.
    """
    variants = ProductVariant.objects.filter(product=OuterRef("pk"))
    buyable_variant = variants.filter(is_active=True, is_deleted=False, stock_quantity__gt=0)
    return Q(Exists(buyable_variant)) | (~Q(Exists(variants)) & Q(stock_quantity__gt=0))


class SoftDeletedFilterSet(StrictFilterSet):
    """``deleted=true`` lists soft-deleted rows instead of live ones, for catalog staff only.

    Anyone else's ``deleted`` is ignored like any unknown parameter, whatever its value: they get the live list
    (not an empty page, not a 400 for a value they have no use for). The public cache stores that live list under
    the URL as sent; staff reads bypass the cache, so no staff-shaped page is ever cached.
    """

    deleted = StrictBooleanFilter(
        method="filter_deleted",
        label="true: soft-deleted rows only (catalog staff; ignored for anyone else). Default: live rows.",
    )

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        if not user_is_catalog_staff(getattr(request, "user", None)):
            del self.filters["deleted"]

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("deleted"):  # also when the field is not there (not staff)
            queryset = queryset.filter(is_deleted=False)
        return super().filter_queryset(queryset)

    def filter_deleted(self, queryset, name, value):
        return queryset.filter(is_deleted=True) if value else queryset


SEARCH_MAX_LENGTH = 200  # characters of a search; longer is a 400 naming the parameter


def _search_description() -> str:
    """The ``search`` parameter's description, for the mode this process runs with (``CATALOG_SEARCH_PREFIX``)."""
    prefix = {"last": "the last word, the one being typed, also matches the start of longer words as written "
                      "(\"wireless headph\"; \"runn\" finds running), even a common word (\"lamp a\")",
              "all": "every word also matches the start of longer words as written (\"wire headph\"; \"runn\" "
                     "finds running), the last one even when it is a common word",
              "none": "whole words only"}[settings.CATALOG_SEARCH_PREFIX]
    return (f"Words in the name or description, at most {SEARCH_MAX_LENGTH} characters; every word must match. "
            "On PostgreSQL results are ranked (name above description), accents and case are ignored (\"cafe\" "
            "finds Café), words are stemmed (\"lamps\" finds lamp) and common words (\"the\") ignored; "
            f"{prefix}. Elsewhere the text is matched as a substring, ignoring the case of ASCII letters only.")


SEARCH_DESCRIPTION = _search_description()


class ProductFilter(SoftDeletedFilterSet):
    """Query parameters of ``GET /products/``."""

    category = IdFilter(field_name="category_id", label="Category id.")
    category__slug = django_filters.CharFilter(method="filter_category_slug", max_length=140,
                                               label="Category slug.")
    is_active = StrictBooleanFilter(
        field_name="is_active", label="Active status; only catalog staff ever see inactive products."
    )
    search = django_filters.CharFilter(method="filter_search", max_length=SEARCH_MAX_LENGTH,
                                       label=SEARCH_DESCRIPTION)
    # Amounts of the shop currency, refused with more decimals than it has (1.005 in a EUR shop, 10.5 in a JPY one)
    # or more whole digits than a price can have, as every amount sent is (``shop.core.serializers.MoneyField``).
    min_price = AmountFilter(field_name="price", lookup_expr="gte", min_value=Decimal("0"),
                             label="Products priced at least this much (the product price).")
    max_price = AmountFilter(field_name="price", lookup_expr="lte", min_value=Decimal("0"),
                             label="Products priced at most this much (the product price).")
    in_stock = StrictBooleanFilter(
        method="filter_in_stock",
        label="true: products with stock to sell (for a product with variants, an active variant with stock); "
              "false: the others. Like the stock shown, it may lag a sale by CATALOG_STOCK_MAX_LAG seconds.",
    )
    ordering = StrictOrderingFilter(
        fields=("price", "created_at", "name"),
        label="Sort order, comma-separated; default newest first (best match first when searching).",
    )

    ranges = (("min_price", "max_price"),)

    class Meta:
        model = Product
        fields = ()

    def filter_category_slug(self, queryset, name, value):
        # A scalar subquery rather than a join on the slug: PostgreSQL evaluates it once and then walks the
        # (category, ordering) index of that one category, instead of the whole catalog's ordering index. The slug
        # matches ignoring case, as category slugs are unique.
        return queryset.filter(
            category_id=Subquery(Category.objects.filter(same_text("slug", value)).values("id")[:1])
        )

    # Stated here: with its own schema a filter's label is not read for the description.
    @extend_schema_field({"type": "string", "maxLength": SEARCH_MAX_LENGTH, "description": SEARCH_DESCRIPTION})
    def filter_search(self, queryset, name, value):
        return product_search(queryset, value)

    def filter_in_stock(self, queryset, name, value):
        return queryset.filter(in_stock_q() if value else ~in_stock_q())


class VariantFilter(SoftDeletedFilterSet):
    """Query parameters of ``GET /products/<slug>/variants/``."""

    class Meta:
        model = ProductVariant
        fields = ()
