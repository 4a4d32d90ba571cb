"""Thin catalog views: validate, call one service or selector, serialize.

Public reads go through :func:`shop.catalog.cache.cached_public_response` (ETag, Last-Modified, 304); catalog
staff, who may see inactive products, are answered uncached.

Why one module over 400 lines: it is one thin class per operation (products, images, variants, categories), and
about a third of it is each operation's OpenAPI declaration; every class shares the cached-read, pagination and
error-schema helpers at the top. Split it by entity (a ``views/`` package re-exporting the classes for urls.py)
when a new entity's views are added.
"""

from functools import partial

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.catalog import selectors, services
from shop.catalog.cache import cached_public_response, enforce_deferred_rate
from shop.catalog.models import Product, ProductVariant
from shop.core.filters import filter_queryset_or_400
from shop.core.pagination import PAGE_DESCRIPTION, PAGE_SIZE_DESCRIPTION
from shop.core.parsers import JSONParser
from shop.core.schema import ShopAutoSchema
from shop.core.views import PublicReadsMixin

from .cached_reads import CachedPublicReadMixin
from .filters import SEARCH_MAX_LENGTH, ProductFilter, VariantFilter
from .pagination import CatalogPagination
from .permissions import CatalogWritePermission
from .product_rows import product_page_output
from .serializers import (
    CategoryDetailOutput,
    CategoryInput,
    CategoryOutput,
    ImageUpdateInput,
    ImageUrlInput,
    ProductImageOutput,
    ProductInput,
    ProductOutput,
    ProductRestoreInput,
    ProductVariantOutput,
    VariantInput,
    VariantRestoreInput,
    output_context,
)
from .throttling import CatalogAnonThrottle, CatalogUserThrottle

TAGS = ["catalog"]
NOT_MODIFIED = OpenApiResponse(description="Not modified (If-None-Match / If-Modified-Since matched).")
ERROR = OpenApiResponse(
    response=inline_serializer(
        "CatalogError",
        {"detail": serializers.CharField(), "code": serializers.CharField(),
         "errors": serializers.DictField(required=False)},
    ),
    description='Error: {"detail": str, "code": str} (+ "errors" for validation).',
)


class ListSchema(ShopAutoSchema):
    """Plain APIViews that answer a page are "list" operations (``products_list``), not "retrieve"; their query
    parameters are read from the view's ``filterset_class`` (the filterset the view filters with), so the schema
    declares exactly the parameters the list reads."""

    def get_operation_id(self):
        operation_id = super().get_operation_id()
        if self.method == "GET" and operation_id.endswith("_retrieve"):
            return operation_id.removesuffix("_retrieve") + "_list"
        return operation_id

    def get_filter_backends(self):
        if self.method == "GET" and getattr(self.view, "filterset_class", None) is not None:
            return [DjangoFilterBackend]
        return []


PAGE_PARAMS = [
    OpenApiParameter("page", int, description=PAGE_DESCRIPTION),
    OpenApiParameter("page_size", int, description=PAGE_SIZE_DESCRIPTION),
]


