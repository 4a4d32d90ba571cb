from decimal import Decimal

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shop.catalog.models import Category, Product, ProductVariant
from shop.core.money import MONEY_COLUMN, money_text
from shop.core.serializers import MoneyField, StrictInput, refuse_together

from .. import selectors
from ..models import CODE_MAX_LENGTH, PROMOTION_KINDS, DiscountKind, Promotion, Voucher, VoucherCode, code_validator


def _code_field(**kwargs) -> serializers.CharField:
    """A voucher code under the one rule every code is made by (``models.code_validator``)."""
    return serializers.CharField(max_length=CODE_MAX_LENGTH, validators=[code_validator], **kwargs)


def _many(model_queryset, help_text: str):
    return serializers.PrimaryKeyRelatedField(queryset=model_queryset, many=True, required=False,
                                              help_text=help_text)


class VoucherInput(StrictInput):
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=DiscountKind.choices, default=DiscountKind.PERCENTAGE,
                                   help_text="percentage, fixed (an amount) or free_shipping.")
    value = serializers.DecimalField(**MONEY_COLUMN, min_value=Decimal("0"), default=Decimal("0"),
                                     help_text="Percent (0 < value <= 100) or amount off (no more decimals than the "
                                               "shop currency has); unused for free shipping.")
    scope = serializers.ChoiceField(choices=Voucher.Scope.choices, required=False,
                                    help_text="What it takes money off: order (the default), products, variants, "
                                              "categories or shipping (free_shipping: shipping, the default then).")
    products = _many(Product.objects.live(), "Product ids, for scope `products`.")
    variants = _many(ProductVariant.objects.filter(is_deleted=False), "Variant ids, for scope `variants`.")
    categories = _many(Category.objects.all(), "Category ids, for scope `categories`.")
    min_spend = MoneyField(min_value=Decimal("0"), required=False, allow_null=True,
                           help_text="The goods (after sale prices) must come to at least this.")
    min_quantity = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False, allow_null=True,
                                            help_text="At least this many units it applies to.")
    starts_at = serializers.DateTimeField(required=False, allow_null=True)
    ends_at = serializers.DateTimeField(required=False, allow_null=True)
    usage_limit = serializers.IntegerField(min_value=1, max_value=2_147_483_647, required=False, allow_null=True,
                                           help_text="Uses over all its codes; null: unlimited.")
    code_usage_limit = serializers.IntegerField(min_value=1, max_value=2_147_483_647, required=False,
                                                allow_null=True, help_text="Uses per code (1: one-time codes).")
    per_customer_limit = serializers.IntegerField(min_value=1, max_value=2_147_483_647, required=False,
                                                  allow_null=True, help_text="Uses per customer e-mail address.")
    combines_with_promotions = serializers.BooleanField(required=False, default=False,
                                                        help_text="False: lines on sale are left out of its base.")
    is_active = serializers.BooleanField(required=False, default=True)
    codes = serializers.ListField(
        child=_code_field(), required=False, max_length=1000,
        help_text="Codes to create with it (letters, digits, - and _; case is ignored). More: POST .../codes/.",
    )


VALUE_HELP = ("Percent for `percentage` (`\"12.50\"`), an amount of the shop currency for `fixed` (with its digits, "
              "like every amount), unused for `free_shipping`.")


def discount_value_text(kind: str, value: Decimal) -> str:
    """A voucher's or promotion's ``value`` as answers write it: a ``fixed`` amount with the shop currency's
    digits (``money_text``); a percentage with two decimals (``"12.50"``), more only if it has them."""
    if kind == DiscountKind.FIXED:
        return money_text(value, settings.SHOP_CURRENCY)
    cents = value.quantize(Decimal("0.01"))
    return f"{cents if cents == value else value.normalize():f}"


class DiscountValueMixin(serializers.Serializer):
    """``value`` written by its ``kind`` (:func:`discount_value_text`)."""

    value = serializers.SerializerMethodField(help_text=VALUE_HELP)

    @extend_schema_field(serializers.DecimalField(**MONEY_COLUMN, coerce_to_string=True))
    def get_value(self, rule) -> str:
        return discount_value_text(rule.kind, rule.value)


