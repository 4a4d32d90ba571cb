"""FieldsBuiltOnceMixin: fields built once per class answer exactly as DRF's per-instance build, and no instance
shares a field (bound to it, reading its context) with another."""

import pytest
from rest_framework import serializers

from shop.core.serializers import FieldsBuiltOnceMixin
from shop.pricing.models import TaxClass, TaxRate

pytestmark = pytest.mark.django_db


class RateOutput(serializers.ModelSerializer):
    place = serializers.SerializerMethodField()

    class Meta:
        model = TaxRate
        fields = ["id", "country", "region", "rate", "tax_class", "place"]

    def get_place(self, rate) -> str:
        return f"{self.context['prefix']}{rate.region or rate.country}"


class ClassOutput(serializers.ModelSerializer):
    rates = RateOutput(many=True, read_only=True)
    codes = serializers.ListField(child=serializers.CharField(), source="code_list", read_only=True)

    class Meta:
        model = TaxClass
        fields = ["id", "code", "name", "is_default", "rates", "codes"]


class RateOnce(FieldsBuiltOnceMixin, RateOutput):
    pass


class ClassOnce(FieldsBuiltOnceMixin, ClassOutput):
    rates = RateOnce(many=True, read_only=True)


def _tax_class():
    tax_class = TaxClass.objects.get(code="standard")
    TaxRate.objects.create(tax_class=tax_class, country="DE", rate=19)
    TaxRate.objects.create(tax_class=tax_class, country="ES", region="ES-CN", rate=7)
    tax_class.code_list = ["a", "b"]
    return tax_class


def test_the_answer_is_drfs_whatever_the_context():
    tax_class = _tax_class()
    for prefix in ("x:", "y:", "x:"):
        assert (
            ClassOnce(tax_class, context={"prefix": prefix}).data
            == ClassOutput(tax_class, context={"prefix": prefix}).data
        )
    assert [rate["place"] for rate in ClassOnce(tax_class, context={"prefix": "z:"}).data["rates"]] == [
        "z:DE",
        "z:ES-CN",
    ]


def test_no_field_is_shared_between_instances_or_with_the_class():
    one, two = ClassOnce(context={"prefix": ""}), ClassOnce(context={"prefix": ""})
    for name in one.fields:
        assert one.fields[name] is not two.fields[name]
        assert one.fields[name].parent is one and two.fields[name].parent is two
        assert ClassOnce._fields_built[name].parent is None  # the built ones are never bound
    assert one.fields["codes"].child is not two.fields["codes"].child
    assert "_fields_built" not in ClassOutput.__dict__ and RateOnce._fields_built is not ClassOnce._fields_built
