"""Guest buying where orders and payments meet: a guest's checkout (the order, then its payment) and claiming
guest orders (the orders and their payments move to the account). The order access token itself is the orders
app's (``shop.orders.guest``).

Claiming
    A logged-in user whose e-mail is verified takes over every guest order placed with that e-mail
    (``normalise_email``). An unverified address is refused (403 ``email_not_verified``, saying how to verify):
    anyone can type any e-mail at a guest checkout, so only a verified address proves the orders are theirs.
"""

from decimal import Decimal

from django.db import transaction

from shop.accounts.errors import AccountErrorCode
from shop.core.exceptions import ApplicationError
from shop.orders.actors import GuestBuyer, normalise_email
from shop.orders.errors import OrderErrorCode
from shop.orders.models import Order

from .checkout import order_place_and_pay
from .models import Payment

VERIFY_HINT = ("Verify your e-mail address first: POST /auth/verify-email/request/ sends a link and a code, "
               "POST /auth/verify-email/confirm/ takes either.")


def order_guest_place(*, cart_token: str, email: str, shipping_address: dict, shipping_method_id: int | None = None,
                      payment_method: str | None = None, notes: str = "", expected_total: Decimal | None = None,
                      idempotency_key: str | None = None, return_url: str = "", base_url: str = "",
                      voucher: str | None = None):
    """A guest's checkout of the guest cart ``cart_token`` opens: ``order_place_and_pay`` with no user.

    ``email`` (kept on the order, normalised) and ``shipping_address`` (an inline address: full name, line 1,
    city, country at least) are required. Everything else is the user's checkout: payment methods, the
    ``Idempotency-Key`` (scoped to the guest cart), stock taken by guarded updates, the payment deadline.
    ``voucher`` (else the guest cart's code) is priced in and its use reserved as at a user's checkout; its
    per-customer limit counts by the normalised ``email`` (``Order.email``), so a guest and an account with the
    same address share it. Returns ``(order, created, payment)`` (``shop.payments.checkout.order_place_and_pay``).
    Raises ``NotFound`` for a wrong or expired cart token and whatever checkout raises (``cart_empty``,
    ``insufficient_stock``, ``customer_limit_reached`` naming ``voucher``, ...).
    """
    email = normalise_email(email)
    if not email:
        raise ApplicationError("A guest checkout needs an e-mail address.", code=OrderErrorCode.EMAIL_REQUIRED,
                               extra={"errors": {"email": ["This field is required."]}})
    if not isinstance(shipping_address, dict) or not shipping_address.get("address_line_1"):
        raise ApplicationError("A guest checkout needs a shipping address.", code=OrderErrorCode.ADDRESS_REQUIRED,
                               extra={"errors": {"shipping_address": ["This field is required."]}})
    return order_place_and_pay(user=None, guest=GuestBuyer(cart_token=cart_token, email=email),
                       shipping_address=shipping_address, shipping_method_id=shipping_method_id,
                       payment_method=payment_method, notes=notes, expected_total=expected_total,
                       idempotency_key=idempotency_key, return_url=return_url, base_url=base_url,
                       voucher=voucher)


@transaction.atomic
def guest_orders_claim(*, user) -> list[Order]:
    """Give ``user`` every guest order placed with their (verified) e-mail; returns the orders claimed now.

    Raises ``ApplicationError`` 403 ``email_not_verified`` (saying how to verify) when the address is not
    verified. Each order moves by a guarded UPDATE (``user IS NULL``): two claims at once, or a claim racing a
    guest's cancel, move each order once. Its payments follow it. A claimed order's guest links stop working.
    """
    if not user.is_email_verified:
        raise ApplicationError(f"Your e-mail address is not verified. {VERIFY_HINT}",
                               code=AccountErrorCode.EMAIL_NOT_VERIFIED, status_code=403)
    email = normalise_email(user.email)
    candidates = list(Order.objects.filter(user__isnull=True, email=email).order_by("pk").values_list("pk", flat=True))
    claimed = []
    for order_id in candidates:
        if Order.objects.filter(pk=order_id, user__isnull=True, email=email).update(user=user):
            claimed.append(order_id)
    Payment.objects.filter(order_id__in=claimed, user__isnull=True).update(user=user)
    return list(Order.objects.filter(pk__in=claimed).order_by("-created_at", "-id"))
