from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from shop.core.models import TimeStampedModel, positive_amount_validator
from shop.core.money import MONEY_COLUMN

CART_MAX_QUANTITY = 1000
# The most lines one order holds (docs/SECURITY.md, API4): a direct order's ``items`` and a cart alike, so that a
# cart can always be checked out (``too_many_lines``).
ORDER_MAX_LINES = 100


class Cart(TimeStampedModel):
    """A user's cart (one per user, created on first use) or a guest's (no user; reached by its cart token).

    A guest cart stores only the SHA-256 of its token (``token_hash``): the token itself (``shop.cart.guest``,
    256 random bits) is given to the client once and never kept, so a database read reveals no usable token.
    ``updated_at`` is bumped by every write, which is what makes a guest cart "abandoned" after
    ``GUEST_CART_DAYS``.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cart",
                                null=True, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    # The voucher code the customer entered (``POST /cart/voucher/``), as the voucher spells it; checked again at
    # every cart answer and at checkout, which reserves its use (shop/discounts).
    voucher_code = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        constraints = [
            # Exactly one owner: a user, or the holder of a guest token.
            models.CheckConstraint(
                condition=(models.Q(user__isnull=False, token_hash__isnull=True)
                           | models.Q(user__isnull=True, token_hash__isnull=False)),
                name="cart_user_xor_guest_token",
            ),
        ]
        indexes = [models.Index(fields=["updated_at"], condition=models.Q(user__isnull=True),
                                name="cart_guest_updated_idx")]

    def __str__(self) -> str:
        return f"Cart of {self.user_id}" if self.user_id else f"Guest cart {self.pk}"


class CartItem(TimeStampedModel):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    variant = models.ForeignKey("catalog.ProductVariant", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="+")
    quantity = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(CART_MAX_QUANTITY)]
    )
    # The unit price the customer saw when the line was (last) priced: checkout charges it while the hold lasts
    # (CART_PRICE_HOLD_MINUTES after ``priced_at``); after that, or when more of the line is added, the catalog's
    # price applies again (shop/cart/pricing.py).
    price_snapshot = models.DecimalField(**MONEY_COLUMN, validators=[positive_amount_validator])
    priced_at = models.DateTimeField(default=timezone.now)
    # The unit price before the line was last re-priced at a different price (adding more of it), so the cart can
    # tell the customer the price changed; null when the last re-pricing kept the price.
    price_changed_from = models.DecimalField(**MONEY_COLUMN, null=True, blank=True)
    # The unit price after sale when the line was (last) priced, i.e. what the customer saw each unit cost: sales
    # are not held (they apply as they stand at checkout), so the cart tells the customer when this moved
    # (``sale_changed``). Null for lines priced before it was kept: nothing to compare with.
    sale_price_seen = models.DecimalField(**MONEY_COLUMN, null=True, blank=True)

    class Meta:
        ordering = ["id"]
        # Two partial constraints instead of nulls_distinct=False, which SQLite and PostgreSQL < 15 lack.
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], condition=models.Q(variant__isnull=True),
                                    name="cart_item_unique_product"),
            models.UniqueConstraint(fields=["cart", "product", "variant"], condition=models.Q(variant__isnull=False),
                                    name="cart_item_unique_variant"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="cart_item_quantity_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}/{self.variant_id}"

    @property
    def item_total(self) -> Decimal:
        return self.price_snapshot * self.quantity
