from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from shop.core.idempotency import IDEMPOTENCY_KEY_MAX_LENGTH
from shop.core.models import TimeStampedModel, shop_amount_validator
from shop.core.money import MONEY_COLUMN, money_text

# A payment's key is ours (``checkout-<order key>``, ``order-<id>-<uuid>``) or a client's behind the prefix that
# scopes it (``client-<user id>-``, ``guest-<order id>-``: at most 27 characters with a 19-digit id), so its
# column holds a client key of the full IDEMPOTENCY_KEY_MAX_LENGTH with room to spare.
PAYMENT_KEY_MAX_LENGTH = IDEMPOTENCY_KEY_MAX_LENGTH + 45


def opening_window() -> timedelta:
    """How long a request opening a payment at its gateway may still be running: its gateway calls (each bounded by
    ``PAYMENT_GATEWAY_TIMEOUT``; Paymob's may be two) and a margin. An attempt left unanswered for longer was
    abandoned (its worker died, say) and may be opened again."""
    return timedelta(seconds=2 * settings.PAYMENT_GATEWAY_TIMEOUT + 30)


class Payment(TimeStampedModel):
    """One attempt to pay one order through one provider. An order may have several (a failed card, then another).

    ``amount_refunded`` counts refunds confirmed or in flight, so two concurrent refunds can never exceed
    what was paid.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        REFUNDED = "refunded", "Refunded"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"

    ACTIVE = (Status.PENDING, Status.PROCESSING)
    CAPTURED = (Status.SUCCEEDED, Status.PARTIALLY_REFUNDED, Status.REFUNDED)

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments")
    # The order's user; none for a guest's order (set when the order is claimed).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments",
                             null=True, blank=True)
    provider = models.CharField(max_length=20)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    amount = models.DecimalField(**MONEY_COLUMN)
    currency = models.CharField(max_length=3)
    amount_refunded = models.DecimalField(**MONEY_COLUMN, default=Decimal("0.00"))
    provider_payment_id = models.CharField(max_length=255, blank=True, db_index=True)
    provider_invoice_id = models.CharField(max_length=255, blank=True)
    client_secret = models.CharField(max_length=500, blank=True)
    checkout_url = models.URLField(max_length=1000, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    idempotency_key = models.CharField(max_length=PAYMENT_KEY_MAX_LENGTH, unique=True)
    flagged = models.BooleanField(default=False, help_text="Needs a person: amount mismatch or paid after cancel.")
    flag_reason = models.CharField(max_length=255, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_payment_id"],
                condition=~models.Q(provider_payment_id=""),
                name="payments_payment_provider_id_unique",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payments_payment_amount_gt_0"),
            models.CheckConstraint(
                condition=models.Q(amount_refunded__gte=0) & models.Q(amount_refunded__lte=models.F("amount")),
                name="payments_payment_refund_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="payments_payment_user_idx")]

    def __str__(self) -> str:
        return f"{self.provider} payment {self.pk} ({self.status})"

    @property
    def is_successful(self) -> bool:
        return self.status == self.Status.SUCCEEDED

    @property
    def is_pending(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_failed(self) -> bool:
        return self.status == self.Status.FAILED

    def awaits_gateway(self, *, now: datetime | None = None) -> bool:
        """Whether a request is opening this attempt at its gateway right now: pending with no gateway id yet,
        reserved within ``opening_window()``. Another request for the same attempt then gets the 409
        ``request_in_progress`` (``shop.core.idempotency``): never the attempt half made, nor a second gateway
        call for it."""
        return (self.status == self.Status.PENDING and not self.provider_payment_id
                and self.updated_at > (now or timezone.now()) - opening_window())

    @property
    def open_checkout_url(self) -> str | None:
        """The hosted page to pay on while the attempt is open (pending or processing); None once it succeeded,
        failed, was cancelled or refunded, and for a method without a page (cash on delivery, Stripe.js). What every
        answer shows as a payment's ``checkout_url`` and an order's ``next_step``: a closed attempt's page is no
        step to take."""
        return (self.checkout_url or None) if self.is_pending else None

    @property
    def refundable_amount(self) -> Decimal:
        if self.status not in (self.Status.SUCCEEDED, self.Status.PARTIALLY_REFUNDED):
            return Decimal("0.00")
        return self.amount - self.amount_refunded

    @property
    def can_be_refunded(self) -> bool:
        return self.refundable_amount > 0

    @property
    def net_paid(self) -> Decimal:
        return self.amount - self.amount_refunded if self.status in self.CAPTURED else Decimal("0.00")


class PaymentKey(models.Model):
    """A payment start's idempotency key (``create-intent``, a guest's ``pay``) and the attempt it names, so a
    retry with it answers that attempt again, whatever it has become (succeeded, failed, cancelled), never a new
    one and never a refusal. The attempt is the one the start opened (whose own ``Payment.idempotency_key`` is the
    same key) or the one it found already open and answered (a checkout's). One unique index over every such key:
    one key never names two attempts, even when two requests with it race on two orders."""

    key = models.CharField(max_length=PAYMENT_KEY_MAX_LENGTH, unique=True)
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.key} -> payment {self.payment_id}"


class Refund(TimeStampedModel):
    class Reason(models.TextChoices):
        DUPLICATE = "duplicate", "Duplicate"
        FRAUDULENT = "fraudulent", "Fraudulent"
        REQUESTED_BY_CUSTOMER = "requested_by_customer", "Customer request"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(**MONEY_COLUMN)
    reason = models.CharField(max_length=32, choices=Reason.choices, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    provider_refund_id = models.CharField(max_length=255, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The tax inside ``amount`` and its split by rate ([{"rate", "base", "amount"}], like the order's tax_lines),
    # from the order's stored prices (shop/orders/refunds.py): a credit note's figures.
    tax = models.DecimalField(**MONEY_COLUMN, default=Decimal("0.00"))
    tax_lines = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="payments_refund_amount_gt_0")]

    def __str__(self) -> str:
        """``"Refund #3: 10.00 USD, succeeded"`` (the admin's inline rows and messages)."""
        currency = self.payment.currency.upper() if self.payment_id else ""
        amount = money_text(self.amount, currency or settings.SHOP_CURRENCY)
        return f"Refund #{self.pk}: {amount} {currency}, {self.get_status_display().lower()}".replace("  ", " ")


class RefundLine(models.Model):
    """What one refund gives back of one order line (``item``, with ``order_item``), of shipping (``shipping``) or
    of money paid beyond the order (``excess``: a second payment; no tax in it): ``quantity`` units (an amount
    refund spread over the line: all its units left when it took all the money left of it, else 0; shipping 1 or
    0; excess 0), ``amount`` gross with ``tax`` in it, taxed at ``tax_rate``. The
    refunds of a line never add up to more than its stored gross (``shop/payments/refund_split.py``)."""

    class Kind(models.TextChoices):
        ITEM = "item", "Order line"
        SHIPPING = "shipping", "Shipping"
        EXCESS = "excess", "Paid beyond the order"

    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ITEM)
    order_item = models.ForeignKey("orders.OrderItem", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="refund_lines")
    quantity = models.PositiveIntegerField(default=0)
    amount = models.DecimalField(**MONEY_COLUMN)
    tax = models.DecimalField(**MONEY_COLUMN, default=Decimal("0.00"))
    tax_rate = models.DecimalField(max_digits=7, decimal_places=4, default=Decimal("0"))

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        amount = money_text(self.amount, settings.SHOP_CURRENCY)  # no query for the refund's currency in a list
        return f"{amount} of {self.get_kind_display().lower()} {self.order_item_id or ''}".strip()


class WebhookEvent(models.Model):
    """Every gateway event we accepted, once: a redelivery with the same id is acknowledged and ignored."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=100)
    provider_payment_id = models.CharField(max_length=255, blank=True)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="payments_webhook_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} {self.event_id}"


class SandboxCharge(models.Model):
    """The sandbox provider's 'gateway side': the state a real gateway would hold, kept in our database."""

    provider_payment_id = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=20, default="pending")
    amount = models.DecimalField(**MONEY_COLUMN)
    currency = models.CharField(max_length=3)
    amount_refunded = models.DecimalField(**MONEY_COLUMN, default=Decimal("0.00"))
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.provider_payment_id} ({self.status})"


