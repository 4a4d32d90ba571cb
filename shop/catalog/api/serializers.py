from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shop.catalog import hooks
from shop.catalog.models import Category, Product, ProductImage, ProductVariant
from shop.core.links import absolute_url, public_base_url
from shop.core.money import money_text
from shop.core.serializers import MoneyField, StrictInput, refuse_together
from shop.pricing.api.serializers import tax_class_field

ALLOWED_IMAGE_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}


# --- Output ---------------------------------------------------------------------------------------------------

def output_context(request) -> dict:
    """The serializer context of a catalog answer: ``{"request": request, "public_base_url": "https://host",
    "sale_prices": SalePrices}``.

    Image URLs are made absolute against ``public_base_url`` (``shop.core.links.public_base_url``), computed once
    per answer rather than once per image; sale prices (``shop.catalog.hooks``) are read once per answer too, or
    taken from the public cache's snapshot for this catalog version (``shop.catalog.cache``).
    """
    sale_prices = getattr(request, "catalog_sale_prices", None)
    return {"request": request, "public_base_url": public_base_url(request),
            "sale_prices": sale_prices if sale_prices is not None else hooks.sale_prices()}


SALE_PRICE_HELP = ("The unit price while a sale runs (the regular one is `price`); null when not on sale. Pages "
                   "switch at the sale's start and end.")


class SalePriceMixin(serializers.Serializer):
    """``sale_price`` beside ``price``: what a unit costs while a promotion covers it (``shop.catalog.hooks``)."""

    sale_price = serializers.SerializerMethodField()

    @extend_schema_field(MoneyField(read_only=True, allow_null=True, help_text=SALE_PRICE_HELP))
    def get_sale_price(self, obj) -> str | None:
        sales = self.context.get("sale_prices")
        if sales is None:
            sales = self.context["sale_prices"] = hooks.sale_prices()
        product = obj.product if isinstance(obj, ProductVariant) else obj
        price = sales.unit_price(product.pk, product.category_id, obj.price)
        return None if price is None else money_text(price, settings.SHOP_CURRENCY)


class CategorySummaryOutput(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ("id", "name", "slug")


class CategoryOutput(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ("id", "name", "slug", "description")


class CategoryProductOutput(SalePriceMixin, serializers.ModelSerializer):
    price = MoneyField(read_only=True)
    class Meta:
        model = Product
        fields = ("id", "name", "slug", "price", "sale_price")


class CategoryDetailOutput(serializers.ModelSerializer):
    products = serializers.SerializerMethodField()

    class Meta:
        model = Category
        fields = ("id", "name", "slug", "description", "products")

    @extend_schema_field(CategoryProductOutput(many=True))
    def get_products(self, category):
        return CategoryProductOutput(self.context["products"], many=True, context=self.context).data


class ProductImageOutput(serializers.ModelSerializer):
    image_url = serializers.SerializerMethodField()

    class Meta:
        model = ProductImage
        fields = ("id", "product", "image_url", "is_primary")

    @extend_schema_field(serializers.URLField(
        help_text="Absolute URL: an uploaded file's storage URL (a /media/ path gets this API's public base URL in "
                  "front; S3 URLs are already absolute), else the URL staff gave, unchanged."))
    def get_image_url(self, image) -> str:
        # An uploaded file wins; its storage gives the URL (a /media/ path or an S3 URL).
        url = image.image.url if image.image else image.image_url
        base = self.context.get("public_base_url") or public_base_url(self.context.get("request"))
        return absolute_url(url, base)


class ProductVariantOutput(SalePriceMixin, serializers.ModelSerializer):
    price = MoneyField(read_only=True, help_text="What a unit costs: `price_override`, else the product's price.")
    price_override = MoneyField(read_only=True, allow_null=True,
                                help_text="The variant's own price; null: the product's.")
    tax_class = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True,
        help_text="The variant's own tax class code; null: taxed as its product.")

    class Meta:
        model = ProductVariant
        fields = (
            "id", "product", "sku", "barcode", "name", "options", "price", "sale_price", "price_override",
            "stock_quantity", "is_active", "tax_class",
        )


class ProductOutput(SalePriceMixin, serializers.ModelSerializer):
    price = MoneyField(read_only=True)
    category = CategorySummaryOutput(allow_null=True)
    stock_quantity = serializers.IntegerField(
        source="shown_stock", read_only=True,
        help_text="Units for sale: for a product with variants, the sum of its variants' stock.",
    )
    images = ProductImageOutput(many=True)
    variants = ProductVariantOutput(many=True)
    tax_class = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True,
        help_text="The tax class code the product is taxed as; null: the shop's default class.")

    class Meta:
        model = Product
        fields = (
            "id", "name", "slug", "description", "price", "sale_price", "stock_quantity", "is_active", "category",
            "images", "variants", "tax_class", "low_stock_threshold", "created_at", "updated_at",
        )
        extra_kwargs = {"low_stock_threshold": {"help_text": (
            "Units at or below which a sale emits `stock.low` (docs/WEBHOOKS.md); null: "
            "`CATALOG_LOW_STOCK_THRESHOLD`.")}}


