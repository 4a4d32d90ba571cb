"""Guest orders: checkout without an account, the order access token, and claiming guest orders.

Order access token
    ``order_access_token(order)`` signs ``{"o": order id, "k": order key}`` with ``django.core.signing``
    (HMAC-SHA256 keyed by SECRET_KEY, a salt of its own, a timestamp). A token opens exactly one order: the one it
    names *and* whose key is in the URL, only while that order has no user (a claimed order is reached by its
    account), and only for ``GUEST_ORDER_LINK_DAYS`` after it was issued. Signature checks are constant-time
    (``signing``), and so is the comparison of the signed key with the URL's. Every failure (malformed, tampered,
    expired, another order's, claimed order) is the same "not found": a guest route never answers 403, which
    would confirm that the order exists.

Claiming
    A logged-in user whose e-mail is verified takes over every guest order placed with that e-mail
    (``normalise_email``). An unverified address is refused (403 ``email_not_verified``, saying how to verify):
    anyone can type any e-mail at a guest checkout, so only a verified address proves the orders are theirs.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils.crypto import constant_time_compare

from shop.accounts.errors import AccountErrorCode
from shop.core.exceptions import ApplicationError
from shop.payments.models import Payment

from .actors import GuestBuyer, normalise_email
from .models import Order
from .services import order_place

TOKEN_SALT = "shop.orders.guest-order-access"
MAX_TOKEN_LENGTH = 512  # ours are ~90 characters: anything far longer is refused without being decoded
ORDER_TOKEN_HEADER = "X-Order-Token"
VERIFY_HINT = ("Verify your e-mail address first: POST /auth/verify-email/request/ sends a link and a code, "
               "POST /auth/verify-email/confirm/ takes either.")


def order_access_token(order: Order) -> str:
    """A signed, expiring token that opens ``order`` (and no other) on the guest routes."""
    return signing.dumps({"o": order.pk, "k": order.order_key}, salt=TOKEN_SALT, compress=False)


def order_access_link(order: Order, token: str | None = None) -> str:
    """The front-end link of the confirmation e-mail (``GUEST_ORDER_URL`` with the key and a token filled in)."""
    token = token or order_access_token(order)
    return settings.GUEST_ORDER_URL.format(order_key=order.order_key, token=token)


def order_access_expires_in() -> timedelta:
    return timedelta(days=settings.GUEST_ORDER_LINK_DAYS)


def order_access_token_order_id(*, order_key: str, token: str | None) -> int | None:
    """The id of the order ``token`` opens, if it was issued for the order ``order_key`` names and has not
    expired; None for anything else (no exception: every failure is the same "not found")."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=order_access_expires_in())
    except signing.BadSignature:  # tampered, malformed, or expired (SignatureExpired is a BadSignature)
        return None
    if not isinstance(data, dict) or not isinstance(data.get("o"), int) or not isinstance(data.get("k"), str):
        return None
    if not constant_time_compare(data["k"], order_key):
        return None
    return data["o"]


def order_guest_place(*, cart_token: str, email: str, shipping_address: dict, shipping_method_id: int | None = None,
                      payment_method: str | None = None, notes: str = "", expected_total: Decimal | None = None,
                      idempotency_key: str | None = None, return_url: str = "", base_url: str = ""):
    """A guest's checkout of the guest cart ``cart_token`` opens: ``order_place`` with no user.

    ``email`` (kept on the order, normalised) and ``shipping_address`` (an inline address: full name, line 1,
    city, country at least) are required. Everything else is the user's checkout: payment methods, the
    ``Idempotency-Key`` (scoped to the guest cart), stock taken by guarded updates, the payment deadline.
    Returns ``(order, created, payment)``. Raises ``NotFound`` for a wrong or expired cart token and whatever
    checkout raises (``cart_empty``, ``insufficient_stock``, ...).
    """
    email = normalise_email(email)
    if not email:
        raise ApplicationError("A guest checkout needs an e-mail address.", code="email_required",
                               extra={"errors": {"email": ["This field is required."]}})
    if not isinstance(shipping_address, dict) or not shipping_address.get("address_line_1"):
        raise ApplicationError("A guest checkout needs a shipping address.", code="address_required",
                               extra={"errors": {"shipping_address": ["This field is required."]}})
    return order_place(user=None, guest=GuestBuyer(cart_token=cart_token, email=email),
                       shipping_address=shipping_address, shipping_method_id=shipping_method_id,
                       payment_method=payment_method, notes=notes, expected_total=expected_total,
                       idempotency_key=idempotency_key, return_url=return_url, base_url=base_url)


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
