import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from shop.core.email_claims import EmailClaim
from shop.core.idempotency import IDEMPOTENCY_KEY_MAX_LENGTH
from shop.core.models import TimeStampedModel, shop_amount_validator
from shop.core.money import MONEY_COLUMN


class ShippingMethod(TimeStampedModel):
    """Staff-managed (Django admin). ``free_over``: orders whose subtotal reaches it ship free."""

    name = models.CharField(max_length=120)
    price = models.DecimalField(**MONEY_COLUMN, default=Decimal("0.00"),
                                validators=[MinValueValidator(Decimal("0.00")), shop_amount_validator])
    free_over = models.DecimalField(**MONEY_COLUMN, null=True, blank=True,
                                    validators=[MinValueValidator(Decimal("0.00")), shop_amount_validator])
    is_active = models.BooleanField(default=True)
    tax_class = models.ForeignKey("pricing.TaxClass", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", help_text="Empty: the default tax class.")

    class Meta:
        ordering = ["price", "id"]

    def __str__(self) -> str:
        return self.name

    def fee_for(self, subtotal: Decimal) -> Decimal:
        if self.free_over is not None and subtotal >= self.free_over:
            return Decimal("0.00")
        return self.price


def shop_currency() -> str:
    """The currency an order is placed in: the shop's (``SHOP_CURRENCY``) at the time."""
    return settings.SHOP_CURRENCY


MONEY = {**MONEY_COLUMN, "default": Decimal("0.00")}
RATE = {"max_digits": 7, "decimal_places": 4, "default": Decimal("0")}


def new_order_key() -> str:
    return f"ORD-{secrets.token_hex(8).upper()}"


class Order(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"

    class PaymentStatus(models.TextChoices):
        UNPAID = "unpaid", "Unpaid"
        PAID = "paid", "Paid"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        REFUNDED = "refunded", "Refunded"

    class CancelReason(models.TextChoices):
        CUSTOMER = "customer", "Cancelled by the customer"
        STAFF = "staff", "Cancelled by staff"
        EXPIRED = "expired", "Not paid in time"
        PAYMENT_CANCELLED = "payment_cancelled", "Payment cancelled"
        PAYMENT_FAILED = "payment_failed", "Payment failed"
        PAYMENT_UNAVAILABLE = "payment_unavailable", "Payment could not be started"
        REFUNDED = "refunded", "Refunded"

    # No user: a guest's order, reached with its order access token (``shop.orders.guest``) until a user whose
    # verified e-mail is ``email`` claims it.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders",
                             null=True, blank=True)
    # The buyer's e-mail at checkout, normalised (stripped, lower case): a guest's only contact, and what a
    # claim matches against the claiming user's verified address.
    email = models.EmailField(blank=True, default="")
    # The guest cart the order was checked out from: scopes a guest's Idempotency-Key (guests have no user) and
    # lets an undone checkout refill it. Cleared when the abandoned cart is deleted.
    guest_cart = models.ForeignKey("cart.Cart", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    order_key = models.CharField(max_length=32, unique=True, default=new_order_key, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    # What the pricing pipeline produced at checkout (shop/pricing/pipeline.py), stored so that later price and
    # rate changes never alter the order, its refunds or its invoice. ``subtotal``: the lines at their unit prices
    # (before discounts, entry basis); ``shipping_fee``: shipping's gross; ``total``: what the customer pays
    # (= the lines' and shipping's gross = ``net_total + tax_total``), the amount sent to the gateway.
    subtotal = models.DecimalField(**MONEY)
    shipping_fee = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default=shop_currency)
    prices_include_tax = models.BooleanField(default=True, help_text="Unit prices were entered gross (with tax).")
    tax_rounding_mode = models.CharField(max_length=24, default="line")
    discount = models.DecimalField(**MONEY)
    shipping_net = models.DecimalField(**MONEY)
    shipping_tax = models.DecimalField(**MONEY)
    shipping_tax_rate = models.DecimalField(**RATE)
    shipping_tax_class = models.CharField(max_length=50, blank=True)
    tax_total = models.DecimalField(**MONEY)
    # [{"rate": "19", "base": "420.15", "amount": "79.83"}], one per rate, ascending: the invoice's tax lines.
    tax_lines = models.JSONField(default=list, blank=True)
    # "rate"; "no_rate" when some taxed amount found no configured rate at the place taxed (taxed at 0);
    # "country" when the address's state is not an ISO 3166-2 code and the country's rates applied
    # (shop/pricing/rates.py, TaxSource).
    tax_source = models.CharField(max_length=10, default="rate")
    tax_country = models.CharField(max_length=2, blank=True)
    tax_region = models.CharField(max_length=6, blank=True)
    shipping_method = models.ForeignKey(ShippingMethod, on_delete=models.SET_NULL, null=True, blank=True,
                                        related_name="+")
    notes = models.CharField(max_length=500, blank=True)
    # Payments (filled by the payments app): which method, whether and when it was paid, when it expires.
    # Two questions, kept apart (docs/PAYMENTS.md, "Paid"): ``paid_at`` is when the order was first paid in full,
    # set once and never cleared (a refund does not unpay an order: "was it paid?" decides expiry, cancel rules,
    # shipping); ``is_fully_paid`` / ``payment_status`` say where the money stands now (partial refunds included).
    payment_method = models.CharField(max_length=32, blank=True)
    payment_status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID)
    is_fully_paid = models.BooleanField(default=False)
    paid_at = models.DateTimeField(null=True, blank=True)
    payment_deadline = models.DateTimeField(null=True, blank=True)
    needs_refund = models.BooleanField(
        default=False, help_text="The shop holds money it must give back (paid after cancellation, or paid twice); "
                                 "false once the refund is accepted.")
    cancel_reason = models.CharField(max_length=20, choices=CancelReason.choices, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # A retried checkout with the same key returns this order instead of creating another. Stored as sent.
    idempotency_key = models.CharField(max_length=IDEMPOTENCY_KEY_MAX_LENGTH, blank=True, default="")
    # SHA-256 of the request that used the key (shop/core/idempotency.py): the same key with another request is
    # refused (422) instead of answered with this order.
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "idempotency_key"], condition=~models.Q(idempotency_key=""),
                                    name="orders_order_unique_idempotency_key"),
            models.UniqueConstraint(fields=["guest_cart", "idempotency_key"],
                                    condition=models.Q(user__isnull=True) & ~models.Q(idempotency_key=""),
                                    name="orders_order_unique_guest_idempotency_key"),
            models.CheckConstraint(condition=models.Q(total__gte=0), name="orders_order_total_gte_0"),
        ]
        indexes = [
            models.Index(fields=["email"], condition=models.Q(user__isnull=True), name="orders_order_guest_email_idx"),
            models.Index(fields=["status", "payment_deadline"], name="orders_order_expiry_idx"),
            models.Index(fields=["user", "-created_at"], name="orders_order_user_idx"),
        ]

    def __str__(self) -> str:
        return self.order_key

    @property
    def was_paid(self) -> bool:
        """True once the order was paid in full, for good: refunds (partial or full) never turn it back."""
        return self.paid_at is not None

    class PaymentOutcome(models.TextChoices):
        """The four order states of the Paymob-era API, plus ``cancelled`` for what it had no word for."""

        PENDING = "pending", "Awaiting payment"
        SUCCESS = "success", "Paid"
        FAILED = "failed", "Payment failed"
        TIMEOUT = "timeout", "Not paid in time"
        CANCELLED = "cancelled", "Cancelled"

    _FAILED_REASONS = frozenset({CancelReason.PAYMENT_FAILED, CancelReason.PAYMENT_CANCELLED,
                                 CancelReason.PAYMENT_UNAVAILABLE})

    @property
    def payment_outcome(self) -> str:
        """Derived, never stored: paid -> success; refunded in full -> cancelled, whatever the order's status (a
        return after delivery too: no money is kept for it); cancelled for want of payment -> failed or timeout;
        cancelled by a person -> cancelled; anything else -> pending. A partial refund leaves a success: the shop
        keeps money for an order that goes on (nobody awaits its payment: a second one is refused)."""
        if self.was_paid and self.payment_status == self.PaymentStatus.REFUNDED:
            return self.PaymentOutcome.CANCELLED
        if self.is_fully_paid or (self.was_paid and self.status != self.Status.CANCELLED):
            return self.PaymentOutcome.SUCCESS
        if self.status != self.Status.CANCELLED:
            return self.PaymentOutcome.PENDING
        if self.cancel_reason == self.CancelReason.EXPIRED:
            return self.PaymentOutcome.TIMEOUT
        if self.cancel_reason in self._FAILED_REASONS:
            return self.PaymentOutcome.FAILED
        return self.PaymentOutcome.CANCELLED


