"""The demo shop's shipping methods, demo customer and the customer's orders, one in each state worth seeing.

Orders are placed, paid, shipped, delivered, cancelled and refunded through the same services the API runs
(checkout takes stock, the sandbox gateway takes the money), so every endpoint has real rows to show and none of
them is hand-made. Only what is missing is created; each demo order is found again by its idempotency key.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.test.utils import override_settings

from shop.accounts.models import Address, User
from shop.catalog.demo import demo_seed_record, demo_seeded
from shop.catalog.models import Product, ProductVariant
from shop.core.exceptions import ApplicationError
from shop.payments.checkout import order_place_and_pay
from shop.payments.methods import method_get
from shop.payments.services import payment_refund, payment_sandbox_outcome

from .models import Order, ShippingMethod
from .services import LineRequest, order_cancel, order_set_status, order_ship, shipment_event_add

DEMO_CUSTOMER_EMAIL = "demo@example.com"
DEMO_CUSTOMER_PASSWORD = "Demo-shopper-2026"  # noqa: S105 - printed by `make run`; a demo account on a dev machine

SHIPPING_METHODS = [
    ("Standard (3-5 days)", Decimal("4.99"), Decimal("50.00")),
    ("Express (next day)", Decimal("12.90"), None),
    ("Pick up in store", Decimal("0.00"), None),
]
ADDRESS = {"full_name": "Demo Customer", "phone": "+254712345678", "email": DEMO_CUSTOMER_EMAIL,
           "address_line_1": "14 Moi Avenue", "address_line_2": "Flat 3", "city": "Nairobi", "state": "",
           "postal_code": "00100", "country": "KE"}


@dataclass(frozen=True)
class DemoOrder:
    """One demo order: its key, the state it ends in, what it buys (product slug or variant SKU, quantity)."""

    key: str
    state: str
    method: str
    lines: tuple[tuple[str, int], ...]


DEMO_ORDERS = [
    DemoOrder("demo-paid", "paid, waiting to ship", "sandbox", (("wireless-headphones", 1),)),
    DemoOrder("demo-shipped", "shipped with tracking", "sandbox", (("mechanical-keyboard", 1), ("wireless-mouse", 1))),
    DemoOrder("demo-delivered", "delivered", "sandbox", (("e-reader", 1), ("RUNNING-SHOES-42", 1))),
    DemoOrder("demo-cancelled", "cancelled before payment", "sandbox", (("espresso-machine", 1),)),
    DemoOrder("demo-refunded", "paid, then refunded", "sandbox", (("smartwatch", 1),)),
    DemoOrder("demo-cod", "cash on delivery, awaiting payment", "cod", (("dune", 2), ("the-hobbit", 1))),
]


def demo_shipping_methods_seed(*, reset: bool = False) -> int:
    """Create the demo shipping methods that never existed (one staff deleted or turned off stays so);
    ``reset`` restores them all, active with their prices. Returns how many were created."""
    created = 0
    for name, price, free_over in SHIPPING_METHODS:
        defaults = {"price": price, "free_over": free_over, "is_active": True}
        record = f"shipping:{name}"
        if reset:
            _, made = ShippingMethod.objects.update_or_create(name=name, defaults=defaults)
        elif not ShippingMethod.objects.filter(name=name).exists() and not demo_seeded(record):
            ShippingMethod.objects.create(name=name, **defaults)
            made = True
        else:
            made = False
        if made or ShippingMethod.objects.filter(name=name).exists():
            demo_seed_record(record)
        created += made
    return created


def demo_customer_seed(*, reset: bool = False) -> tuple[User, bool]:
    """The demo customer (and an address book entry), created if missing; ``reset`` restores the password."""
    user = User.objects.filter(email=DEMO_CUSTOMER_EMAIL).first()
    created = user is None
    if created:
        user = User.objects.create_user(email=DEMO_CUSTOMER_EMAIL, password=DEMO_CUSTOMER_PASSWORD,
                                        first_name="Demo", last_name="Customer")
    elif reset:
        user.set_password(DEMO_CUSTOMER_PASSWORD)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
    if not Address.objects.filter(user=user).exists():
        Address.objects.create(user=user, is_default=True, **ADDRESS)
    return user, created


def _line(reference: str, quantity: int) -> LineRequest:
    variant = ProductVariant.objects.filter(sku=reference, is_deleted=False).first()
    if variant is not None:
        return LineRequest(quantity=quantity, product_id=variant.product_id, variant_id=variant.pk)
    return LineRequest(quantity=quantity, product_id=Product.objects.live().get(slug=reference).pk)


def _place(spec: DemoOrder, user: User, shipping: ShippingMethod | None) -> None:
    order, _, payment = order_place_and_pay(
        user=user, lines=[_line(*line) for line in spec.lines], payment_method=spec.method,
        shipping_address=dict(ADDRESS), shipping_method_id=shipping.pk if shipping else None,
        idempotency_key=spec.key, notes="Demo order",
    )
    if spec.key == "demo-cancelled":
        order_cancel(order_id=order.pk, by=user, owner=user, note="Changed my mind (demo)")
        return
    if spec.method == "sandbox":
        payment_sandbox_outcome(payment_id=payment.pk, user=user, succeed=True)
    if spec.key == "demo-refunded":
        payment_refund(payment_id=payment.pk, user=None, reason="requested_by_customer")
    if spec.key in ("demo-shipped", "demo-delivered"):
        order_ship(order_id=order.pk, by=None, carrier="DHL Express", tracking_number=f"JD0146{order.pk:08d}")
        shipment_event_add(order_id=order.pk, status="IN_TRANSIT", message="Left the sorting centre",
                           location="Nairobi")
    if spec.key == "demo-delivered":
        order_set_status(order_id=order.pk, status=Order.Status.DELIVERED, by=None, note="Signed for")


def demo_orders_seed(*, user: User) -> tuple[int, list[str]]:
    """Place the demo orders ``user`` does not have yet. Returns (how many were placed, what was skipped and why).

    An order needs its payment method enabled (``PAYMENT_METHODS``, and the sandbox outside production) and the
    stock to be there; otherwise it is skipped with a reason, never half-made. Order emails are not sent: the
    demo customer's address is not a mailbox.
    """
    shipping = ShippingMethod.objects.filter(name=SHIPPING_METHODS[0][0], is_active=True).first()
    placed, skipped = 0, []
    existing = set(Order.objects.filter(user=user).values_list("idempotency_key", flat=True))
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        for spec in DEMO_ORDERS:
            if spec.key in existing:
                continue
            if method_get(spec.method) is None:
                skipped.append(f"{spec.state}: the {spec.method} payment method is not enabled")
                continue
            try:
                _place(spec, user, shipping)
            except (ApplicationError, Product.DoesNotExist) as exc:  # e.g. staff sold the stock out
                skipped.append(f"{spec.state}: {getattr(exc, 'message', exc)}")
                continue
            placed += 1
    return placed, skipped


def demo_order_states(*, user: User) -> list[str]:
    """Where each of ``user``'s demo orders stands now, read from the database (staff may have moved them since
    they were seeded), e.g. ``"ORD-1A2B3C4D5E6F7A8B  shipped, paid (sandbox)"``; one never placed is not listed."""
    orders = Order.objects.filter(user=user, idempotency_key__in=[spec.key for spec in DEMO_ORDERS])
    by_key = {order.idempotency_key: order for order in orders}
    return [f"{order.order_key}  {order.get_status_display().lower()}, "
            f"{order.get_payment_status_display().lower()} ({order.payment_method})"
            for spec in DEMO_ORDERS if (order := by_key.get(spec.key)) is not None]
