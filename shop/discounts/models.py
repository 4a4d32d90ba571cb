"""Vouchers (codes a customer enters), promotions (automatic sales) and the redemption ledger.

A voucher's uses are counted on its own row (``times_used``), on the code's row and per customer e-mail, and each
count moves only by a guarded conditional ``UPDATE`` (``services.py``), the way stock moves: never read, then
written. The ledger (:class:`Redemption`) says which order holds a use and in which state (reserved at checkout,
consumed when paid, released when the order is cancelled or expires), one row per order.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from shop.core.models import TimeStampedModel, positive_amount_validator, shop_amount_validator
from shop.core.money import MONEY_COLUMN, money_text

MONEY = MONEY_COLUMN
CODE_MAX_LENGTH = 40


class DiscountKind(models.TextChoices):
    PERCENTAGE = "percentage", "Percentage off"
    FIXED = "fixed", "Fixed amount off"
    FREE_SHIPPING = "free_shipping", "Free shipping"


PROMOTION_KINDS = DiscountKind.choices[:2]  # a sale is a percentage or an amount off, never free shipping


class Voucher(TimeStampedModel):
    """The rules of a voucher; its codes are :class:`VoucherCode` rows (one or many, each case-insensitive).

    ``value``: percent (0 < value <= 100) for ``percentage``, an amount in the shop's currency for ``fixed``,
    unused for ``free_shipping`` (which always applies to shipping). ``scope`` says what it takes money off: the
    whole order, only the lines of the given products, variants or categories, or the shipping.
    ``min_spend`` is compared with the goods after sale prices; ``min_quantity`` with the units it applies to.
    Limits (``None``: unlimited): ``usage_limit`` over every code, ``code_usage_limit`` per code (1 for one-time
    codes), ``per_customer_limit`` per normalised e-mail. ``combines_with_promotions`` false: lines already on
    sale are left out of its base.
    """

    class Scope(models.TextChoices):
        ORDER = "order", "Whole order"
        PRODUCTS = "products", "Given products"
        VARIANTS = "variants", "Given variants"
        CATEGORIES = "categories", "Given categories"
        SHIPPING = "shipping", "Shipping"

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=DiscountKind.choices, default=DiscountKind.PERCENTAGE)
    value = models.DecimalField(**MONEY, default=Decimal("0.00"), validators=[MinValueValidator(Decimal("0.00"))])
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.ORDER)
    products = models.ManyToManyField("catalog.Product", blank=True, related_name="+")
    variants = models.ManyToManyField("catalog.ProductVariant", blank=True, related_name="+")
    categories = models.ManyToManyField("catalog.Category", blank=True, related_name="+")
    min_spend = models.DecimalField(**MONEY, null=True, blank=True,
                                    validators=[MinValueValidator(Decimal("0.00")), shop_amount_validator])
    min_quantity = models.PositiveIntegerField(null=True, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    usage_limit = models.PositiveIntegerField(null=True, blank=True)
    code_usage_limit = models.PositiveIntegerField(null=True, blank=True)
    per_customer_limit = models.PositiveIntegerField(null=True, blank=True)
    combines_with_promotions = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    # Uses held by orders (reserved or consumed, not released). Moved only by guarded UPDATEs (services.py).
    times_used = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(usage_limit__isnull=True) | Q(times_used__lte=F("usage_limit")),
                                   name="discounts_voucher_within_usage_limit"),
            models.CheckConstraint(condition=~Q(kind="percentage") | Q(value__gt=0, value__lte=100),
                                   name="discounts_voucher_percentage_range"),
            models.CheckConstraint(condition=~Q(kind="fixed") | Q(value__gt=0), name="discounts_voucher_fixed_gt_0"),
            models.CheckConstraint(condition=~Q(kind="free_shipping") | Q(scope="shipping"),
                                   name="discounts_voucher_free_shipping_scope"),
        ]

    def __str__(self) -> str:
        return self.name


class VoucherCode(models.Model):
    """One code of a voucher. Unique ignoring case (``Lower`` index); ``times_used`` counts this code's held
    uses (guarded by the voucher's ``code_usage_limit``)."""

    voucher = models.ForeignKey(Voucher, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(max_length=CODE_MAX_LENGTH)
    times_used = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(Lower("code"), name="discounts_voucher_code_ci_unique",
                                    violation_error_message="This code exists already (codes ignore case)."),
        ]

    def __str__(self) -> str:
        return self.code


class VoucherCustomer(models.Model):
    """Uses of a voucher held by one customer, by normalised e-mail (so accounts and guests count alike)."""

    voucher = models.ForeignKey(Voucher, on_delete=models.CASCADE, related_name="customers")
    email = models.CharField(max_length=254)
    times_used = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["voucher", "email"], name="discounts_voucher_customer_once")]

    def __str__(self) -> str:
        return f"{self.email}: {self.times_used}"