class OrderItem(models.Model):
    """A line as sold: name, SKU, barcode and price are copied so the order reads the same forever."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("catalog.Product", on_delete=models.SET_NULL, null=True, related_name="+")
    variant = models.ForeignKey("catalog.ProductVariant", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    product_name = models.CharField(max_length=200)
    variant_description = models.CharField(max_length=120, blank=True)
    sku = models.CharField(max_length=64, blank=True)
    barcode = models.CharField(max_length=64, blank=True)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    # ``unit_price`` as charged (entry basis: gross when the order's prices_include_tax); ``line_total`` =
    # unit_price x quantity. The rest is the pipeline's answer for the line: ``discount`` taken off it,
    # ``net + tax == gross`` after discounts, ``tax_rate`` in percent, ``tax_class`` the code it was taxed as.
    unit_price = models.DecimalField(**MONEY_COLUMN)
    line_total = models.DecimalField(**MONEY_COLUMN)
    discount = models.DecimalField(**MONEY)
    net = models.DecimalField(**MONEY)
    tax = models.DecimalField(**MONEY)
    gross = models.DecimalField(**MONEY)
    tax_rate = models.DecimalField(**RATE)
    tax_class = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_name}"


class OrderAddress(models.Model):
    """The shipping address as it was at checkout (a copy, never a link to the editable address book)."""

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="shipping_address")
    source_address_id = models.PositiveBigIntegerField(null=True, blank=True)
    full_name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    address_line_1 = models.CharField(max_length=255, blank=True)
    address_line_2 = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    # What shipping and tax need of an address (checkout refuses one without them; staff cannot ship to one
    # without them: an address given as free text, before checkout refused that, kept it all in line 1).
    REQUIRED_PARTS = ("full_name", "address_line_1", "city", "country")

    class Meta:
        verbose_name_plural = "order addresses"

    def __str__(self) -> str:
        return f"{self.full_name}, {self.address_line_1}, {self.city}"

    @property
    def missing_parts(self) -> list[str]:
        """The required parts this address lacks (``REQUIRED_PARTS``), in that order; [] when it is complete."""
        return [part for part in self.REQUIRED_PARTS if not str(getattr(self, part)).strip()]


class OrderStatusChange(models.Model):
    """Audit trail: every status an order took, who moved it, and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_history")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    reason = models.CharField(max_length=32, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status or '-'} -> {self.to_status}"


