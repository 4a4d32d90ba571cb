from rest_framework import serializers

from shop.core.countries import CountryField
from shop.core.serializers import StrictInput

from ..models import TaxClass, TaxRate


class TaxClassInput(StrictInput):
    code = serializers.SlugField(max_length=50)
    name = serializers.CharField(max_length=100)
    is_default = serializers.BooleanField(
        required=False, help_text="Make this the default class (the previous default stops being it).")


class TaxClassOutput(serializers.ModelSerializer):
    class Meta:
        model = TaxClass
        fields = ("id", "code", "name", "is_default")


class TaxRateInput(StrictInput):
    tax_class = serializers.SlugRelatedField(slug_field="code", queryset=TaxClass.objects.all(),
                                             help_text="The tax class's code, e.g. `standard`.")
    country = CountryField()
    region = serializers.RegexField(r"^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$", max_length=6, required=False, allow_blank=True,
                                    help_text="ISO 3166-2 subdivision code (e.g. `ES-CN`); empty for the whole "
                                              "country.")
    rate = serializers.DecimalField(max_digits=7, decimal_places=4, min_value=0, max_value=100,
                                    help_text="Percent, e.g. `19` for 19 %.")

    def validate_region(self, value: str) -> str:
        return value.upper()


class TaxRateOutput(serializers.ModelSerializer):
    tax_class = serializers.SlugRelatedField(slug_field="code", read_only=True)
    country = serializers.CharField(source="country.code", read_only=True)

    class Meta:
        model = TaxRate
        fields = ("id", "tax_class", "country", "region", "rate")
