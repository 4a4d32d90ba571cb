"""Input and output serializers of the orders API (customers', guests' and staff's).

Over ~400 lines on purpose: one small class per request or answer shape, most of them read-only outputs whose
fields the OpenAPI schema publishes; splitting them by audience would scatter the shared line, address and
shipment shapes that every order answer nests.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shop.cart.api.serializers import ProductSummaryOutput, VariantSummaryOutput
from shop.cart.models import CART_MAX_QUANTITY, ORDER_MAX_LINES
from shop.cart.services import too_many_lines_error
from shop.core.countries import CountryField, country_name
from shop.core.exceptions import ApplicationError
from shop.core.schema import BlankableEmailField, BlankableURLField
from shop.core.serializers import (
    FieldsBuiltOnceMixin,
    IdempotencyKeyField,
    MoneyField,
    StrictInput,
    refuse_together,
    status_input,
)
from shop.discounts.models import OrderDiscount
from shop.orders.errors import OrderErrorCode
from shop.orders.models import (
    Order,
    OrderAddress,
    OrderItem,
    OrderStatusChange,
    Shipment,
    ShipmentEvent,
    ShippingMethod,
)
from shop.orders.selectors import order_shipping_refunded
from shop.orders.services import LineRequest
from shop.payments.models import Payment
from shop.payments.return_urls import RETURN_URL_MAX_LENGTH
from shop.pricing.api.serializers import (
    PercentField,
    ShippingPriceOutput,
    TaxLineOutput,
    tax_class_field,
    tax_lines_data,
)
from shop.pricing.rates import TAX_SOURCES

# --- Output -----------------------------------------------------------------------------------------------------


# An order line's amounts are in its order's currency (the order is in the prefetch cache: no query).
LINE_CURRENCY = "order.currency"


class OrderItemOutput(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    """An order line; name, SKU, barcode and price are the values at purchase."""

    product = ProductSummaryOutput(read_only=True, allow_null=True)
    variant = VariantSummaryOutput(read_only=True, allow_null=True)
    price_snapshot = MoneyField(source="unit_price", currency_source=LINE_CURRENCY, read_only=True)
    item_total = MoneyField(source="line_total", currency_source=LINE_CURRENCY, read_only=True)
    unit_price = MoneyField(currency_source=LINE_CURRENCY, read_only=True,
                            help_text="As charged: gross when `prices_include_tax`, else net.")
    line_total = MoneyField(currency_source=LINE_CURRENCY, read_only=True,
                            help_text="`unit_price` x `quantity` (before discounts).")
    discount = MoneyField(currency_source=LINE_CURRENCY, read_only=True,
                          help_text="What came off this line: its sale price, an item voucher and its share of an "
                                    "order voucher.")
    net = MoneyField(currency_source=LINE_CURRENCY, read_only=True, help_text="The line after discounts, without tax.")
    tax = MoneyField(currency_source=LINE_CURRENCY, read_only=True)
    gross = MoneyField(currency_source=LINE_CURRENCY, read_only=True, help_text="`net` + `tax`: what the line cost.")
    tax_rate = PercentField()
    refunded_quantity = serializers.IntegerField(
        read_only=True, help_text="Units refunded so far (refunds by line; an amount refund counts a line's units "
                                  "only when it took all that was left of it). Failed refunds do not count; "
                                  "pending ones do.")
    refunded_amount = MoneyField(currency_source=LINE_CURRENCY, read_only=True,
                                 help_text="Gross refunded of this line so far, by line or as its share of amount "
                                           "refunds.")
    refunded_tax = MoneyField(currency_source=LINE_CURRENCY, read_only=True, help_text="The tax in `refunded_amount`.")

    class Meta:
        model = OrderItem
        fields = ["id", "product", "variant", "product_name", "variant_description", "sku", "barcode", "quantity",
                  "unit_price", "line_total", "price_snapshot", "item_total", "discount", "net", "tax", "gross",
                  "tax_rate", "tax_class", "refunded_quantity", "refunded_amount", "refunded_tax", "created_at"]
        read_only_fields = fields


class OrderAddressOutput(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    email = BlankableEmailField(read_only=True)  # "" for an address given as free text
    country = serializers.CharField(read_only=True, help_text="ISO 3166-1 alpha-2 code (\"\" if none was given).")
    country_name = serializers.SerializerMethodField(help_text="English name of `country`.")

    class Meta:
        model = OrderAddress
        fields = ["id", "source_address_id", "full_name", "phone", "email", "address_line_1", "address_line_2",
                  "city", "state", "postal_code", "country", "country_name", "created_at"]
        read_only_fields = fields

    def get_country_name(self, address: OrderAddress) -> str:
        return country_name(address.country)


class StatusChangeOutput(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    """One move of the order's status. A customer's (or a guest's) answer shows who moved it and why only for their
    own moves: staff's notes and user ids are the shop's, shown to staff alone."""

    changed_by = serializers.SerializerMethodField(
        help_text="The user id of who moved the status (null: the system, a guest, or, in a customer's answer, "
                  "the shop's staff). A customer sees only their own id, on their own moves; staff see every id.")
    note = serializers.SerializerMethodField(
        help_text="Why the status changed. In a customer's answer only the customer's own notes are shown (\"\" "
                  "for notes staff wrote: they are for the shop); staff see every note.")

    class Meta:
        model = OrderStatusChange
        fields = ["id", "from_status", "to_status", "changed_by", "reason", "note", "created_at"]
        read_only_fields = fields

    def _own_move(self, change: OrderStatusChange) -> bool:
        # change.order is the row being serialized (linked by the order read's prefetch): no query.
        return change.changed_by_id is not None and change.changed_by_id == change.order.user_id

    def get_changed_by(self, change: OrderStatusChange) -> int | None:
        if self.context.get("staff_view") or self._own_move(change):
            return change.changed_by_id
        return None

    def get_note(self, change: OrderStatusChange) -> str:
        if self.context.get("staff_view"):
            return change.note
        if change.changed_by_id is None:  # the system's own words ("Payment refunded."), unless a staff move
            return "" if change.reason in (Order.CancelReason.STAFF, "staff") else change.note
        return change.note if self._own_move(change) else ""


class ShipmentEventOutput(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    class Meta:
        model = ShipmentEvent
        fields = ["id", "status", "message", "location", "occurred_at"]
        read_only_fields = fields


class ShipmentOutput(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    events = ShipmentEventOutput(many=True, read_only=True)
    tracking_url = BlankableURLField(read_only=True)  # "" until staff set one

    class Meta:
        model = Shipment
        fields = ["id", "status", "carrier", "tracking_number", "tracking_url", "estimated_delivery_at",
                  "delivered_at", "created_at", "updated_at", "events"]
        read_only_fields = fields


class OrderShippingOutput(ShippingPriceOutput):
    """An order's shipping as charged (``net + tax == gross``, in the order's currency) and what was refunded of it
    so far."""

    refunded_amount = MoneyField(read_only=True,
                                 help_text="Gross refunded of shipping so far (refunds by line with `shipping`, or its "
                                           "share of amount refunds). Failed refunds do not count; pending ones do.")
    refunded_tax = MoneyField(read_only=True, help_text="The tax in `refunded_amount`.")


class OrderPaymentOutput(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    """Each payment attempt on the order, newest first."""

    checkout_url = serializers.URLField(
        source="open_checkout_url", read_only=True, allow_null=True,
        help_text="The hosted page to pay on while the attempt is open; null once it is closed and for methods "
                  "without a page (as `next_step`).")
    amount = MoneyField(read_only=True)
    amount_refunded = MoneyField(read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "provider", "status", "amount", "amount_refunded", "currency", "checkout_url",
                  "provider_payment_id", "provider_invoice_id", "failure_message", "created_at", "updated_at"]
        read_only_fields = fields


class OrderDiscountOutput(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    amount = MoneyField(currency_source="order.currency", read_only=True)
    class Meta:
        model = OrderDiscount
        fields = ["source", "code", "name", "target", "amount"]
        read_only_fields = fields


class OrderOutput(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    items = OrderItemOutput(many=True, read_only=True)
    discounts = OrderDiscountOutput(many=True, read_only=True,
                                    help_text="What sales and the voucher took off: source (voucher or promotion), "
                                              "code, name, target (lines, order or shipping), amount. `discount` "
                                              "is the lines' and order's part; a shipping voucher's is already out "
                                              "of `shipping_fee`.")
    email = BlankableEmailField(read_only=True, help_text="The buyer's e-mail at checkout (a guest's only contact).")
    total_price = MoneyField(source="total", read_only=True, help_text="The same as `total` (items plus shipping).")
    subtotal = MoneyField(read_only=True, help_text="The lines at their unit prices, before discounts.")
    shipping_fee = MoneyField(read_only=True, help_text="Shipping as charged (the same as `shipping.gross`).")
    total = MoneyField(read_only=True, help_text="What the customer pays: the lines' and shipping's gross, exactly "
                                                 "the amount sent to the payment gateway.")
    discount = MoneyField(read_only=True, help_text="What sales and a voucher took off the items (their sources in "
                                                    "`discounts`).")
    tax_total = MoneyField(read_only=True)
    shipping = serializers.SerializerMethodField()
    tax_lines = serializers.SerializerMethodField(help_text="One per rate, for the invoice: everything taxed at "
                                                            "`rate` percent, its net `base` and tax `amount`.")
    tax_source = serializers.ChoiceField(
        choices=TAX_SOURCES, read_only=True,
        help_text="`no_rate` when something found no tax rate at the place taxed (and was taxed at 0); `country` "
                  "when the address's `state` is not an ISO 3166-2 subdivision code (a name such as \"Bayern\"), so "
                  "the country's rates applied and no regional one could; else `rate`.")
    shipping_address = serializers.SerializerMethodField()
    shipment = serializers.SerializerMethodField()
    status_history = StatusChangeOutput(many=True, read_only=True)
    payments = OrderPaymentOutput(many=True, read_only=True)
    # "" while the order is not cancelled: the schema lists "" beside the reasons (BlankEnum).
    cancel_reason = serializers.ChoiceField(choices=Order.CancelReason.choices, allow_blank=True, read_only=True)
    payment_outcome = serializers.ChoiceField(
        choices=Order.PaymentOutcome.choices, read_only=True,
        help_text="Derived from status, payment and cancel reason, in the Paymob-era API's words: pending, "
                  "success (paid; also after a partial refund), failed (the payment failed, was cancelled or could "
                  "not start), timeout (not paid in time), cancelled (by the customer or staff, or refunded in "
                  "full: `payment_status` refunded, whether or not the order was shipped).")

    class Meta:
        model = Order
        fields = ["id", "order_key", "user", "email", "status", "created_at", "updated_at", "items", "subtotal",
                  "shipping_fee", "total", "total_price", "shipping", "discount", "discounts", "tax_total",
                  "currency", "tax_lines", "tax_source", "tax_country", "tax_region", "prices_include_tax",
                  "tax_rounding_mode", "shipping_method", "shipping_address", "notes",
                  "payment_method", "payment_status", "is_fully_paid", "paid_at", "payment_deadline", "needs_refund",
                  "cancel_reason", "cancelled_at", "payment_outcome", "status_history", "shipment", "payments",
                  "next_step", "payment_url"]
        read_only_fields = fields

    next_step = serializers.SerializerMethodField(
        help_text="Where to send the customer to pay: the open attempt's hosted checkout page (null when nothing "
                  "is open, or the method has no page: Stripe.js, cash on delivery).")
    payment_url = serializers.SerializerMethodField(help_text="The same URL as `next_step` (the Paymob-era name).")

    def get_next_step(self, order: Order) -> str | None:
        # From the prefetched attempts (selectors.order_queryset, newest first): no query per order in a list.
        for payment in order.payments.all():
            if payment.open_checkout_url:
                return payment.open_checkout_url
        return None

    def get_payment_url(self, order: Order) -> str | None:
        return self.get_next_step(order)

    @extend_schema_field(OrderShippingOutput())
    def get_shipping(self, order: Order):
        refunded_amount, refunded_tax = order_shipping_refunded(order)  # annotated by the order's read: no query
        return OrderShippingOutput({"net": order.shipping_net, "tax": order.shipping_tax, "gross": order.shipping_fee,
                                    "tax_rate": order.shipping_tax_rate, "refunded_amount": refunded_amount,
                                    "refunded_tax": refunded_tax, "currency": order.currency}).data

    @extend_schema_field(TaxLineOutput(many=True))
    def get_tax_lines(self, order: Order):
        return tax_lines_data(order.tax_lines, order.currency)

    @extend_schema_field(OrderAddressOutput(allow_null=True))
    def get_shipping_address(self, order: Order):
        try:
            return OrderAddressOutput(order.shipping_address).data
        except OrderAddress.DoesNotExist:
            return None

    @extend_schema_field(ShipmentOutput(allow_null=True))
    def get_shipment(self, order: Order):
        try:
            return ShipmentOutput(order.shipment, context=self.context).data
        except Shipment.DoesNotExist:
            return None


class CheckoutOutput(OrderOutput):
    """The order, plus what the client does next to pay: go to ``next_step`` (redirect providers),
    confirm with ``client_secret`` (Stripe.js), or nothing (cash on delivery: keep ``order_key``)."""

    client_secret = serializers.SerializerMethodField(
        help_text="Stripe.js: confirm the card with it (null for other methods, and once the attempt is no longer "
                  "open: a replayed checkout of an order since paid, failed or cancelled).")
    payment_id = serializers.SerializerMethodField(
        help_text="The checkout's payment attempt (its newest one when the checkout is replayed), open or not; "
                  "null when no payment was opened.")

    class Meta(OrderOutput.Meta):
        fields = [*OrderOutput.Meta.fields, "client_secret", "payment_id"]
        read_only_fields = fields

    def _payment(self) -> Payment | None:
        return self.context.get("payment")

    def _open_payment(self) -> Payment | None:
        """The checkout's attempt while it can still be paid (pending or processing), else None. A replayed
        checkout (the same Idempotency-Key) answers the attempt as it now stands: once it succeeded, failed or was
        cancelled there is nothing left to do with its page or secret, as ``GET /orders/{id}/`` says."""
        payment = self._payment()
        return payment if payment is not None and payment.is_pending else None

    def get_next_step(self, order) -> str | None:
        payment = self._payment()
        return payment.open_checkout_url if payment else None

    def get_client_secret(self, order) -> str | None:
        payment = self._open_payment()
        return (payment.client_secret or None) if payment else None

    def get_payment_id(self, order) -> int | None:
        payment = self._payment()
        return payment.pk if payment else None


class GuestCheckoutOutput(CheckoutOutput):
    """A guest's order as checkout answers it, with the order access token that opens it on the guest routes."""

    order_token = serializers.SerializerMethodField(
        help_text="Opens this order on `/orders/guest/{order_key}/...` (as `?token=` or `X-Order-Token`) until "
                  "`order_token_expires_at`; the confirmation e-mail carries a link with one too. Keep it secret.")
    order_token_expires_at = serializers.SerializerMethodField()

    class Meta(CheckoutOutput.Meta):
        fields = [*CheckoutOutput.Meta.fields, "order_token", "order_token_expires_at"]
        read_only_fields = fields

    def get_order_token(self, order) -> str:
        return self.context["order_token"]

    @extend_schema_field(serializers.DateTimeField())
    def get_order_token_expires_at(self, order):
        return serializers.DateTimeField().to_representation(self.context["order_token_expires_at"])


