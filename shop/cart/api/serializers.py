from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shop.cart.models import CART_MAX_QUANTITY, Cart, CartItem
from shop.catalog.models import Product, ProductVariant


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


class CartItemOutput(serializers.ModelSerializer):
    product = ProductSummaryOutput(read_only=True)
    variant = VariantSummaryOutput(read_only=True, allow_null=True)
    item_total = serializers.DecimalField(max_digits=None, decimal_places=2, read_only=True)

    class Meta:
        model = CartItem
        fields = ["id", "product", "variant", "quantity", "price_snapshot", "item_total", "created_at"]
        read_only_fields = fields


class CartOutput(serializers.ModelSerializer):
    items = CartItemOutput(many=True, read_only=True)
    total_items = serializers.SerializerMethodField()
    cart_total = serializers.SerializerMethodField()

    class Meta:
        model = Cart
        fields = ["id", "user", "created_at", "updated_at", "items", "total_items", "cart_total"]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField())
    def get_total_items(self, cart: Cart) -> int:
        return sum(item.quantity for item in cart.items.all())

    @extend_schema_field(serializers.DecimalField(max_digits=None, decimal_places=2))
    def get_cart_total(self, cart: Cart) -> str:
        total = sum((item.item_total for item in cart.items.all()), Decimal("0.00"))
        return f"{total:.2f}"


class GuestCartCreatedOutput(CartOutput):
    cart_token = serializers.CharField(read_only=True, help_text="Send as X-Cart-Token; shown only this once.")

    class Meta(CartOutput.Meta):
        fields = [*CartOutput.Meta.fields, "cart_token"]
        read_only_fields = fields


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