# --- Input ----------------------------------------------------------------------------------------------------

class CategoryInput(StrictInput):
    name = serializers.CharField(max_length=120)
    slug = serializers.SlugField(max_length=140)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class ProductInput(StrictInput):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=220)
    description = serializers.CharField(allow_blank=True)
    price = MoneyField(positive=True)
    stock_quantity = serializers.IntegerField(min_value=0, max_value=2_147_483_647)
    is_active = serializers.BooleanField(required=False, default=True)
    category_id = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), source="category")
    tax_class = tax_class_field(help_text="A tax class code (`GET /pricing/tax-classes/`); null or absent on "
                                          "create: the shop's default class.")
    low_stock_threshold = serializers.IntegerField(
        min_value=0, max_value=2_147_483_647, required=False, allow_null=True,
        help_text="Units at or below which a sale emits `stock.low`; null or absent on create: "
                  "`CATALOG_LOW_STOCK_THRESHOLD`.")


class ProductRestoreInput(StrictInput):
    slug = serializers.SlugField(max_length=220, required=False,
                                 help_text="Restore under this slug (when its own was reused meanwhile).")
    category_id = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), source="category", required=False,
        help_text="The category to restore it into (needed when its own was deleted meanwhile).",
    )


class VariantRestoreInput(StrictInput):
    sku = serializers.CharField(max_length=64, required=False,
                                help_text="Restore under this SKU (when its own was reused meanwhile).")


class ImageUrlInput(StrictInput):
    image_url = serializers.URLField(max_length=1000, required=False)
    image = serializers.ImageField(required=False, help_text="Multipart upload: JPEG, PNG, GIF or WebP.")
    is_primary = serializers.BooleanField(required=False, default=False)

    def validate_image(self, image):
        limit = settings.CATALOG_IMAGE_MAX_BYTES
        if image.size > limit:
            raise serializers.ValidationError(f"The image is {image.size} bytes; the limit is {limit} bytes.")
        image_format = getattr(getattr(image, "image", None), "format", None)
        if image_format not in ALLOWED_IMAGE_FORMATS:
            raise serializers.ValidationError(f"Unsupported image type {image_format}; use JPEG, PNG, GIF or WebP.")
        return image

    def validate(self, attrs):
        refuse_together(attrs, "image_url", "image")
        if bool(attrs.get("image_url")) == bool(attrs.get("image")):
            raise serializers.ValidationError({"image_url": ["Give either image_url or an uploaded image file."]})
        return attrs


class ImageUpdateInput(StrictInput):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.live())
    image_url = serializers.URLField(max_length=1000)
    is_primary = serializers.BooleanField(required=False)


class VariantInput(StrictInput):
    sku = serializers.CharField(max_length=64)
    barcode = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    name = serializers.CharField(max_length=120)
    options = serializers.DictField(child=serializers.CharField(max_length=100), required=False, default=dict)
    price_override = MoneyField(positive=True, required=False, allow_null=True, default=None)
    stock_quantity = serializers.IntegerField(min_value=0, max_value=2_147_483_647, required=False, default=0)
    is_active = serializers.BooleanField(required=False, default=True)
    tax_class = tax_class_field(help_text="A tax class code; null or absent on create: taxed as its product.")