def _paginated(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    return type(
        name,
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )


PaginatedProductOutput = _paginated(ProductOutput, "PaginatedProductOutput")
PaginatedCategoryOutput = _paginated(CategoryOutput, "PaginatedCategoryOutput")
PaginatedVariantOutput = _paginated(ProductVariantOutput, "PaginatedVariantOutput")


def _page(request, view, queryset, serializer_class) -> dict:
    paginator = CatalogPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return {
        "count": paginator.page.paginator.count,
        "next": paginator.get_next_link(),
        "previous": paginator.get_previous_link(),
        "results": serializer_class(page, many=True, context=output_context(request)).data,
    }


# Parameters that choose a page of a list, never its rows or their order.
_PAGE_ONLY = frozenset({"page", "page_size"})
_PAGE_AND_SEARCH = _PAGE_ONLY | {"search"}


def _public_rows(request, products):
    """A public list's rows: ``ProductFilter`` applied to ``products`` (:func:`selectors.product_list_queryset`),
    or the same rows without building it for the two most read requests, a plain page and a plain search.

    Building the filter set (deep copies of its filters, a form class and a form) is ~10% of an uncached page's
    CPU and filters nothing on a plain page; a plain search is one filter of it. A ``search`` the filter set
    would refuse (two values, a NUL, more than ``SEARCH_MAX_LENGTH`` characters once stripped, as its form
    field validates) still goes through it for its 400. Raises ValidationError (400) on a bad parameter.
    """
    params = request.query_params
    if params.keys() <= _PAGE_ONLY:
        return products  # ProductFilter with no parameter keeps the public rows in their default order
    if params.keys() <= _PAGE_AND_SEARCH:
        found = params.getlist("search")
        text = found[0].strip() if len(found) == 1 else None
        if text is not None and "\x00" not in text and len(text) <= SEARCH_MAX_LENGTH:
            return selectors.product_search(products, text)
    return filter_queryset_or_400(ProductFilter, request, products)


def _product_page(request, products, *, staff: bool) -> dict:
    """A page of products, its results built from plain rows (``product_rows``): the same answer as
    ``_page(..., ProductOutput)``, at a fraction of the CPU on an uncached page. A plain public page (only
    ``page``/``page_size``) reads its ids with a query compiled once (``selectors.public_page_ids``)."""
    paginator = CatalogPagination()
    page_ids = None
    if not staff and request.query_params.keys() <= _PAGE_ONLY:
        page_ids = partial(selectors.public_page_ids, version=getattr(request, "catalog_version", None))
    page = paginator.page_of(products, request, page_ids=page_ids)
    rows = selectors.product_page_rows(page.object_list, staff=staff, ids=page.ids)
    return {
        "count": page.paginator.count,
        "next": paginator.get_next_link(),
        "previous": paginator.get_previous_link(),
        "results": product_page_output(rows, output_context(request)),
    }


def _read(request, scope: str, build):
    """Catalog staff get fresh, uncached data (they may see inactive products); everyone else the shared cache.
    What staff are answered is ``private, no-store`` (``CatalogApi``'s ``PublicReadsMixin``, for every read)."""
    if selectors.user_is_catalog_staff(request.user):
        enforce_deferred_rate(request)
        return Response(build())
    return cached_public_response(request, scope=scope, build=build)


def _valid(serializer_class, request, *, partial: bool = False) -> dict:
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _product_out(request, product) -> dict:
    return ProductOutput(selectors.product_get_for_staff(pk=product.pk), context=output_context(request)).data


class CatalogApi(PublicReadsMixin, APIView):
    permission_classes = (CatalogWritePermission,)
    throttle_classes = (CatalogAnonThrottle, CatalogUserThrottle)
    perm_model = "product"


# --- Products -------------------------------------------------------------------------------------------------

class ProductListCreateApi(CachedPublicReadMixin, CatalogApi):
    schema = ListSchema()
    defer_read_throttle = True
    cache_scope = "products"
    filterset_class = ProductFilter
    queryset = Product.objects.none()  # the schema's model for the filter parameters; reads use the selectors

    @extend_schema(
        summary="List products", tags=TAGS, parameters=PAGE_PARAMS,
        description="Active products, newest first. Catalog staff also see inactive ones, and with "
                    "`deleted=true` the soft-deleted ones (restore one with `POST /products/<id>/restore/`). "
                    "A bad parameter value is a 400 naming it.",
        responses={200: PaginatedProductOutput, 304: NOT_MODIFIED, 400: ERROR},
    )
    def get(self, request):
        """Public. Active products, filtered by `category` (id), `category__slug` and `search` (name and
        description), sorted by `ordering`; each with its images, variants and stock. Answers carry `ETag` and
        `Last-Modified` for conditional requests (304)."""
        def build():
            staff = selectors.user_is_catalog_staff(request.user)
            products = selectors.product_list_queryset(staff=staff, include_deleted=True)
            products = (filter_queryset_or_400(ProductFilter, request, products) if staff
                        else _public_rows(request, products))
            return _product_page(request, products, staff=staff)

        return _read(request, self.cache_scope, build)

    @extend_schema(
        summary="Create a product", tags=TAGS, request=ProductInput,
        responses={201: ProductOutput, 400: ERROR, 401: ERROR, 403: ERROR},
    )
    def post(self, request):
        """Staff with catalog permissions only. Answers the created product."""
        product = services.product_create(**_valid(ProductInput, request))
        return Response(_product_out(request, product), status=status.HTTP_201_CREATED)


class ProductDetailApi(CachedPublicReadMixin, CatalogApi):
    defer_read_throttle = True
    cache_scope = "product"

    @extend_schema(summary="Get a product", tags=TAGS,
                   responses={200: ProductOutput, 304: NOT_MODIFIED, 404: ERROR})
    def get(self, request, slug):
        """Public. By slug (a number is also tried as the product's id), with its images, variants and stock.
        An inactive or deleted product answers 404."""
        def build():
            product = selectors.product_get(slug=slug, user=request.user)
            return ProductOutput(product, context=output_context(request)).data

        return _read(request, self.cache_scope, build)

    def _update(self, request, slug, *, partial: bool):
        product = selectors.product_get_live(slug=slug)
        product = services.product_update(product=product, data=_valid(ProductInput, request, partial=partial))
        return Response(_product_out(request, product))

    @extend_schema(summary="Replace a product", tags=TAGS, request=ProductInput,
                   responses={200: ProductOutput, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR})
    def put(self, request, slug):
        """Staff with catalog permissions only. Every field is sent.

        A product with variants is sold only through them: its `stock_quantity` is the sum of its variants' stock.
        Sending that same figure changes nothing; any other is 400 `stock_on_variants` naming `stock_quantity`
        (change the variants' stock instead)."""
        return self._update(request, slug, partial=False)

    @extend_schema(summary="Update a product", tags=TAGS, request=ProductInput,
                   responses={200: ProductOutput, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR})
    def patch(self, request, slug):
        """Staff with catalog permissions only. Send only the fields to change.

        A product with variants is sold only through them: its `stock_quantity` is the sum of its variants' stock.
        Sending that same figure changes nothing; any other is 400 `stock_on_variants` naming `stock_quantity`
        (change the variants' stock instead)."""
        return self._update(request, slug, partial=True)

    @extend_schema(summary="Soft-delete a product", tags=TAGS,
                   responses={204: None, 401: ERROR, 403: ERROR, 404: ERROR})
    def delete(self, request, slug):
        """Staff with catalog permissions only. The product leaves the catalog; orders keep their lines."""
        services.product_soft_delete(product=selectors.product_get_live(slug=slug))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProductRestoreApi(CatalogApi):
    perm_action = "change"
    @extend_schema(
        summary="Restore a soft-deleted product (by id)", tags=TAGS, request=ProductRestoreInput,
        description="A deleted product is addressed by its id (its slug may belong to a live product by now; "
                    "`GET /products/?deleted=true` lists deleted products with their ids). It comes back "
                    "inactive, with the variants deleted together with it. `slug` restores it under a new slug, "
                    "`category_id` gives it a category when its own was deleted. 409 when its slug or a "
                    "variant's SKU was reused meanwhile (`slug_taken`, `sku_taken`), when it is not deleted "
                    "(`not_deleted`) or has no category (`category_required`).",
        responses={200: ProductOutput, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 409: ERROR},
    )
    def post(self, request, pk):
        data = _valid(ProductRestoreInput, request)
        product = services.product_restore(product_id=pk, **data)
        return Response(_product_out(request, product))


# --- Images ---------------------------------------------------------------------------------------------------

class ProductImageCreateApi(CatalogApi):
    perm_model = "productimage"
    parser_classes = (JSONParser, MultiPartParser)  # the API's one file upload; every other body is JSON only

    @extend_schema(
        summary="Add an image (URL or multipart file upload)", tags=TAGS,
        request={"application/json": ImageUrlInput, "multipart/form-data": ImageUrlInput},
        responses={201: ProductOutput, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR},
    )
    def post(self, request, slug):
        """Staff with catalog permissions only. An `image_url`, or a file sent as multipart form data (stored in the
        media storage). Answers the product with its images."""
        product = selectors.product_get_live(slug=slug)
        services.product_image_add(product=product, **_valid(ImageUrlInput, request))
        return Response(_product_out(request, product), status=status.HTTP_201_CREATED)


class ProductImageDetailApi(CatalogApi):
    perm_model = "productimage"

    @extend_schema(summary="Get a product image", tags=TAGS,
                   responses={200: ProductImageOutput, 404: ERROR})
    def get(self, request, pk):
        """Public. One image of an active product."""
        image = selectors.image_get(pk=pk, user=request.user)
        return Response(ProductImageOutput(image, context=output_context(request)).data)

    def _update(self, request, pk, *, partial: bool):
        image = selectors.image_get(pk=pk, user=request.user)
        image = services.product_image_update(image=image, data=_valid(ImageUpdateInput, request, partial=partial))
        return Response(ProductImageOutput(image, context=output_context(request)).data)

    @extend_schema(summary="Replace a product image", tags=TAGS, request=ImageUpdateInput,
                   responses={200: ProductImageOutput, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR})
    def put(self, request, pk):
        """Staff with catalog permissions only. Every field is sent: `product` (a live product's id: sending another
        moves the image there, where it is primary only if it is that product's first image or `is_primary` is
        true), `image_url`, and optionally `is_primary` (true makes it the product's one primary image).
        An empty `image_url` on an image without an uploaded file is a 400 naming `image_url`."""
        return self._update(request, pk, partial=False)

    @extend_schema(summary="Update a product image", tags=TAGS, request=ImageUpdateInput,
                   responses={200: ProductImageOutput, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR})
    def patch(self, request, pk):
        """Staff with catalog permissions only. Send only the fields to change, e.g. `is_primary`."""
        return self._update(request, pk, partial=True)

    @extend_schema(summary="Delete a product image", tags=TAGS,
                   responses={204: None, 401: ERROR, 403: ERROR, 404: ERROR})
    def delete(self, request, pk):
        """Staff with catalog permissions only."""
        services.product_image_delete(image=selectors.image_get(pk=pk, user=request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Variants -------------------------------------------------------------------------------------------------

class ProductVariantCreateApi(CachedPublicReadMixin, CatalogApi):
    perm_model = "productvariant"
    schema = ListSchema()
    defer_read_throttle = True
    cache_scope = "variants"
    filterset_class = VariantFilter
    queryset = ProductVariant.objects.none()  # the schema's model for the filter parameters

    @extend_schema(
        summary="List a product's variants", tags=TAGS, parameters=PAGE_PARAMS,
        description="Active variants of a product; catalog staff see inactive ones too, and with `deleted=true` "
                    "the soft-deleted ones (restore one with `POST /products/variants/<id>/restore/`).",
        responses={200: PaginatedVariantOutput, 304: NOT_MODIFIED, 400: ERROR, 404: ERROR},
    )
    def get(self, request, slug):
        def build():
            product = selectors.product_get(slug=slug, user=request.user)
            variants = selectors.variant_list(product=product, user=request.user)
            return _page(request, self, filter_queryset_or_400(VariantFilter, request, variants),
                         ProductVariantOutput)

        return _read(request, self.cache_scope, build)

    @extend_schema(summary="Add a variant", tags=TAGS, request=VariantInput,
                   responses={201: ProductOutput, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR})
    def post(self, request, slug):
        """Staff with catalog permissions only. A variant has its own SKU, options (e.g. size), price and stock; once a
        product has variants, carts and orders name the variant. Answers the product with its variants."""
        product = selectors.product_get_live(slug=slug)
        services.variant_create(product=product, **_valid(VariantInput, request))
        return Response(_product_out(request, product), status=status.HTTP_201_CREATED)


class ProductVariantDetailApi(CatalogApi):
    perm_model = "productvariant"

    @extend_schema(summary="Get a variant", tags=TAGS,
                   responses={200: ProductVariantOutput, 404: ERROR})
    def get(self, request, pk):
        """Public. One variant of an active product, with its options, price and stock."""
        return Response(ProductVariantOutput(selectors.variant_get(pk=pk, user=request.user)).data)

    def _update(self, request, pk, *, partial: bool):
        variant = selectors.variant_get(pk=pk, user=request.user)
        variant = services.variant_update(variant=variant, data=_valid(VariantInput, request, partial=partial))
        return Response(ProductVariantOutput(variant).data)

    @extend_schema(summary="Replace a variant", tags=TAGS, request=VariantInput,
                   responses={200: ProductVariantOutput, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR})
    def put(self, request, pk):
        """Staff with catalog permissions only. Every field is sent.

        A variant's `stock_quantity` is its own (the product's is the sum of its variants'): the figure sent is the
        variant's new stock level. A `sku` another live variant holds (SKUs ignore case) is a 400 naming `sku`."""
        return self._update(request, pk, partial=False)

    @extend_schema(summary="Update a variant", tags=TAGS, request=VariantInput,
                   responses={200: ProductVariantOutput, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR})
    def patch(self, request, pk):
        """Staff with catalog permissions only. Send only the fields to change.

        A variant's `stock_quantity` is its own (the product's is the sum of its variants'): the figure sent is the
        variant's new stock level. A `sku` another live variant holds (SKUs ignore case) is a 400 naming `sku`."""
        return self._update(request, pk, partial=True)

    @extend_schema(summary="Delete (soft) a variant", tags=TAGS,
                   responses={204: None, 401: ERROR, 403: ERROR, 404: ERROR})
    def delete(self, request, pk):
        """Staff with catalog permissions only. The variant leaves the catalog; orders keep their lines."""
        services.variant_delete(variant=selectors.variant_get(pk=pk, user=request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProductVariantRestoreApi(CatalogApi):
    perm_model = "productvariant"
    perm_action = "change"

    @extend_schema(
        summary="Restore a soft-deleted variant", tags=TAGS, request=VariantRestoreInput,
        description="It comes back inactive. `sku` restores it under a new SKU. 409 when its SKU was reused "
                    "meanwhile (`sku_taken`), its product is deleted (`product_deleted`: restore the product, "
                    "which brings back the variants deleted with it) or it is not deleted (`not_deleted`).",
        responses={200: ProductVariantOutput, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 409: ERROR},
    )
    def post(self, request, pk):
        variant = services.variant_restore(variant_id=pk, **_valid(VariantRestoreInput, request))
        return Response(ProductVariantOutput(variant).data)


# --- Categories -----------------------------------------------------------------------------------------------

class CategoryListCreateApi(CachedPublicReadMixin, CatalogApi):
    perm_model = "category"
    schema = ListSchema()
    defer_read_throttle = True
    cache_scope = "categories"

    @extend_schema(summary="List categories", tags=TAGS, parameters=PAGE_PARAMS,
                   responses={200: PaginatedCategoryOutput, 304: NOT_MODIFIED})
    def get(self, request):
        """Public, paginated."""
        def build():
            return _page(request, self, selectors.category_list(), CategoryOutput)

        return _read(request, self.cache_scope, build)

    @extend_schema(summary="Create a category", tags=TAGS, request=CategoryInput,
                   responses={201: CategoryOutput, 400: ERROR, 401: ERROR, 403: ERROR})
    def post(self, request):
        """Staff with catalog permissions only."""
        category = services.category_create(**_valid(CategoryInput, request))
        return Response(CategoryOutput(category).data, status=status.HTTP_201_CREATED)


class CategoryDetailApi(CachedPublicReadMixin, CatalogApi):
    perm_model = "category"
    defer_read_throttle = True
    cache_scope = "category"

    @extend_schema(summary="Get a category with its active products", tags=TAGS,
                   responses={200: CategoryDetailOutput, 304: NOT_MODIFIED, 404: ERROR})
    def get(self, request, slug):
        """Public. The category and its active products."""
        def build():
            category = selectors.category_get(slug=slug)
            products = selectors.category_products(category=category)
            return CategoryDetailOutput(category, context={"products": products}).data

        return _read(request, self.cache_scope, build)

    def _update(self, request, slug, *, partial: bool):
        category = selectors.category_get(slug=slug)
        category = services.category_update(category=category, data=_valid(CategoryInput, request, partial=partial))
        return Response(CategoryOutput(category).data)

    @extend_schema(summary="Replace a category", tags=TAGS, request=CategoryInput,
                   responses={200: CategoryOutput, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR})
    def put(self, request, slug):
        """Staff with catalog permissions only. Every field is sent: `name`, `slug`, and optionally
        `description` (absent: emptied). A `slug` another category holds (slugs ignore case) is a 400 naming
        `slug`. Its products stay in it; its pages show the change at once."""
        return self._update(request, slug, partial=False)

    @extend_schema(summary="Update a category", tags=TAGS, request=CategoryInput,
                   responses={200: CategoryOutput, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR})
    def patch(self, request, slug):
        """Staff with catalog permissions only. Send only the fields to change (`name`, `slug`, `description`).
        A `slug` another category holds (slugs ignore case) is a 400 naming `slug`. Its products stay in it; its
        pages show the change at once."""
        return self._update(request, slug, partial=True)

    @extend_schema(summary="Delete a category (refused while it has live products)", tags=TAGS,
                   responses={204: None, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR})
    def delete(self, request, slug):
        """Staff with catalog permissions only. Refused (400) while active products are in it: move or delete them
        first."""
        services.category_delete(category=selectors.category_get(slug=slug))
        return Response(status=status.HTTP_204_NO_CONTENT)
