from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shop.cart.models import CART_MAX_QUANTITY
from shop.core.serializers import (
    IdempotencyKeyField,
    MoneyField,
    RefuseUnknownFieldsMixin,
    StrictInput,
    refuse_together,
)
from shop.orders.api.serializers import METHOD_REFUSALS, PaymentMethodRefField
from shop.payments.models import Payment, Refund, RefundLine
from shop.payments.refund_split import RefundLineRequest
from shop.payments.return_urls import RETURN_URL_MAX_LENGTH
from shop.pricing.api.serializers import PercentField, TaxLineOutput, tax_lines_data


class PaymentOrderOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    total_amount = MoneyField(source="total")
    created_at = serializers.DateTimeField()


class PaymentOutput(serializers.ModelSerializer):
    order = PaymentOrderOutput()
    stripe_payment_intent_id = serializers.SerializerMethodField()
    status_display = serializers.CharField(source="get_status_display")
    failure_message = serializers.SerializerMethodField()
    is_successful = serializers.BooleanField()
    is_pending = serializers.BooleanField()
    is_failed = serializers.BooleanField()
    can_be_refunded = serializers.BooleanField()
    checkout_url = serializers.URLField(
        source="open_checkout_url", read_only=True, allow_null=True,
        help_text="The hosted page to pay on while the attempt is open; null once it is closed (succeeded, failed, "
                  "cancelled, refunded) and for methods without a page (cash on delivery, Stripe.js).")
    amount = MoneyField(read_only=True)
    amount_refunded = MoneyField(read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "order", "provider", "stripe_payment_intent_id", "provider_payment_id", "provider_invoice_id",
                  "checkout_url", "status", "status_display", "amount", "amount_refunded", "currency",
                  "failure_message", "is_successful", "is_pending", "is_failed", "can_be_refunded", "flagged",
                  "created_at", "updated_at"]
        read_only_fields = fields

    def get_stripe_payment_intent_id(self, payment: Payment) -> str | None:
        return payment.provider_payment_id if payment.provider == "stripe" else None

    def get_failure_message(self, payment: Payment) -> str | None:
        return payment.failure_message or None


class PaymentStatusOutput(serializers.Serializer):
    id = serializers.IntegerField()
    order_id = serializers.IntegerField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    is_successful = serializers.BooleanField()


class PaymentStartOutput(serializers.Serializer):
    payment = PaymentOutput()
    client_secret = serializers.CharField(allow_null=True, help_text="For Stripe.js confirmCardPayment(); null once "
                                                                     "the attempt is no longer open.")
    publishable_key = serializers.CharField(allow_null=True)
    checkout_url = serializers.CharField(allow_null=True, help_text="Redirect providers: where to send the customer; "
                                                                    "null once the attempt is no longer open (an "
                                                                    "idempotency key answering a failed attempt).")
    next_step = serializers.CharField(allow_null=True, help_text="The same as checkout_url.")


class CreateIntentInput(serializers.Serializer):
    order_id = serializers.IntegerField(min_value=1)
    payment_method = PaymentMethodRefField(
        required=False, allow_blank=True, allow_null=True,
        help_text="Method code or id. Omitted: the order's own method (the one it was placed with), else the shop's "
                  "default. " + METHOD_REFUSALS)
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False, help_text="ISO 4217; must be the shop's.")
    idempotency_key = IdempotencyKeyField(
        help_text="Yours to choose, scoped to you: the same key again with the same order, method and currency "
                  "returns the same payment; with a different one it is a 422 `idempotency_key_reused`. Sent again "
                  "while the first request is still waiting on the gateway: 409 `request_in_progress`, nothing "
                  "done; send it again in a few seconds. At most 255 "
                  "characters, as the `Idempotency-Key` header (a longer one: 400 `invalid_idempotency_key`).")
    return_url = serializers.CharField(
        max_length=RETURN_URL_MAX_LENGTH, required=False, allow_blank=True, default="",
        help_text="As at checkout: where a hosted payment page sends the customer back (`order_key` added). "
                  "An attempt already open keeps the one it was opened with.",
    )


