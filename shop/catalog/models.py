from decimal import Decimal

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import Lower

from shop.core.models import TimeStampedModel, positive_amount_validator, shop_amount_validator
from shop.core.money import MONEY_COLUMN


class Category(TimeStampedModel):
    name = models.CharField(max_length=120)
    # Unique ignoring case (the constraint below), and looked up ignoring case (same_text) through that index.
    slug = models.SlugField(max_length=140)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(
                Lower("slug"), name="catalog_category_slug_ci_unique",
                violation_error_message="A category with this slug already exists (slugs ignore case).",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ProductQuerySet(models.QuerySet):
    def live(self):
        """Not soft-deleted: still manageable by staff, still shown on past orders."""
        return self.filter(is_deleted=False)

    def public(self):
        """What customers can see and buy."""
        return self.filter(is_deleted=False, is_active=True)


PUBLIC = models.Q(is_active=True, is_deleted=False)


class Product(TimeStampedModel):
    # Nullable only so a category can be deleted once its products are soft-deleted (those keep their rows for
    # past orders); services refuse a live product without a category.
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="products"
    )
    name = models.CharField(max_length=200)
    # Unique ignoring case among live products only (the constraint below), so deleting a product frees its slug;
    # looked up ignoring case (same_text) through that index.
    slug = models.SlugField(max_length=220)
    description = models.TextField(blank=True)
    price = models.DecimalField(**MONEY_COLUMN, validators=[positive_amount_validator, shop_amount_validator])
    stock_quantity = models.PositiveIntegerField(default=0)
    # A sale that leaves this many units or fewer (of the product, or of one of its variants) emits stock.low;
    # empty: CATALOG_LOW_STOCK_THRESHOLD.
    low_stock_threshold = models.PositiveIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Taxed as this class; empty = the shop's default class (docs/PRICING.md). Deleting a class puts its products
    # back on the default class (orders keep the class they were taxed as: it is copied onto each order line).
    tax_class = models.ForeignKey("pricing.TaxClass", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", help_text="Empty: the default tax class.")
    # Weighted full-text document (name A, description B), kept by a PostgreSQL trigger (migration 0002) so
    # every write path, bulk_create included, keeps it current. Stays NULL on SQLite, which searches by icontains.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(stock_quantity__gte=0), name="catalog_product_stock_gte_0"),
            models.CheckConstraint(condition=models.Q(price__gt=0), name="catalog_product_price_gt_0"),
            models.UniqueConstraint(
                Lower("slug"), condition=models.Q(is_deleted=False), name="catalog_product_slug_live_ci_unique",
                violation_error_message="A live product with this slug already exists (slugs ignore case).",
            ),
        ]
        # Partial indexes over what customers see, one per public ordering (each ends with the id tie-break the
        # API adds, so a page is an index-only scan, even at a deep OFFSET: bench/README.md, "Profiling").
        indexes = [
            models.Index(fields=["-created_at", "-id"], condition=PUBLIC, name="catalog_product_public_idx"),
            models.Index(fields=["price", "id"], condition=PUBLIC, name="catalog_product_price_idx"),
            models.Index(fields=["name", "id"], condition=PUBLIC, name="catalog_product_name_idx"),
            models.Index(
                fields=["category", "-created_at", "-id"], condition=PUBLIC, name="catalog_product_category_idx"
            ),
            models.Index(fields=["category", "price", "id"], condition=PUBLIC, name="catalog_product_cat_price_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tax_class_code(self) -> str | None:
        """The code of the class this product is taxed as; ``None`` = the shop's default class."""
        return self.tax_class.code if self.tax_class_id is not None else None


def product_image_upload_to(instance: "ProductImage", filename: str) -> str:
    return f"products/{instance.product_id}/{filename}"


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image_url = models.URLField(max_length=1000, blank=True)
    image = models.ImageField(upload_to=product_image_upload_to, blank=True)
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product"], condition=models.Q(is_primary=True), name="catalog_image_one_primary"
            )
        ]

    def __str__(self) -> str:
        return self.image_url or self.image.name


class ProductVariant(TimeStampedModel):
    """A purchasable option of a product (size, colour...) with its own SKU and stock.

    ``price_override`` replaces the product price when set.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    # Unique ignoring case among live variants only (the constraint below): deleting a variant frees its SKU, and
    # "abc-1" cannot be live beside "ABC-1" (staff type SKUs by hand and scanners read them in either case).
    sku = models.CharField(max_length=64, db_index=True)
    barcode = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=120, help_text="Human label, e.g. 'Red / M'")
    options = models.JSONField(default=dict, blank=True, help_text='e.g. {"colour": "red", "size": "M"}')
    price_override = models.DecimalField(
        **MONEY_COLUMN, null=True, blank=True, validators=[positive_amount_validator, shop_amount_validator]
    )
    stock_quantity = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    # Soft delete: order lines from the checkout work may point at a variant, so it is never removed.
    is_deleted = models.BooleanField(default=False)
    # When it was deleted; equal to its product's deleted_at when it went with the product (a product restore
    # brings back exactly those).
    deleted_at = models.DateTimeField(null=True, blank=True)
    tax_class = models.ForeignKey("pricing.TaxClass", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", help_text="Empty: the product's tax class.")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(stock_quantity__gte=0), name="catalog_variant_stock_gte_0"),
            models.UniqueConstraint(
                Lower("sku"), condition=models.Q(is_deleted=False), name="catalog_variant_sku_live_ci_unique",
                violation_error_message="A live variant with this SKU already exists (SKUs ignore case).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} - {self.name}"

    @property
    def price(self) -> Decimal:
        return self.price_override if self.price_override is not None else self.product.price

    @property
    def tax_class_code(self) -> str | None:
        """The code of the class this variant is taxed as: its own, else its product's; ``None`` = the default
        class. Reads ``tax_class`` and ``product.tax_class``: select them with the variant to spare queries."""
        if self.tax_class_id is not None:
            return self.tax_class.code
        return self.product.tax_class_code


class DemoSeedRecord(models.Model):
    """One demo item ``manage.py seed_demo`` has created once, by a stable name: ``category:books``,
    ``images:dune``, ``shipping:Express (next day)``. Without ``--reset`` the seed creates only what has no
    record and no row, so an item the shop owner deleted (even hard-deleted: a category, a shipping method,
    an image) stays deleted. Products and variants are soft-deleted and found by their kept rows instead."""

    name = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name
