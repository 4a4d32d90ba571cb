"""Product answers built from plain rows: exactly what ``ProductOutput(many=True)`` answers, for list pages.

Why a hand-written twin of a serializer: on an uncached list or search page, building model instances (with the
prefetch machinery) and running the nested ModelSerializers over them (a field object per value, ``get_attribute``
walks, ``ReturnDict``s) cost more CPU than the SQL they show (bench/README.md, "Uncached catalog pages, round two").
Here a page is three ``values()`` queries (``shop.catalog.selectors.product_page_rows``) turned into dicts.

``ProductOutput`` stays the one declaration of the shape: the OpenAPI schema, the detail page and every write
answer use it. Each value below is converted by the same function its serializer field uses (``money_text``
for money, DRF's ``DateTimeField`` for times), and ``shop/catalog/tests/test_product_rows.py`` asserts that this
builder and ``ProductOutput`` answer the same bytes for products with and without variants, images (uploaded
files and URLs), sale prices, tax classes, inactive variants and a missing category: a field added to
``ProductOutput`` fails that test until it is added here too.
"""

from django.conf import settings
from rest_framework import serializers

from shop.catalog.models import ProductImage
from shop.catalog.selectors import ProductPageRows
from shop.core.links import absolute_url, public_base_url
from shop.core.money import money_text

_DATETIME = serializers.DateTimeField(read_only=True)  # ISO 8601 in the current time zone, "Z" for UTC, as DRF


def _money(amount) -> str | None:
    return None if amount is None else money_text(amount, settings.SHOP_CURRENCY)


def _time(value) -> str | None:
    return None if value is None else _DATETIME.to_representation(value)


def product_page_output(page: ProductPageRows, context: dict) -> list[dict]:
    """The ``results`` of a product list page: one ``ProductOutput`` dict per row of ``page``, in its order.

    ``context`` is ``output_context(request)`` (the public base URL of image links and the answer's sale prices).
    """
    sales = context["sale_prices"]
    base = context.get("public_base_url") or public_base_url(context.get("request"))
    storage = ProductImage._meta.get_field("image").storage  # what ``image.image.url`` asks
    currency = settings.SHOP_CURRENCY
    results = []
    for row in page.products:
        product_id, category_id, price = row["id"], row["category_id"], row["price"]
        sale = sales.unit_price(product_id, category_id, price)
        images = [
            {
                "id": image["id"],
                "product": image["product_id"],
                # An uploaded file wins over the URL staff gave (``ProductImageOutput.get_image_url``).
                "image_url": absolute_url(storage.url(image["image"]) if image["image"] else image["image_url"], base),
                "is_primary": bool(image["is_primary"]),
            }
            for image in page.images.get(product_id, ())
        ]
        variants = []
        for variant in page.variants.get(product_id, ()):
            override = variant["price_override"]
            variant_price = override if override is not None else price
            variant_sale = sales.unit_price(product_id, category_id, variant_price)
            variants.append(
                {
                    "id": variant["id"],
                    "product": product_id,
                    "sku": str(variant["sku"]),
                    "barcode": str(variant["barcode"]),
                    "name": str(variant["name"]),
                    "options": variant["options"],
                    "price": money_text(variant_price, currency),
                    "sale_price": _money(variant_sale),
                    "price_override": _money(override),
                    "stock_quantity": int(variant["stock_quantity"]),
                    "is_active": bool(variant["is_active"]),
                    "tax_class": variant["tax_class__code"],
                }
            )
        threshold = row["low_stock_threshold"]
        results.append(
            {
                "id": product_id,
                "name": str(row["name"]),
                "slug": str(row["slug"]),
                "description": str(row["description"]),
                "price": money_text(price, currency),
                "sale_price": _money(sale),
                "stock_quantity": int(row["shown_stock"]),
                "is_active": bool(row["is_active"]),
                "category": None
                if category_id is None
                else {
                    "id": category_id,
                    "name": str(row["category__name"]),
                    "slug": str(row["category__slug"]),
                },
                "images": images,
                "variants": variants,
                "tax_class": row["tax_class__code"],
                "low_stock_threshold": None if threshold is None else int(threshold),
                "created_at": _time(row["created_at"]),
                "updated_at": _time(row["updated_at"]),
            }
        )
    return results
