"""Voucher and promotion factories for every app's tests."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from shop.discounts.models import Promotion, Voucher, VoucherCode


class VoucherFactory(factory.django.DjangoModelFactory):
    """A 10 % off the order voucher with one code (``code="..."`` names it; default ``CODE<n>``)."""

    class Meta:
        model = Voucher
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Voucher {n}")
    kind = "percentage"
    value = Decimal("10.00")
    scope = "order"

    @factory.post_generation
    def code(voucher, create, extracted, **kwargs):
        if create:
            VoucherCode.objects.create(voucher=voucher, code=extracted or f"CODE{voucher.pk}")

    @factory.post_generation
    def products(voucher, create, extracted, **kwargs):
        if create and extracted:
            voucher.products.set(extracted)

    @factory.post_generation
    def variants(voucher, create, extracted, **kwargs):
        if create and extracted:
            voucher.variants.set(extracted)

    @factory.post_generation
    def categories(voucher, create, extracted, **kwargs):
        if create and extracted:
            voucher.categories.set(extracted)


class PromotionFactory(factory.django.DjangoModelFactory):
    """A 20 % sale running from an hour ago, open-ended (``products=[...]``/``categories=[...]`` say what)."""

    class Meta:
        model = Promotion
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Sale {n}")
    kind = "percentage"
    value = Decimal("20.00")
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    ends_at = None

    @factory.post_generation
    def products(promotion, create, extracted, **kwargs):
        if create and extracted:
            promotion.products.set(extracted)

    @factory.post_generation
    def categories(promotion, create, extracted, **kwargs):
        if create and extracted:
            promotion.categories.set(extracted)
