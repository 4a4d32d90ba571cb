"""Cart factories, and the catalog ones with the round defaults the cart and order tests were written against."""

from decimal import Decimal

import factory

from shop.cart.models import Cart, CartItem
from shop.catalog.tests import factories as catalog_factories
from shop.catalog.tests.factories import CategoryFactory  # noqa: F401  (re-exported for the order tests)


class ProductFactory(catalog_factories.ProductFactory):
    price = Decimal("10.00")  # round figures keep the cart and order arithmetic in these tests readable


class ProductVariantFactory(catalog_factories.ProductVariantFactory):
    barcode = factory.Sequence(lambda n: f"40000{n:05d}")
    name = factory.Sequence(lambda n: f"Size {n}")
    options = factory.LazyFunction(dict)
    stock_quantity = 10


class CartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cart
        django_get_or_create = ("user",)

    user = factory.SubFactory("shop.accounts.tests.factories.UserFactory")


class CartItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CartItem

    cart = factory.SubFactory(CartFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 1
    price_snapshot = factory.LazyAttribute(lambda item: item.variant.price if item.variant else item.product.price)
    variant = None
