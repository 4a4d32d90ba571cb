from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shop.cart.models import CART_MAX_QUANTITY, Cart, CartItem
from shop.cart.pricing import line_is_buyable
from shop.catalog.models import Product, ProductVariant
from shop.core.money import money_text
from shop.core.serializers import FieldsBuiltOnceMixin, MoneyField, StrictInput
from shop.pricing.api.serializers import (
    PercentField,
    PriceChangeOutput,
    ShippingPriceOutput,
    TaxLineOutput,
    tax_lines_data,
)
from shop.pricing.rates import TAX_SOURCES

# The cart is priced at today's prices: its writes refuse more than one order can hold (order_too_large), but a
# price raised after a line was added can take a line or the total past the money columns, so no bound is promised.
MONEY_FIELD = MoneyField(read_only=True, bounded=False)
PRICE_FIELD = MoneyField(read_only=True)  # a unit price: a catalog price or one held from it, a column's amount


class ProductSummaryOutput(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    """A line's product. Its lines' selectors annotate ``shown_stock`` (``lines_with_product_shown_stock``)."""

    price = MoneyField(read_only=True)
    stock_quantity = serializers.IntegerField(
        source="shown_stock", read_only=True,
        help_text="Units for sale, as the catalog says: for a product with variants, the sum of its variants' stock.",
    )

    class Meta:
        model = Product
        fields = ["id", "name", "slug", "price", "stock_quantity", "is_active"]
        read_only_fields = fields


class VariantSummaryOutput(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    price = MoneyField(read_only=True)

    class Meta:
        model = ProductVariant
        fields = ["id", "sku", "name", "options", "price", "stock_quantity", "is_active"]
        read_only_fields = fields


class CartItemOutput(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    """A cart line, priced now with the whole cart."""

    # Reads the serializer context's ``pricing`` (shop.cart.pricing.CartPrice of the whole cart).

    product = ProductSummaryOutput(read_only=True)
    variant = VariantSummaryOutput(read_only=True, allow_null=True)
    price_snapshot = serializers.SerializerMethodField(
        help_text="The unit price checkout charges now: the price you saw when adding, held for "
                  "CART_PRICE_HOLD_MINUTES, then the catalog's (the same as `unit_price`).")
    item_total = serializers.SerializerMethodField(help_text="`unit_price` x `quantity`.")
    unit_price = serializers.SerializerMethodField(help_text="The same as `price_snapshot`.")
    discount = serializers.SerializerMethodField(
        help_text="What comes off this line: its sale price, an item voucher, its share of an order voucher.")
    net = serializers.SerializerMethodField(help_text="The line after discounts, without tax.")
    tax = serializers.SerializerMethodField()
    gross = serializers.SerializerMethodField(help_text="`net` + `tax`: what the line costs.")
    tax_rate = serializers.SerializerMethodField(help_text="Percent, e.g. \"19\".")
    tax_class = serializers.SerializerMethodField(help_text="The tax class code the line is taxed as.")
    price_changed = serializers.SerializerMethodField(
        help_text="Set when the unit price moved since you saw it (the hold ran out, or adding more re-priced the "
                  "line): the `old` and `new` unit price. Null otherwise. Only this catalog price is held: sales "
                  "are not (see `sale_changed`).")
    sale_changed = serializers.SerializerMethodField(
        help_text="Set when what one unit costs after its sale moved since the line was priced (added, or more "
                  "added): a sale ended, started or changed. `old` is the unit price after sale you saw, `new` the "
                  "one checkout charges now (`unit_price` less today's sale). Sales and vouchers are not held: they "
                  "apply as they stand at checkout. Null otherwise (a catalog price moving alone is "
                  "`price_changed`).")
    available = serializers.SerializerMethodField(
        help_text="False once the product or variant was deleted or deactivated: the line is shown with what it "
                  "would cost, but counts in none of the cart's totals, and checkout refuses it "
                  "(`product_unavailable`) until it is removed.")

    class Meta:
        model = CartItem
        fields = ["id", "product", "variant", "quantity", "price_snapshot", "item_total", "unit_price", "discount",
                  "net", "tax", "gross", "tax_rate", "tax_class", "price_changed", "sale_changed", "available",
                  "created_at"]
        read_only_fields = fields

    def _line(self, item: CartItem):
        return self.context["pricing"].lines[item.pk]

    def _money(self, amount) -> str:
        return money_text(amount, self.context["pricing"].price.currency)

    @extend_schema_field(PRICE_FIELD)
    def get_price_snapshot(self, item: CartItem) -> str:
        return self._money(self._line(item).unit_price)

    @extend_schema_field(PRICE_FIELD)
    def get_unit_price(self, item: CartItem) -> str:
        return self._money(self._line(item).unit_price)

    @extend_schema_field(MONEY_FIELD)
    def get_item_total(self, item: CartItem) -> str:
        line = self._line(item)
        return self._money(line.unit_price * line.quantity)

    @extend_schema_field(MONEY_FIELD)
    def get_discount(self, item: CartItem) -> str:
        return self._money(self._line(item).discount)

    @extend_schema_field(MONEY_FIELD)
    def get_net(self, item: CartItem) -> str:
        return self._money(self._line(item).net)

    @extend_schema_field(MONEY_FIELD)
    def get_tax(self, item: CartItem) -> str:
        return self._money(self._line(item).tax)

    @extend_schema_field(MONEY_FIELD)
    def get_gross(self, item: CartItem) -> str:
        return self._money(self._line(item).gross)

    @extend_schema_field(PercentField())
    def get_tax_rate(self, item: CartItem) -> str:
        return PercentField().to_representation(self._line(item).tax_rate)

    def get_tax_class(self, item: CartItem) -> str:
        return self._line(item).tax_class

    def get_available(self, item: CartItem) -> bool:
        return line_is_buyable(item)

    @extend_schema_field(PriceChangeOutput(allow_null=True))
    def get_price_changed(self, item: CartItem):
        change = self.context["pricing"].changes.get(item.pk)
        return None if change is None else {"old": self._money(change.old), "new": self._money(change.new)}

    @extend_schema_field(PriceChangeOutput(allow_null=True))
    def get_sale_changed(self, item: CartItem):
        change = self.context["pricing"].sale_changes.get(item.pk)
        return None if change is None else {"old": self._money(change.old), "new": self._money(change.new)}


class CartTaxLineOutput(TaxLineOutput):
    """A tax line of the cart, at today's prices (see ``MONEY_FIELD``)."""

    base = MoneyField(read_only=True, bounded=False)
    amount = MoneyField(read_only=True, bounded=False)


class DiscountOutput(serializers.Serializer):
    source = serializers.ChoiceField(choices=["voucher", "promotion"], help_text="A voucher code or a sale.")
    code = serializers.CharField(help_text="The voucher code; empty for a sale.")
    name = serializers.CharField()
    target = serializers.ChoiceField(choices=["lines", "order", "shipping"],
                                     help_text="What it takes money off: lines, the whole order, or shipping.")
    amount = MoneyField(read_only=True, bounded=False,
                        help_text="Money off. A shipping voucher shows 0 in the cart (no shipping is chosen yet); at "
                                  "checkout it takes off what the chosen shipping costs, and on shipping that costs "
                                  "nothing the order is placed without it, its use kept (docs/PRICING.md).")


def discounts_data(applied, currency: str) -> list[dict]:
    """``AppliedDiscount``s (``shop.discounts.calculation``) as :class:`DiscountOutput` rows, amounts in
    ``currency``."""
    return [{"source": item.source, "code": item.code, "name": item.name, "target": item.target,
             "amount": money_text(item.amount, currency)} for item in applied]


class VoucherRefusalOutput(serializers.Serializer):
    code = serializers.CharField(help_text="voucher_invalid, voucher_expired, voucher_not_started, min_spend_not_met, "
                                           "not_eligible, usage_limit_reached or customer_limit_reached.")
    detail = serializers.CharField()


class CartVoucherOutput(serializers.Serializer):
    code = serializers.CharField()
    applies = serializers.BooleanField(help_text="False when the cart changed (or the voucher did) so that it no "
                                                 "longer applies; checkout would refuse it with `refusal`. True: "
                                                 "checkout accepts it (a shipping voucher never refuses an order "
                                                 "for its shipping being free).")
    refusal = VoucherRefusalOutput(allow_null=True)


class CartOutput(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    """The cart with its lines and totals. No shipping method is chosen yet: `shipping` is zero, and the tax is
    the shop's country's (`SHOP_COUNTRY`) until checkout gives an address."""

    # Reads the serializer context's ``pricing`` (shop.cart.pricing.CartPrice).

    items = CartItemOutput(many=True, read_only=True)
    total_items = serializers.SerializerMethodField()
    cart_total = serializers.SerializerMethodField(help_text="The same as `total`.")
    subtotal = serializers.SerializerMethodField(help_text="The lines at their unit prices, before discounts.")
    shipping = serializers.SerializerMethodField()
    discount = serializers.SerializerMethodField(help_text="What `discounts` take off the items.")
    discounts = serializers.SerializerMethodField()
    voucher = serializers.SerializerMethodField()
    tax_total = serializers.SerializerMethodField()
    total = serializers.SerializerMethodField(help_text="What checkout charges for these lines (before shipping).")
    currency = serializers.SerializerMethodField()
    prices_include_tax = serializers.SerializerMethodField()
    tax_lines = serializers.SerializerMethodField()
    tax_source = serializers.SerializerMethodField(
        help_text="`no_rate` when some line found no tax rate at the place taxed (and was taxed at 0), else `rate` "
                  "(the cart has no address: never `country`, which only an order's address can give).")

    class Meta:
        model = Cart
        fields = ["id", "user", "created_at", "updated_at", "items", "total_items", "cart_total", "subtotal",
                  "shipping", "discount", "discounts", "voucher", "tax_total", "total", "currency",
                  "prices_include_tax", "tax_lines", "tax_source"]
        read_only_fields = fields

    def _price(self):
        return self.context["pricing"].price

    def _money(self, amount) -> str:
        return money_text(amount, self._price().currency)

    @extend_schema_field(serializers.IntegerField())
    def get_total_items(self, cart: Cart) -> int:
        return sum(item.quantity for item in cart.items.all())

    @extend_schema_field(MONEY_FIELD)
    def get_cart_total(self, cart: Cart) -> str:
        return self._money(self._price().total)

    @extend_schema_field(MONEY_FIELD)
    def get_subtotal(self, cart: Cart) -> str:
        return self._money(self._price().subtotal)

    @extend_schema_field(ShippingPriceOutput())
    def get_shipping(self, cart: Cart):
        return ShippingPriceOutput(self._price().shipping).data

    @extend_schema_field(MONEY_FIELD)
    def get_discount(self, cart: Cart) -> str:
        return self._money(self._price().discount)

    @extend_schema_field(DiscountOutput(many=True))
    def get_discounts(self, cart: Cart) -> list:
        evaluation = self.context["pricing"].discounts
        return discounts_data(evaluation.discounts.applied, self._price().currency) if evaluation is not None else []

    @extend_schema_field(CartVoucherOutput(allow_null=True))
    def get_voucher(self, cart: Cart) -> dict | None:
        if not cart.voucher_code:
            return None
        evaluation = self.context["pricing"].discounts
        refusal = evaluation.refusal if evaluation is not None else None
        return {"code": cart.voucher_code, "applies": refusal is None,
                "refusal": None if refusal is None else {"code": str(refusal.code), "detail": refusal.message}}

    @extend_schema_field(MONEY_FIELD)
    def get_tax_total(self, cart: Cart) -> str:
        return self._money(self._price().tax_total)

    @extend_schema_field(MONEY_FIELD)
    def get_total(self, cart: Cart) -> str:
        return self._money(self._price().total)

    def get_currency(self, cart: Cart) -> str:
        return self._price().currency

    def get_prices_include_tax(self, cart: Cart) -> bool:
        return self._price().prices_include_tax

    @extend_schema_field(CartTaxLineOutput(many=True))
    def get_tax_lines(self, cart: Cart):
        return tax_lines_data(self._price().tax_lines, self._price().currency)

    @extend_schema_field(serializers.ChoiceField(choices=TAX_SOURCES))  # one enum with the orders' tax_source
    def get_tax_source(self, cart: Cart) -> str:
        return self._price().tax_source


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


class CartVoucherInput(StrictInput):
    code = serializers.CharField(max_length=40, help_text="A voucher code; case does not matter.")