class OrderClaimOutput(serializers.Serializer):
    claimed = serializers.IntegerField(help_text="How many guest orders became yours now (0: none were waiting).")
    orders = OrderOutput(many=True)


class OrderMessageOutput(serializers.Serializer):
    message = serializers.CharField()


class OrderStatusMessageOutput(serializers.Serializer):
    message = serializers.CharField()
    order = OrderOutput()


class ShippingMethodOutput(serializers.ModelSerializer):
    price = MoneyField(read_only=True)
    free_over = MoneyField(read_only=True, allow_null=True, help_text="Orders whose subtotal reaches it ship free.")

    class Meta:
        model = ShippingMethod
        fields = ["id", "name", "price", "free_over"]
        read_only_fields = fields


class ShippingMethodAdminOutput(serializers.ModelSerializer):
    price = MoneyField(read_only=True)
    free_over = MoneyField(read_only=True, allow_null=True, help_text="Orders whose subtotal reaches it ship free.")
    tax_class = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True,
                                             help_text="The tax class code shipping is taxed as; null: the default.")

    class Meta:
        model = ShippingMethod
        fields = ["id", "name", "price", "free_over", "is_active", "tax_class", "created_at", "updated_at"]
        read_only_fields = fields


class ShippingMethodInput(StrictInput):
    name = serializers.CharField(max_length=120)
    price = MoneyField(min_value=0)
    free_over = MoneyField(min_value=0, required=False, allow_null=True,
                           help_text="Subtotal from which shipping is free.")
    is_active = serializers.BooleanField(default=True)
    tax_class = tax_class_field(help_text="A tax class code for the shipping charge; null or absent on create: "
                                          "the default class.")


