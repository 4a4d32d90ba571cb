"""Seed the fuzz database: a customer, a staff user, a few orders and payments, a guest's cart and order; print
both users' JWTs and the guest's tokens as JSON.

Run through ``manage.py shell`` by ``run_schemathesis.py`` after ``migrate`` and ``seed_demo``.
"""

import json

from rest_framework_simplejwt.tokens import RefreshToken

from shop.accounts.models import User
from shop.cart.services import cart_item_add, guest_cart_create
from shop.catalog.models import Product
from shop.discounts.models import Promotion, Voucher, VoucherCode
from shop.orders.guest import order_access_token
from shop.orders.models import ShippingMethod
from shop.orders.services import LineRequest, order_create, order_set_status
from shop.payments.guest import order_guest_place
from shop.payments.services import payment_sandbox_outcome, payment_start

PASSWORD = "Fuzz-pass-123!"  # noqa: S105 - a throwaway database's password


def _user(email: str, **extra) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=PASSWORD, first_name="Fuzz", last_name="User", **extra)
    return user


customer = _user("fuzz-customer@example.com")
staff = _user("fuzz-staff@example.com", is_staff=True, is_superuser=True)
products = list(Product.objects.filter(is_active=True, variants__isnull=True).order_by("pk")[:4])
# Orders ship somewhere, by one of the demo's shipping methods (a checkout must name one while the shop offers any).
ADDRESS = {"full_name": "Fuzz Guest", "address_line_1": "1 Main St", "city": "Nairobi", "country": "KE"}
method = ShippingMethod.objects.filter(is_active=True).order_by("pk").first()
SHIPPING = {"shipping_address": ADDRESS, "shipping_method_id": method.pk if method else None}
for owner in (customer, staff):
    for index, product in enumerate(products):
        order, _ = order_create(user=owner, lines=[LineRequest(quantity=1, product_id=product.pk, variant_id=None)],
                                **SHIPPING)
        if index == 0:
            payment_start(order_id=order.pk, user=owner, method_id="sandbox")
        elif index == 1:
            payment_start(order_id=order.pk, user=owner, method_id="cod")
        elif index == 2:  # paid first: an order waiting for its online payment cannot ship
            paid = payment_start(order_id=order.pk, user=owner, method_id="sandbox")
            payment_sandbox_outcome(payment_id=paid.pk, user=owner, succeed=True)
            order_set_status(order_id=order.pk, status="shipped", by=staff)

# A voucher with a code and a running sale, so the discounts operations have something to read and change.
if not VoucherCode.objects.filter(code="FUZZ10").exists():
    voucher = Voucher.objects.create(name="Fuzz 10 %", kind="percentage", value=10, usage_limit=1000)
    VoucherCode.objects.create(voucher=voucher, code="FUZZ10")
    sale = Promotion.objects.create(name="Fuzz sale", kind="percentage", value=15,
                                    starts_at=voucher.created_at)
    sale.products.set(products[:2])

# A guest: one cart checked out (its order paid in the sandbox's way, left open), one cart still filling.
_, bought = guest_cart_create()
cart_item_add(cart_token=bought, product_id=products[0].pk, quantity=1)
guest_order, _, _ = order_guest_place(cart_token=bought, email="fuzz-guest@example.com", payment_method="sandbox",
                                      **SHIPPING)
_, filling = guest_cart_create()
cart_item_add(cart_token=filling, product_id=products[1].pk, quantity=1)

print("FUZZ-TOKENS " + json.dumps({
    "customer": str(RefreshToken.for_user(customer).access_token),
    "staff": str(RefreshToken.for_user(staff).access_token),
    "guest_order_key": guest_order.order_key,
    "guest_order_token": order_access_token(guest_order),
    "guest_cart_token": filling,
}))