class Redemption(models.Model):
    """The ledger: an order holding (or having held) one use of a voucher. One row per order.

    ``reserved`` at checkout (the counters moved), ``consumed`` once the order is paid (or at checkout for cash on
    delivery), ``released`` when the order is cancelled or expires (the counters moved back, exactly once).
    ``amount`` is what the voucher took off the order.
    """

    class Status(models.TextChoices):
        RESERVED = "reserved", "Reserved"
        CONSUMED = "consumed", "Consumed"
        RELEASED = "released", "Released"

    HOLDING = (Status.RESERVED, Status.CONSUMED)

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="voucher_redemption")
    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="redemptions")
    code = models.ForeignKey(VoucherCode, on_delete=models.PROTECT, related_name="redemptions")
    email = models.CharField(max_length=254)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RESERVED)
    amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    reserved_at = models.DateTimeField()
    consumed_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-reserved_at", "-id"]
        indexes = [models.Index(fields=["voucher", "status"], name="discounts_redemption_state_idx")]

    def __str__(self) -> str:
        return f"{self.code} on order {self.order_id}: {self.status}"


class Promotion(TimeStampedModel):
    """An automatic sale: ``value`` percent or amount off each unit of the given products or of every product in
    the given categories, from ``starts_at`` until ``ends_at`` (``None``: open-ended). No code. When several
    promotions cover a unit, the one taking most off applies (they never stack)."""

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=PROMOTION_KINDS, default=DiscountKind.PERCENTAGE)
    value = models.DecimalField(**MONEY, validators=[positive_amount_validator])
    products = models.ManyToManyField("catalog.Product", blank=True, related_name="+")
    categories = models.ManyToManyField("catalog.Category", blank=True, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(kind="percentage") | Q(value__gt=0, value__lte=100),
                                   name="discounts_promotion_percentage_range"),
            models.CheckConstraint(condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                                   name="discounts_promotion_window"),
        ]
        indexes = [models.Index(fields=["is_active", "starts_at", "ends_at"], name="discounts_promotion_live_idx")]

    def __str__(self) -> str:
        return self.name


class OrderDiscount(models.Model):
    """What a voucher or a promotion took off one order (the usage report's amounts; the order answer's
    ``discounts``). ``target``: ``lines`` (sale prices, item vouchers), ``order`` or ``shipping``."""

    class Source(models.TextChoices):
        VOUCHER = "voucher", "Voucher"
        PROMOTION = "promotion", "Promotion"

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="discounts")
    source = models.CharField(max_length=10, choices=Source.choices)
    voucher = models.ForeignKey(Voucher, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    promotion = models.ForeignKey(Promotion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    code = models.CharField(max_length=CODE_MAX_LENGTH, blank=True)
    name = models.CharField(max_length=120)
    target = models.CharField(max_length=10)
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.00"))])

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name}: {money_text(self.amount, settings.SHOP_CURRENCY)}"  # no query for the order's
