from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from shop.core.models import TimeStampedModel

CART_MAX_QUANTITY = 1000


class Cart(TimeStampedModel):
    """One per user, created on first use."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cart")
    # The voucher code the customer entered (``POST /cart/voucher/``), as the voucher spells it; checked again at
    # every cart answer and at checkout, which reserves its use (shop/discounts).
    voucher_code = models.CharField(max_length=40, blank=True, default="")

    def __str__(self) -> str:
        return f"Cart of {self.user_id}"


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
    price_snapshot = models.DecimalField(max_digits=12, decimal_places=2,
                                         validators=[MinValueValidator(Decimal("0.01"))])
    priced_at = models.DateTimeField(default=timezone.now)
    # The unit price before the line was last re-priced at a different price (adding more of it), so the cart can
    # tell the customer the price changed; null when the last re-pricing kept the price.
    price_changed_from = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

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
