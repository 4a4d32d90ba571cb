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


# --- Priced answers (cart, orders): the pipeline's figures, as strings of the currency's minor unit -----------------

MONEY = {"max_digits": 14, "decimal_places": None, "coerce_to_string": True, "read_only": True}


class PercentField(serializers.DecimalField):
    """A tax rate in percent, written without trailing zeros: ``"19"``, ``"7.7"``, ``"0"``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "Percent, e.g. \"19\" for 19 %.")
        super().__init__(max_digits=7, decimal_places=None, coerce_to_string=True, read_only=True, **kwargs)

    def to_representation(self, value) -> str:
        return _plain(value)


def tax_class_field(*, help_text: str) -> serializers.SlugRelatedField:
    """A tax class by its code, for product, variant and shipping-method input (``null``: none of its own)."""
    return serializers.SlugRelatedField(slug_field="code", queryset=TaxClass.objects.all(), required=False,
                                        allow_null=True, help_text=help_text)


class TaxLineOutput(serializers.Serializer):
    """One invoice tax line: everything taxed at ``rate`` percent, its net ``base`` and its tax ``amount``."""

    rate = PercentField()
    base = serializers.DecimalField(**MONEY)
    amount = serializers.DecimalField(**MONEY)


class ShippingPriceOutput(serializers.Serializer):
    """Shipping after tax: ``net + tax == gross`` (zeros when nothing ships or shipping is free)."""

    net = serializers.DecimalField(**MONEY)
    tax = serializers.DecimalField(**MONEY)
    gross = serializers.DecimalField(**MONEY)
    tax_rate = PercentField()


class PriceChangeOutput(serializers.Serializer):
    """A cart line's unit price moved: the price the customer saw (``old``) and the one charged now (``new``)."""

    old = serializers.DecimalField(**MONEY)
    new = serializers.DecimalField(**MONEY)


def tax_lines_data(tax_lines) -> list[dict[str, str]]:
    """``[{"rate", "base", "amount"}]`` as strings, from the pipeline's ``TaxLine`` objects or stored dicts."""
    rows = []
    for line in tax_lines:
        get = line.get if isinstance(line, dict) else lambda name, line=line: getattr(line, name)
        rows.append({"rate": _plain(get("rate")), "base": str(get("base")), "amount": str(get("amount"))})
    return rows


def _plain(rate) -> str:
    """A percentage without trailing zeros: ``19``, ``7.7``, ``0``."""
    text = str(rate)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