# --- Input ------------------------------------------------------------------------------------------------------

SHIPPING_METHOD_HELP = (
    "An active method's id, from `GET /orders/shipping-methods/`: its fee is charged (free from its `free_over`). "
    "Required while the shop offers any (`SHIPPING_METHOD_REQUIRED`, default on): without it, 400 "
    "`shipping_method_required`. Needs a shipping address (400 `address_required`).")


class InlineAddressInput(serializers.Serializer):
    full_name = serializers.CharField(max_length=150)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    address_line_1 = serializers.CharField(max_length=255)
    address_line_2 = serializers.CharField(max_length=255, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100)
    state = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    country = CountryField()


@extend_schema_field({
    "oneOf": [
        {"type": "object", "description": "Inline address: full_name, address_line_1, city and country (ISO code "
                                            "or English name, e.g. KE or Kenya) required; phone, email, "
                                            "address_line_2, state (an ISO 3166-2 subdivision code such as CA, "
                                            "for a regional tax rate) and postal_code optional",
         "required": ["full_name", "address_line_1", "city", "country"],
         "properties": {name: {"type": "string"} for name in (
             "full_name", "phone", "email", "address_line_1", "address_line_2", "city", "state", "postal_code",
             "country")}},
        {"type": "integer", "minimum": 1, "description": "Id of an address in your address book"},
        {"type": "string", "pattern": r"^\s*[0-9]+\s*$",
         "description": "An address-book id written as text (\"12\"). Free text (\"1 Main St, Springfield\") "
                        "is not an address: 400 `address_incomplete`."},
    ],
    "nullable": True,
    "description": "Where the order ships and what it is taxed by (its `country` and `state`; without an address, "
                   "`SHOP_COUNTRY`). Required with a `shipping_method` (400 `address_required`). An address-book "
                   "entry missing its full name, line 1, city or country is 400 `address_incomplete` too.",
})
class ShippingAddressField(serializers.Field):
    """An inline address object or an address-book id (a number, or digits as text).

    Any other text is passed on as it came, for the checkout service to refuse with its code
    (``address_incomplete``, saying what to send): the first order API took a free-text address here, and its
    clients get told what replaced it rather than a bare "invalid"."""

    default_error_messages = {"invalid": "Send an address object or an address-book id."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            if data < 1:
                self.fail("invalid")
            return data
        if isinstance(data, str):
            text = data.strip()
            if len(text) > 255:
                raise serializers.ValidationError("Ensure this field has no more than 255 characters.")
            if text.isdigit():
                return int(text)
            return text
        if isinstance(data, dict):
            inline = InlineAddressInput(data=data)
            inline.is_valid(raise_exception=True)
            return dict(inline.validated_data)
        return self.fail("invalid")

    def to_representation(self, value):
        return value


class OrderLineInput(serializers.Serializer):
    """One line: ``product_id``/``product`` and/or ``variant_id``/``variant`` (either spelling of each, not both)."""

    product_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    product = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    variant_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    variant = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    quantity = serializers.IntegerField(min_value=1, max_value=CART_MAX_QUANTITY, default=1)

    def validate(self, attrs):
        refuse_together(attrs, "product_id", "product")
        refuse_together(attrs, "variant_id", "variant")
        product_id = attrs.get("product_id") or attrs.get("product")
        variant_id = attrs.get("variant_id") or attrs.get("variant")
        if product_id is None and variant_id is None:
            raise serializers.ValidationError({"product_id": ["Give a product_id or a variant_id."]})
        return LineRequest(quantity=attrs["quantity"], product_id=product_id, variant_id=variant_id)


# How every endpoint taking a ``payment_method`` refuses one (``shop.payments.methods.method_offered``).
METHOD_REFUSALS = ("Case and surrounding spaces do not matter. A name that is no payment method at all: 400 "
                   "`invalid_payment_method`; a method the shop does not offer now, or whose limits refuse the order: "
                   "400 `method_unavailable` (both naming `payment_method`).")
CHECKOUT_METHOD_HELP = ("Omit to use the shop's default method (DEFAULT_PAYMENT_METHOD, else the first offered). "
                        + METHOD_REFUSALS)


@extend_schema_field({
    "oneOf": [{"type": "string", "maxLength": 32, "description": "Method code, e.g. stripe, paymob, cod"},
              {"type": "integer", "description": "Method id, as listed by GET /payments/methods/"}],
    "nullable": True,
    "description": "Omit to use the shop's default method (DEFAULT_PAYMENT_METHOD, else the first offered).",
})
class PaymentMethodRefField(serializers.CharField):
    """A payment method's code or integer id (kept as text: ``shop.payments.methods.method_offered`` takes both), read
    the same way by every endpoint that takes one (checkout, guest checkout, create-intent, a guest's pay route)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data).strip().lower()


def _refuse_too_many_lines(data) -> None:
    """A direct order of more than ``ORDER_MAX_LINES`` lines is the cart's 400 ``too_many_lines`` (naming the
    field), not the list field's generic ``invalid``: one limit, one answer, however the order is made."""
    if not isinstance(data, dict):
        return
    for field in ("items", "cart_items"):
        lines = data.get(field)
        if isinstance(lines, list) and len(lines) > ORDER_MAX_LINES:
            raise too_many_lines_error(len(lines), field=field)