class PaymentMethodSetting(TimeStampedModel):
    """Staff's switches for one payment method of the registry (``shop.payments.methods.KNOWN_METHODS``).

    The primary key is the method's fixed number in that registry (stripe 1, paymob 2, intasend 3, sandbox 4,
    cod 5): the integer id clients may send as ``payment_method``. A method without a row is offered with no
    limits; a row can turn it off or limit it to order totals within ``[min_order_total, max_order_total]``
    (shop currency, inclusive) and to some currencies. ``PAYMENT_METHODS`` and the gateway keys still decide
    which methods exist on this server at all.
    """

    id = models.PositiveSmallIntegerField(primary_key=True)
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=100, blank=True, help_text="Shown to customers; empty: the built-in name.")
    is_active = models.BooleanField(default=True)
    min_order_total = models.DecimalField(**MONEY_COLUMN, null=True, blank=True,
                                          validators=[MinValueValidator(Decimal("0.00")), shop_amount_validator])
    max_order_total = models.DecimalField(**MONEY_COLUMN, null=True, blank=True,
                                          validators=[MinValueValidator(Decimal("0.00")), shop_amount_validator])
    currencies = models.CharField(
        max_length=200, blank=True,
        validators=[RegexValidator(r"^([A-Z]{3}(,[A-Z]{3})*)?$", "Comma-separated ISO 4217 codes, e.g. EGP,USD.")],
        help_text="Comma-separated ISO 4217 codes this method may be used in; empty: the provider's own.",
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.code} ({'active' if self.is_active else 'inactive'})"

    def clean(self) -> None:
        if (self.min_order_total is not None and self.max_order_total is not None
                and self.min_order_total > self.max_order_total):
            raise ValidationError({"max_order_total": "Must not be below min_order_total."})
