"""Cart factories. Products and variants come from ``shop.catalog.tests.factories`` (the one ProductFactory)."""

import factory

from shop.cart.models import Cart, CartItem
from shop.catalog.tests.factories import ProductFactory


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