def _refuse_free_text_guest_address(data) -> None:
    """A guest's ``shipping_address`` that is not an object (free text, a number: a guest has no address book) is
    the customer checkout's 400 ``address_incomplete`` saying what to send, not DRF's "Expected a dictionary"."""
    given = data.get("shipping_address") if isinstance(data, dict) else None
    if given is not None and not isinstance(given, dict):
        fix = ("Free text is not an address: send an object with full_name, address_line_1, city and country "
               "(address_line_2, state, postal_code, phone and email optional).")
        raise ApplicationError(f"A guest's shipping address is given in parts, not as one value. {fix}",
                               code=OrderErrorCode.ADDRESS_INCOMPLETE, extra={"errors": {"shipping_address": [fix]}})


class CheckoutInput(serializers.Serializer):
    def to_internal_value(self, data):
        _refuse_too_many_lines(data)
        return super().to_internal_value(data)

    shipping_address = ShippingAddressField(required=False, allow_null=True)
    address = serializers.IntegerField(min_value=1, required=False, allow_null=True,
                                       help_text="The same as an address-book id in `shipping_address`; sent with a "
                                                 "different `shipping_address`, a 400 naming both. An entry "
                                                 "missing its full name, line 1, city or country: 400 "
                                                 "`address_incomplete` naming `address`.")
    shipping_method = serializers.IntegerField(min_value=1, required=False, allow_null=True,
                                               help_text=SHIPPING_METHOD_HELP)
    payment_method = PaymentMethodRefField(required=False, allow_blank=True, allow_null=True,
                                           help_text=CHECKOUT_METHOD_HELP)
    shipping_fee = MoneyField(
        required=False, allow_null=True, write_only=True,
        help_text="Ignored: the fee comes from `shipping_method`; a client never sets its own. Accepted so that "
                  "bodies which carry it (the IntaSend-era order API) still validate.")
    notes = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    expected_total = MoneyField(required=False, allow_null=True,
                                help_text="The total the customer saw (the cart's `total` plus shipping), compared "
                                          "by value (`661.870` is `661.87`); more decimals than the currency has "
                                          "(`661.875` in EUR) is a 400 naming it. If it differs from the server's: "
                                          "409 `total_mismatch` with the current `total`.")
    items = OrderLineInput(many=True, required=False, max_length=ORDER_MAX_LINES,
                           help_text=f"Direct order lines, at most {ORDER_MAX_LINES}; omit to check out the cart (a "
                                     f"cart of more than {ORDER_MAX_LINES} lines is a 400 `too_many_lines` saying "
                                     "how many to remove). Either way a placed order empties the cart (its voucher "
                                     "code too).")
    cart_items = OrderLineInput(many=True, required=False, max_length=ORDER_MAX_LINES,
                                help_text="The same as `items` (sent together: a 400 naming both).")
    voucher = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default="",
        help_text="A voucher code for this order (case does not matter); a cart checkout without one uses the "
                  "cart's code, a direct order (`items`) never does. One that cannot be used is a 400 naming "
                  "`voucher` (voucher_invalid, voucher_expired, voucher_not_started, min_spend_not_met, "
                  "not_eligible, usage_limit_reached, customer_limit_reached) that places nothing.",
    )
    return_url = serializers.CharField(
        max_length=RETURN_URL_MAX_LENGTH, required=False, allow_blank=True, default="",
        help_text="Redirect providers (the sandbox page, Paymob, IntaSend): where the customer's browser goes "
                  "after paying, with `order_key` (and from the sandbox `status`: `paid` or `failed`) added to its "
                  "query; `{order_id}` and `{order_key}` are filled in. Must be on this site's origin, "
                  "CORS_ALLOWED_ORIGINS or PAYMENT_RETURN_ORIGINS (else 400 `return_url_not_allowed`); a path "
                  "(`/demo/#/orders/{order_id}`) is on this site: it is resolved against the request's origin.",
    )

    def validate(self, attrs):
        given, book_id = attrs.get("shipping_address"), attrs.get("address")
        if given is not None and book_id is not None and given != book_id:
            # Two addresses for one order: using either would ship somewhere the client may not mean.
            message = "Give the shipping address once: `address` (an address-book id) or `shipping_address`, not both."
            raise serializers.ValidationError({"address": [message], "shipping_address": [message]})
        if given is None and book_id is not None:
            attrs["shipping_address"] = attrs["address"]
            attrs["address_field"] = "address"  # errors about it name the field the client sent
        refuse_together(attrs, "items", "cart_items")
        lines = attrs.get("items") if attrs.get("items") is not None else attrs.get("cart_items")
        if lines is not None and not lines:
            raise serializers.ValidationError({"items": ["An order needs at least one item."]})
        attrs["lines"] = lines
        return attrs