class PaymentIdInput(serializers.Serializer):
    payment_id = serializers.IntegerField(min_value=1)


class RefundLineInput(serializers.Serializer):
    order_item_id = serializers.IntegerField(min_value=1, help_text="An order line's `id` (the order's `items`).")
    quantity = serializers.IntegerField(min_value=1, max_value=CART_MAX_QUANTITY, required=False, allow_null=True,
                                        help_text="Units to refund; omitted: all that is left of the line.")

    def validate(self, attrs):
        return RefundLineRequest(order_item_id=attrs["order_item_id"], quantity=attrs.get("quantity"))


class RefundInput(serializers.Serializer):
    payment_id = serializers.IntegerField(min_value=1)
    amount = MoneyField(positive=True, required=False,
                        help_text="Omitted (and no `lines`): all that is left of the payment. Its tax is spread over "
                                  "the order's lines (docs/PRICING.md, Refunds).")
    lines = RefundLineInput(many=True, required=False, max_length=100,
                            help_text="Refund these order lines (exactly their gross and tax, or their units' "
                                      "share) instead of an amount. Sent at all (even `[]`), the refund is by "
                                      "line: `[]` without `shipping: true` refunds nothing (400 "
                                      "`nothing_to_refund`).")
    shipping = serializers.BooleanField(required=False,
                                        help_text="With or without `lines`: refund what is left of shipping too. "
                                                  "Sent at all (even `false`), the refund is by line, never by "
                                                  "amount.")
    reason = serializers.ChoiceField(choices=Refund.Reason.choices, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        # What was sent decides the kind of refund, not whether it is truthy: `"lines": []` or `"shipping": false`
        # ask for a refund by line (of nothing), never for the full refund an absent `amount` means.
        by_line = [name for name in ("lines", "shipping") if name in attrs]
        if by_line and attrs.get("amount") is not None:
            message = "Send either an amount or lines (and shipping), not both."
            raise serializers.ValidationError({name: [message] for name in ("amount", *by_line)})
        return attrs


class StaffRefundInput(RefuseUnknownFieldsMixin, RefundInput):
    """A refund as staff send it: a field it does not take is refused, never dropped (a misspelt `amount` would
    otherwise refund everything). Customers' bodies, like every customer endpoint's, ignore unknown fields."""


class RefundLineOutput(serializers.ModelSerializer):
    """What a refund gave back of one order line (`kind` `item`, `order_item` its id), of shipping (`shipping`) or
    of money paid beyond the order (`excess`). `quantity`: the units it refunded; an amount refund counts the units
    of a line (or shipping's 1) only when it took all that was left of it, else 0 (a share of the line's money,
    not of its units)."""

    amount = MoneyField(currency_source="refund.payment.currency", read_only=True, help_text="Gross, with `tax` in it.")
    tax = MoneyField(currency_source="refund.payment.currency", read_only=True)
    tax_rate = PercentField()

    class Meta:
        model = RefundLine
        fields = ["kind", "order_item", "quantity", "amount", "tax", "tax_rate"]
        read_only_fields = fields


class RefundOutput(serializers.ModelSerializer):
    """A refund with its tax: `amount` (gross) contains `tax`; `tax_lines` split it by rate (a credit note's
    figures); `lines` say what it gave back of each order line, of shipping, or beyond the order (`excess`)."""

    amount = MoneyField(currency_source="payment.currency", read_only=True)
    tax = MoneyField(currency_source="payment.currency", read_only=True)
    tax_lines = serializers.SerializerMethodField()
    lines = RefundLineOutput(many=True, read_only=True)
    # Blank when no reason was given: the schema must say so (the fuzzer caught "" against the bare enum).
    reason = serializers.ChoiceField(choices=Refund.Reason.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Refund
        fields = ["id", "amount", "tax", "tax_lines", "lines", "status", "reason", "created_at"]
        read_only_fields = fields

    @extend_schema_field(TaxLineOutput(many=True))
    def get_tax_lines(self, refund: Refund):
        return tax_lines_data(refund.tax_lines, refund.payment.currency)


class PaymentReadOutput(PaymentOutput):
    """A payment as its reads answer it (`GET /payments/`, `/payments/{id}/`, `/payments/order/{id}/`): with its
    refunds, newest first, each with its tax and what it gave back of each order line and of shipping."""

    refunds = RefundOutput(many=True, read_only=True)

    class Meta(PaymentOutput.Meta):
        fields = [*PaymentOutput.Meta.fields, "refunds"]
        read_only_fields = fields


class SyncInput(serializers.Serializer):
    payment_intent_id = serializers.CharField(required=False, max_length=255)
    payment_id = serializers.IntegerField(required=False, min_value=1)

    def validate(self, attrs):
        refuse_together(attrs, "payment_id", "payment_intent_id")
        if not attrs.get("payment_intent_id") and not attrs.get("payment_id"):
            raise serializers.ValidationError({"payment_intent_id": ["Send payment_intent_id or payment_id."]})
        return attrs


class MessagePaymentOutput(serializers.Serializer):
    message = serializers.CharField()
    payment = PaymentOutput()


class RefundResultOutput(MessagePaymentOutput):
    refund = RefundOutput()


class ConfigOutput(serializers.Serializer):
    publishable_key = serializers.CharField()
    currency = serializers.CharField()


class PaymentMethodOutput(serializers.Serializer):
    id = serializers.IntegerField(source="number", help_text="Send it (or `code`) as `payment_method`.")
    code = serializers.CharField(source="id", help_text="Send it (or `id`) as `payment_method`.")
    provider = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["direct", "redirect", "client"])
    currencies = serializers.ListField(child=serializers.CharField(), help_text="Empty: any currency.")
    min_order_total = MoneyField(allow_null=True, help_text="Orders below this total cannot use it (null: no limit).")
    max_order_total = MoneyField(allow_null=True, help_text="Orders above this total cannot use it (null: no limit).")
    gateway_min_order_total = MoneyField(
        allow_null=True, read_only=True,
        help_text="The gateway's own minimum charge in the shop currency (Stripe: 0.50 USD): orders to pay below it "
                  "cannot use it either (null: none known).")


class PaymentMethodAdminOutput(PaymentMethodOutput):
    is_active = serializers.BooleanField(help_text="Staff's switch.")
    offered = serializers.BooleanField(help_text="Active, in PAYMENT_METHODS and with its gateway keys set.")


class PaymentMethodUpdateInput(StrictInput):
    is_active = serializers.BooleanField(required=False)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True,
                                 help_text="Shown to customers; empty: the built-in name.")
    min_order_total = MoneyField(min_value=0, required=False, allow_null=True)
    max_order_total = MoneyField(min_value=0, required=False, allow_null=True)
    currencies = serializers.ListField(child=serializers.RegexField(r"^[A-Za-z]{3}$"), required=False,
                                       max_length=20, help_text="ISO 4217 codes; empty: the provider's own.")


class StatisticsOutput(serializers.Serializer):
    total_payments = serializers.IntegerField()
    total_spent = MoneyField(bounded=False, help_text="What your payments took, net of refunds.")  # a sum
    pending_count = serializers.IntegerField()
    processing_count = serializers.IntegerField()
    succeeded_count = serializers.IntegerField()
    failed_count = serializers.IntegerField()
    cancelled_count = serializers.IntegerField()
    refunded_count = serializers.IntegerField()
    partially_refunded_count = serializers.IntegerField()


class SandboxCheckoutOutput(serializers.Serializer):
    payment = PaymentOutput()
    succeed_url = serializers.CharField(help_text="POST here to play the customer paying.")
    fail_url = serializers.CharField(help_text="POST here to play the card being declined.")


class WebhookOutput(serializers.Serializer):
    received = serializers.BooleanField()
    outcome = serializers.CharField()