class Shipment(TimeStampedModel):
    class Status(models.TextChoices):
        ORDER_PLACED = "ORDER_PLACED", "Order placed"
        PACKED = "PACKED", "Packed"
        SHIPPED = "SHIPPED", "Shipped"
        IN_TRANSIT = "IN_TRANSIT", "In transit"
        OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY", "Out for delivery"
        DELIVERED = "DELIVERED", "Delivered"
        EXCEPTION = "EXCEPTION", "Delivery problem"
        CANCELLED = "CANCELLED", "Cancelled"

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="shipment")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ORDER_PLACED)
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    tracking_url = models.URLField(max_length=500, blank=True)
    estimated_delivery_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Shipment of {self.order_id}: {self.status}"


class ShipmentEvent(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=20, choices=Shipment.Status.choices)
    message = models.CharField(max_length=255, blank=True)
    location = models.CharField(max_length=255, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.status} at {self.occurred_at:%Y-%m-%d %H:%M}"


class OrderNotification(EmailClaim):
    """One row per (order, kind) e-mail, written with the change that asks for it, claimed for the task queued
    after its commit, then marked sent, so a retried or duplicated task does not mail the customer twice and a
    claim whose task never ran (the broker down at commit) or died is taken over
    (``shop/orders/notifications.py``; the claim columns and their rules: ``shop/core/email_claims.py``)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "kind"], name="orders_notification_once")]
        # The sweep's question (unsent claims older than the lease), answered without reading the sent rows.
        indexes = [models.Index(fields=["claimed_at"], condition=models.Q(sent_at__isnull=True),
                                name="orders_notification_unsent")]

    def __str__(self) -> str:
        return f"{self.kind} email for order {self.order_id}"