class OrderStatusField(serializers.ChoiceField):
    """An order status in any case and either spelling (``CANCELLED``, ``canceled`` and ``cancelled`` are the
    same)."""

    def __init__(self, **kwargs):
        super().__init__(choices=Order.Status.choices, **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(status_input(data))


class OrderStatusInput(StrictInput):
    status = OrderStatusField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class OrderUpdateInput(serializers.Serializer):
    """``PATCH /orders/{id}/``: only the status moves here. A customer may only send ``cancelled``."""

    status = OrderStatusField(help_text="Customers: only `cancelled` (their own unpaid order). Staff: any status "
                                        "the pipeline allows next.")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class OrderCancelInput(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ShipmentUpdateInput(StrictInput):
    """Tracking details only: the shipment's status moves by tracking events, which keep the order in step."""

    unknown_field_hints = {
        "status": "The status moves by a tracking event (POST /orders/admin/{order_id}/shipment/events/), "
                  "which moves the order with it.",
        "delivered_at": "Set by a DELIVERED tracking event.",
    }

    carrier = serializers.CharField(max_length=100, required=False, allow_blank=True)
    tracking_number = serializers.CharField(max_length=100, required=False, allow_blank=True)
    tracking_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    estimated_delivery_at = serializers.DateTimeField(required=False, allow_null=True)


class ShipmentStatusField(serializers.ChoiceField):
    """A shipment status (``IN_TRANSIT``) in any case, ``CANCELED`` as ``CANCELLED``."""

    def to_internal_value(self, data):
        text = status_input(data)
        return super().to_internal_value(text.upper() if isinstance(text, str) else text)


class ShipmentEventInput(StrictInput):
    status = ShipmentStatusField(choices=Shipment.Status.choices)
    message = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    location = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    occurred_at = serializers.DateTimeField(
        required=False, allow_null=True,
        help_text="When the carrier scanned it (ISO 8601; without an offset, UTC); absent or null: now. A late scan "
                  "may be dated in the past, within limits: not more than 5 minutes ahead of the server's clock (such "
                  "a time is recorded as now), "
                  "not before the order was placed, and, for an event that changes the shipment's status, not "
                  "before the shipment's latest event (another event of its current status may be dated anywhere "
                  "after the order was placed). Otherwise 400 `invalid_event_time`, `errors.occurred_at` giving "
                  "the range allowed. Events are listed by this time; a `DELIVERED` event's is `delivered_at`.")


class GuestCheckoutInput(serializers.Serializer):
    """A guest's checkout of the guest cart named by ``X-Cart-Token``."""

    def to_internal_value(self, data):
        _refuse_free_text_guest_address(data)
        return super().to_internal_value(data)

    email = serializers.EmailField(max_length=254, help_text="Where the confirmation (with the order link) goes; "
                                                             "the order keeps it.")
    shipping_address = InlineAddressInput()
    shipping_method = serializers.IntegerField(min_value=1, required=False, allow_null=True,
                                               help_text=SHIPPING_METHOD_HELP)
    payment_method = PaymentMethodRefField(required=False, allow_blank=True, allow_null=True,
                                           help_text=CHECKOUT_METHOD_HELP)
    notes = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    expected_total = MoneyField(required=False, allow_null=True,
                                help_text="As at checkout: if it differs from the server's total, 409 "
                                          "`total_mismatch` with the current `total`.")
    voucher = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default="",
        help_text="A voucher code for this order (case does not matter); without one the guest cart's code "
                  "(`POST /cart/voucher/`) is used. Its per-customer limit counts by `email`. One that cannot be "
                  "used is a 400 naming `voucher` (as at checkout) that places nothing.",
    )
    return_url = serializers.CharField(
        max_length=RETURN_URL_MAX_LENGTH, required=False, allow_blank=True, default="",
        help_text="As at checkout: where a hosted payment page sends the guest back (`order_key` added). The "
                  "page the guest comes back to reads the order with the token it kept.")


class GuestPayInput(serializers.Serializer):
    payment_method = PaymentMethodRefField(
        required=False, allow_blank=True, allow_null=True,
        help_text="Method code or id. Omitted: the order's own method, else the shop's default. " + METHOD_REFUSALS)
    idempotency_key = IdempotencyKeyField(
        help_text="Yours to choose, scoped to this order: the same key again with the same method returns the same "
                  "payment; with another one it is a 422 `idempotency_key_reused`. At most 255 characters (a longer "
                  "one: 400 `invalid_idempotency_key`).")
    return_url = serializers.CharField(max_length=RETURN_URL_MAX_LENGTH, required=False, allow_blank=True,
                                       default="", help_text="As at checkout.")
