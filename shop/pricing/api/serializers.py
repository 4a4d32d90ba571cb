from decimal import Decimal

from django.utils.encoding import smart_str
from rest_framework import serializers

from shop.core.countries import CountryField
from shop.core.models import same_text
from shop.core.money import money_text
from shop.core.serializers import MoneyField, StrictInput

from ..models import TaxClass, TaxRate
from ..rates import percent_text, tax_lines_text


class TaxClassCodeField(serializers.SlugRelatedField):
    """A tax class named by its code, ignoring case (``STANDARD`` is ``standard``), as codes are unique ignoring
    case. Answers the class; an unknown code is a 400 naming the field."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=TaxClass.objects.all(), **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        found = self.get_queryset().filter(same_text("code", data)).first()
        if found is None:
            self.fail("does_not_exist", slug_name=self.slug_field, value=smart_str(data))
        return found


class PercentField(serializers.DecimalField):
    """A tax rate in percent, written without trailing zeros: ``"19"``, ``"7.7"``, ``"0"``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "Percent, e.g. \"19\" for 19 %.")
        super().__init__(max_digits=7, decimal_places=None, coerce_to_string=True, read_only=True, **kwargs)

    def to_representation(self, value) -> str:
        return percent_text(value)


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
    tax_class = TaxClassCodeField(help_text="The tax class's code, e.g. `standard` (case is ignored).")
    country = CountryField()
    # Read as checkout reads an address's `state`: with or without the country prefix, checked against ISO 3166-2
    # by the model (``TaxRate.clean``), which stores the prefixed code.
    region = serializers.CharField(max_length=6, required=False, allow_blank=True,
                                   help_text="ISO 3166-2 subdivision code of `country`, with or without its prefix "
                                             "(`CN` or `ES-CN` for the Canary Islands; stored and answered as "
                                             "`ES-CN`); empty for the whole country. A code ISO 3166-2 does not "
                                             "have in that country is a 400 naming `region`.")
    rate = serializers.DecimalField(max_digits=7, decimal_places=4, min_value=0, max_value=100,
                                    help_text="Percent, e.g. `19` for 19 %.")

    def validate_region(self, value: str) -> str:
        return value.upper()


class TaxRateOutput(serializers.ModelSerializer):
    tax_class = serializers.SlugRelatedField(slug_field="code", read_only=True)
    country = serializers.CharField(source="country.code", read_only=True)
    rate = PercentField()

    class Meta:
        model = TaxRate
        fields = ("id", "tax_class", "country", "region", "rate")


def tax_class_field(*, help_text: str) -> serializers.SlugRelatedField:
    """A tax class by its code, for product, variant and shipping-method input (``null``: none of its own)."""
    return TaxClassCodeField(required=False, allow_null=True, help_text=help_text)


# --- Priced answers (cart, orders): the pipeline's figures, as strings of the currency's minor unit -----------------


class TaxLineOutput(serializers.Serializer):
    """One invoice tax line: everything taxed at ``rate`` percent, its net ``base`` and its tax ``amount``."""

    rate = PercentField()
    base = MoneyField(read_only=True)
    amount = MoneyField(read_only=True)


class ShippingPriceOutput(serializers.Serializer):
    """Shipping after tax: ``net + tax == gross`` (zeros when nothing ships or shipping is free)."""

    net = MoneyField(read_only=True)
    tax = MoneyField(read_only=True)
    gross = MoneyField(read_only=True)
    tax_rate = PercentField()


class PriceChangeOutput(serializers.Serializer):
    """A cart line's unit price moved: the price the customer saw (``old``) and the one charged now (``new``)."""

    old = MoneyField(read_only=True)
    new = MoneyField(read_only=True)


def tax_lines_data(tax_lines, currency: str) -> list[dict[str, str]]:
    """``[{"rate", "base", "amount"}]`` as :class:`TaxLineOutput` writes them, from the pipeline's ``TaxLine``
    objects or stored dicts: the rate in percent, the amounts with ``currency``'s digits (``money_text``)."""
    return [{**line, "base": money_text(Decimal(line["base"]), currency),
             "amount": money_text(Decimal(line["amount"]), currency)} for line in tax_lines_text(tax_lines)]
