from django.conf import settings
from django.contrib import admin, messages
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils.html import format_html

from shop.core.admin import MoneyAdminMixin

from . import services
from .admin_widgets import VariantAdminForm
from .cache import catalog_invalidate
from .models import Category, Product, ProductImage, ProductVariant
from .selectors import with_shown_stock


class CatalogAdminMixin:
    """Admin edits bypass the services, so they invalidate the public catalog cache the same way."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        transaction.on_commit(catalog_invalidate)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        transaction.on_commit(catalog_invalidate)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        transaction.on_commit(catalog_invalidate)


@admin.register(Category)
class CategoryAdmin(CatalogAdminMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "live_products", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            _live=Count("products", filter=Q(products__is_deleted=False))
        )

    @admin.display(description="live products", ordering="_live")
    def live_products(self, obj):
        return obj._live

    def get_deleted_objects(self, objs, request):
        # The same rule as the API: live products protect their category, and the delete page says which.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        live = Product.objects.live().filter(category__in=list(objs)).order_by("name")[:50]
        return deleted, counts, perms_needed, [*protected, *(f"Product: {p.name}" for p in live)]

    def delete_model(self, request, obj):
        services.category_delete(category=obj)

    def delete_queryset(self, request, queryset):
        for category in queryset:
            services.category_delete(category=category)


def _preview(url: str, size: int):
    if not url:
        return "—"
    return format_html('<img src="{}" alt="" width="{}" height="{}" style="object-fit:cover;border-radius:4px">',
                       url, size, size)


def _image_src(file_name: str, url: str) -> str:
    """What a customer's browser loads: the uploaded file through its storage, else the linked URL."""
    return default_storage.url(file_name) if file_name else url


VARIANT_STOCK_HELP = "The sum of its variants' stock: edit the variants."


class LowStockFilter(admin.SimpleListFilter):
    """By the units a product can sell (its variants' sum when it has variants): out, low, in stock."""

    title = "stock"
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        low = settings.CATALOG_LOW_STOCK_THRESHOLD
        return [("out", "Out of stock"), ("low", f"Low (1 to {low})"), ("in", f"In stock (over {low})")]

    def queryset(self, request, queryset):
        low = settings.CATALOG_LOW_STOCK_THRESHOLD
        return {
            "out": queryset.filter(shown_stock__lte=0),
            "low": queryset.filter(shown_stock__gte=1, shown_stock__lte=low),
            "in": queryset.filter(shown_stock__gt=low),
        }.get(self.value(), queryset)


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    fields = ("preview", "image_url", "image", "is_primary")
    readonly_fields = ("preview",)

    @admin.display(description="preview")
    def preview(self, image):
        return _preview(_image_src(image.image.name if image.image else "", image.image_url), 64)


class ProductVariantInline(MoneyAdminMixin, admin.TabularInline):
    model = ProductVariant
    form = VariantAdminForm
    extra = 0
    fields = ("sku", "barcode", "name", "options", "price_override", "tax_class", "stock_quantity", "is_active",
              "is_deleted")


@admin.register(Product)
class ProductAdmin(MoneyAdminMixin, CatalogAdminMixin, admin.ModelAdmin):
    list_display = ("thumbnail", "name", "slug", "category", "price", "stock", "is_active", "is_deleted",
                    "updated_at")
    list_display_links = ("thumbnail", "name")
    list_filter = (LowStockFilter, "is_active", "is_deleted", "category", "tax_class")
    list_select_related = ("category",)
    search_fields = ("name", "slug", "description", "variants__sku")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at", "updated_at", "deleted_at")
    exclude = ("search_vector",)
    inlines = (ProductImageInline, ProductVariantInline)
    actions = ("activate", "deactivate", "soft_delete")
    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) over 100,000 rows on every page

    def get_queryset(self, request):
        # Stock and the primary image are columns of the page's one query, whatever the page size.
        primary = ProductImage.objects.filter(product=OuterRef("pk")).order_by("-is_primary", "id")
        return with_shown_stock(super().get_queryset(request), staff=True).annotate(
            thumb_file=Subquery(primary.values("image")[:1]), thumb_url=Subquery(primary.values("image_url")[:1]))

    @admin.display(description="image")
    def thumbnail(self, product):
        return _preview(_image_src(product.thumb_file or "", product.thumb_url or ""), 40)

    @admin.display(description="stock", ordering="shown_stock")
    def stock(self, product):
        """Units for sale: the variants' sum for a product with variants (the API's stock_quantity)."""
        return product.shown_stock

    @admin.display(description="stock quantity")
    def variant_stock(self, product):
        return product.shown_stock

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and obj.variants.exists():
            return (*fields, "variant_stock")
        return fields

    def get_exclude(self, request, obj=None):
        exclude = super().get_exclude(request, obj) or ()
        if obj is not None and obj.variants.exists():
            return (*exclude, "stock_quantity")  # shown read-only as the variants' sum instead (variant_stock)
        return exclude

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if "variant_stock" in fields:  # where the editable field would stand
            fields.remove("variant_stock")
            fields.insert(fields.index("price") + 1 if "price" in fields else len(fields), "variant_stock")
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None and obj.variants.exists():
            kwargs["help_texts"] = {"variant_stock": VARIANT_STOCK_HELP}
        return super().get_form(request, obj, change, **kwargs)

    @admin.action(description="Activate selected products", permissions=["change"])
    def activate(self, request, queryset):
        count = services.product_set_active(product_ids=queryset.values_list("pk", flat=True), is_active=True)
        self.message_user(request, f"{count} product(s) activated.", messages.SUCCESS)

    @admin.action(description="Deactivate selected products", permissions=["change"])
    def deactivate(self, request, queryset):
        count = services.product_set_active(product_ids=queryset.values_list("pk", flat=True), is_active=False)
        self.message_user(request, f"{count} product(s) deactivated.", messages.SUCCESS)

    @admin.action(description="Soft-delete selected products", permissions=["delete"])
    def soft_delete(self, request, queryset):
        for product in queryset:
            services.product_soft_delete(product=product)
        self.message_user(request, "Products soft-deleted; orders keep showing them.", messages.SUCCESS)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # a hard delete would break past orders
        return actions

    def delete_model(self, request, obj):
        services.product_soft_delete(product=obj)


@admin.register(ProductVariant)
class ProductVariantAdmin(MoneyAdminMixin, CatalogAdminMixin, admin.ModelAdmin):
    form = VariantAdminForm
    list_display = ("sku", "name", "product", "price_override", "tax_class", "stock_quantity", "is_active",
                    "is_deleted")
    list_filter = ("is_active", "is_deleted", "tax_class")
    list_select_related = ("product", "tax_class")
    search_fields = ("sku", "barcode", "name", "product__name")
    raw_id_fields = ("product",)
