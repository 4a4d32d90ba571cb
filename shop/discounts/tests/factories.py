"""Voucher and promotion factories for every app's tests."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from shop.discounts.models import Promotion, Voucher, VoucherCode


def _targets(name: str):
    """A post-generation hook setting the many-to-many ``name`` from the factory argument of that name."""

    def set_targets(obj, create, extracted, **kwargs):
        if create and extracted:
            getattr(obj, name).set(extracted)

    return factory.PostGeneration(set_targets)


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

    products = _targets("products")
    variants = _targets("variants")
    categories = _targets("categories")


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

    products = _targets("products")
    categories = _targets("categories")