class VoucherOutput(DiscountValueMixin, serializers.ModelSerializer):
    min_spend = MoneyField(read_only=True, allow_null=True)
    products = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    variants = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    categories = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    code_count = serializers.IntegerField(read_only=True, default=0, help_text="How many codes it has.")

    class Meta:
        model = Voucher
        fields = ("id", "name", "kind", "value", "scope", "products", "variants", "categories", "min_spend",
                  "min_quantity", "starts_at", "ends_at", "usage_limit", "code_usage_limit", "per_customer_limit",
                  "combines_with_promotions", "is_active", "times_used", "code_count", "created_at", "updated_at")
        read_only_fields = fields


class VoucherCodeOutput(serializers.ModelSerializer):
    class Meta:
        model = VoucherCode
        fields = ("id", "code", "times_used", "created_at")
        read_only_fields = fields


class VoucherCodesInput(StrictInput):
    count = serializers.IntegerField(min_value=1, max_value=10_000, required=False,
                                     help_text="Generate this many new random unique codes.")
    prefix = serializers.RegexField(r"^([A-Za-z0-9][A-Za-z0-9_-]*)?$", max_length=10, required=False, default="",
                                    help_text="Generated codes start with it (upper-cased); it starts with a letter "
                                              "or a digit, like every code.")
    length = serializers.IntegerField(min_value=6, max_value=20, required=False, default=10,
                                      help_text="Random characters per generated code.")
    codes = serializers.ListField(child=_code_field(), required=False, max_length=1000,
                                  help_text="Or: exactly these codes.")

    def validate(self, attrs):
        refuse_together(attrs, "count", "codes")
        if bool(attrs.get("count")) == bool(attrs.get("codes")):
            raise serializers.ValidationError({"count": ["Give either count (to generate codes) or codes."]})
        if attrs.get("count") and len(attrs.get("prefix", "")) + attrs.get("length", 10) > CODE_MAX_LENGTH:
            raise serializers.ValidationError({"prefix": [f"prefix + length must be at most {CODE_MAX_LENGTH}."]})
        return attrs


class VoucherCodesOutput(serializers.Serializer):
    created = serializers.IntegerField()
    codes = VoucherCodeOutput(many=True)


class UsageOutput(serializers.Serializer):
    times_used = serializers.IntegerField(help_text="Uses held now (reserved or consumed; released ones are not).")
    orders = serializers.IntegerField(help_text="Orders holding a use (not cancelled or expired).")
    amount_discounted = MoneyField(bounded=False, help_text="What it took off those orders.")  # a sum


class VoucherUsageOutput(UsageOutput):
    reserved = serializers.IntegerField(help_text="Orders holding a use, not paid yet.")
    consumed = serializers.IntegerField(help_text="Orders holding a use, paid (or cash on delivery).")
    released = serializers.IntegerField(help_text="Uses given back by cancelled or expired orders.")


class PromotionInput(StrictInput):
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=PROMOTION_KINDS, default=DiscountKind.PERCENTAGE,
                                   help_text="percentage or fixed (an amount off each unit).")
    value = serializers.DecimalField(**MONEY_COLUMN, min_value=Decimal("0.001"),
                                     help_text="Percent (0 < value <= 100) or an amount off each unit (no more "
                                               "decimals than the shop currency has).")
    products = _many(Product.objects.live(), "Product ids on sale.")
    categories = _many(Category.objects.all(), "Category ids whose products are on sale.")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(required=False, allow_null=True, help_text="Null: until switched off.")
    is_active = serializers.BooleanField(required=False, default=True)


class PromotionOutput(DiscountValueMixin, serializers.ModelSerializer):
    products = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    categories = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Promotion
        fields = ("id", "name", "kind", "value", "products", "categories", "starts_at", "ends_at", "is_active",
                  "created_at", "updated_at")
        read_only_fields = fields


class PromotionDetailOutput(PromotionOutput):
    """One promotion, with the products it makes free now (a sale price is never below 0)."""

    free_products = serializers.SerializerMethodField(
        help_text="Ids of live products (named, or in its categories) whose price, or a variant's, this sale brings "
                  f"to 0 now: check them (first {selectors.FREE_PRODUCTS_SHOWN}). A fixed amount above the price "
                  "of a product it names is refused; prices change, so this is read afresh on every answer.")

    class Meta(PromotionOutput.Meta):
        fields = (*PromotionOutput.Meta.fields, "free_products")
        read_only_fields = fields

    def get_free_products(self, promotion: Promotion) -> list[int]:
        return selectors.promotion_free_products(promotion=promotion)
