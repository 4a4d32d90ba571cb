from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shop.cart.models import CART_MAX_QUANTITY, Cart, CartItem
from shop.catalog.models import Product, ProductVariant
from shop.core.serializers import StrictInput
from shop.discounts.calculation import Discounts


class ProductSummaryOutput(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "name", "slug", "price", "stock_quantity", "is_active"]
        read_only_fields = fields


class VariantSummaryOutput(serializers.ModelSerializer):
    price = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = ProductVariant
        fields = ["id", "sku", "name", "options", "price", "stock_quantity", "is_active"]
        read_only_fields = fields


MONEY = {"max_digits": None, "decimal_places": 2}


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _discounts(context) -> Discounts:
    evaluation = context.get("evaluation")
    return evaluation.discounts if evaluation is not None else Discounts()


class CartItemOutput(serializers.ModelSerializer):
    product = ProductSummaryOutput(read_only=True)
    variant = VariantSummaryOutput(read_only=True, allow_null=True)
    item_total = serializers.DecimalField(**MONEY, read_only=True,
                                          help_text="`price_snapshot` x `quantity`, before discounts.")
    discount = serializers.SerializerMethodField()
    discounted_total = serializers.SerializerMethodField()

    class Meta:
        model = CartItem
        fields = ["id", "product", "variant", "quantity", "price_snapshot", "item_total", "discount",
                  "discounted_total", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(**MONEY, help_text="What sales and an item voucher take off this "
                                                                      "line (an order voucher is in `discounts`)."))
    def get_discount(self, item: CartItem) -> str:
        return _money(_discounts(self.context).line_discounts.get(item.pk, Decimal(0)))

    @extend_schema_field(serializers.DecimalField(**MONEY, help_text="`item_total` - `discount`."))
    def get_discounted_total(self, item: CartItem) -> str:
        return _money(item.item_total - _discounts(self.context).line_discounts.get(item.pk, Decimal(0)))


class DiscountOutput(serializers.Serializer):
    source = serializers.ChoiceField(choices=["voucher", "promotion"], help_text="A voucher code or a sale.")
    code = serializers.CharField(help_text="The voucher code; empty for a sale.")
    name = serializers.CharField()
    target = serializers.ChoiceField(choices=["lines", "order", "shipping"],
                                     help_text="What it takes money off: lines, the whole order, or shipping.")
    amount = serializers.DecimalField(**MONEY, help_text="Money off (0 for a shipping voucher until checkout, when "
                                                         "the shipping is known).")


class VoucherRefusalOutput(serializers.Serializer):
    code = serializers.CharField(help_text="voucher_invalid, voucher_expired, voucher_not_started, min_spend_not_met, "
                                           "not_eligible, usage_limit_reached or customer_limit_reached.")
    detail = serializers.CharField()


class CartVoucherOutput(serializers.Serializer):
    code = serializers.CharField()
    applies = serializers.BooleanField(help_text="False when the cart changed (or the voucher did) so that it no "
                                                 "longer applies; checkout would refuse it with `refusal`.")
    refusal = VoucherRefusalOutput(allow_null=True)


class CartOutput(serializers.ModelSerializer):
    items = CartItemOutput(many=True, read_only=True)
    total_items = serializers.SerializerMethodField()
    subtotal = serializers.SerializerMethodField()
    discounts = serializers.SerializerMethodField()
    discount_total = serializers.SerializerMethodField()
    cart_total = serializers.SerializerMethodField()
    voucher = serializers.SerializerMethodField()

    class Meta:
        model = Cart
        fields = ["id", "user", "created_at", "updated_at", "items", "total_items", "subtotal", "discounts",
                  "discount_total", "cart_total", "voucher"]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField())
    def get_total_items(self, cart: Cart) -> int:
        return sum(item.quantity for item in cart.items.all())

    def _subtotal(self, cart: Cart) -> Decimal:
        return sum((item.item_total for item in cart.items.all()), Decimal("0.00"))

    def _goods_discount(self) -> Decimal:
        discounts = _discounts(self.context)
        return sum(discounts.line_discounts.values(), Decimal(0)) + discounts.order_discount

    @extend_schema_field(serializers.DecimalField(**MONEY, help_text="The lines at their prices, before discounts."))
    def get_subtotal(self, cart: Cart) -> str:
        return _money(self._subtotal(cart))

    @extend_schema_field(DiscountOutput(many=True))
    def get_discounts(self, cart: Cart) -> list:
        return [{"source": item.source, "code": item.code, "name": item.name, "target": item.target,
                 "amount": _money(item.amount)} for item in _discounts(self.context).applied]

    @extend_schema_field(serializers.DecimalField(**MONEY, help_text="Everything taken off the items."))
    def get_discount_total(self, cart: Cart) -> str:
        return _money(self._goods_discount())

    @extend_schema_field(serializers.DecimalField(**MONEY, help_text="`subtotal` - `discount_total`: what the items "
                                                                      "cost now, before shipping."))
    def get_cart_total(self, cart: Cart) -> str:
        return _money(self._subtotal(cart) - self._goods_discount())

    @extend_schema_field(CartVoucherOutput(allow_null=True))
    def get_voucher(self, cart: Cart) -> dict | None:
        if not cart.voucher_code:
            return None
        evaluation = self.context.get("evaluation")
        refusal = evaluation.refusal if evaluation is not None else None
        return {"code": cart.voucher_code, "applies": refusal is None,
                "refusal": None if refusal is None else {"code": str(refusal.code), "detail": refusal.message}}


class CartItemAddInput(serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1, required=False,
                                          help_text="Required unless variant_id is given.")
    variant_id = serializers.IntegerField(min_value=1, required=False, allow_null=True,
                                          help_text="Required when the product has variants.")
    quantity = serializers.IntegerField(min_value=1, max_value=CART_MAX_QUANTITY, default=1)

    def validate(self, attrs):
        if attrs.get("product_id") is None and attrs.get("variant_id") is None:
            raise serializers.ValidationError({"product_id": ["This field is required."]})
        return attrs


class CartItemUpdateInput(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=0, max_value=CART_MAX_QUANTITY,
                                        help_text="0 removes the item.")


class MessageOutput(serializers.Serializer):
    message = serializers.CharField()


class CartVoucherInput(StrictInput):
    code = serializers.CharField(max_length=40, help_text="A voucher code; case does not matter.")
