"""The one home of catalog factories (``ProductFactory``, ``ProductVariantFactory``) for every app's tests."""

from decimal import Decimal

import factory

from shop.catalog.models import Category, Product, ProductImage, ProductVariant


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    description = "A sturdy, well-made thing."
    price = Decimal("10.00")  # round figures keep the cart, order and payment arithmetic in tests readable
    stock_quantity = 10
    is_active = True


class ProductImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductImage

    product = factory.SubFactory(ProductFactory)
    image_url = factory.Sequence(lambda n: f"https://example.com/images/{n}.jpg")
    is_primary = False


class ProductVariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductVariant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    barcode = factory.Sequence(lambda n: f"{4000000000000 + n}")
    name = factory.Sequence(lambda n: f"Option {n}")
    options = factory.LazyFunction(lambda: {"size": "M"})
    price_override = None
    stock_quantity = 5
    is_active = True
