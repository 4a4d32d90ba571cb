"""Guest buying: checkout without an account, the guest order routes, and claiming guest orders.

The guest routes under ``/orders/guest/{order_key}/`` are authorised by the order access token alone (query
parameter ``token`` or header ``X-Order-Token``; the header keeps it out of logs and Referer headers). No valid
token is always the same 404 "Order not found." — never a 403, which would confirm the order exists.
"""

import hashlib

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from shop.accounts.throttling import IPScopedThrottle, throttles_for, user_throttles_for
from shop.cart.api.permissions import HasCartToken
from shop.cart.tokens import CART_TOKEN_HEADER, cart_token_of
from shop.core.exceptions import Conflict, NotFound
from shop.core.idempotency import idempotency_key_of
from shop.core.links import public_base_url
from shop.core.views import NoStoreMixin
from shop.orders import selectors, services
from shop.orders.actors import GuestAccess
from shop.orders.errors import OrderErrorCode
from shop.orders.guest import (
    ORDER_TOKEN_HEADER,
    order_access_expires_in,
    order_access_token,
    order_access_token_order_id,
)
from shop.orders.models import Order
from shop.payments import services as payment_services
from shop.payments.api.examples import PAYMENT_STATUS_EXAMPLES
from shop.payments.api.serializers import PaymentStartOutput, PaymentStatusOutput
from shop.payments.api.views import PAYMENT_START_UNAVAILABLE, start_response_body
from shop.payments.guest import guest_orders_claim, order_guest_place
from shop.payments.models import Payment
from shop.payments.return_urls import return_url_check

from .examples import (
    GUEST_CANCEL_EXAMPLES,
    GUEST_CHECKOUT_EXAMPLES,
    GUEST_ORDER_EXAMPLES,
    GUEST_PAY_EXAMPLES,
    ORDER_CLAIM_EXAMPLES,
)
from .serializers import (
    GuestCheckoutInput,
    GuestCheckoutOutput,
    GuestPayInput,
    OrderCancelInput,
    OrderClaimOutput,
    OrderOutput,
)
from .views import CHECKOUT_REFUSED, CHECKOUT_UNAVAILABLE, IDEMPOTENCY_KEY

TAGS = ["orders"]
NOT_FOUND = "Order not found."
ORDER_TOKEN_PARAMETERS = [
    OpenApiParameter("token", str, location=OpenApiParameter.QUERY, required=False,
                     description="The order access token (from the guest checkout answer or the confirmation "
                                 "e-mail's link). Or send it as the X-Order-Token header."),
    OpenApiParameter(ORDER_TOKEN_HEADER, str, location=OpenApiParameter.HEADER, required=False,
                     description="The order access token, as a header (preferred by scripts: it stays out of logs)."),
]
NO_VALID_TOKEN = OpenApiResponse(description="No valid access token for this order (missing, another order's, "
                                             "tampered, expired, or the order was claimed): always this 404.")


def _order_token_of(request) -> str | None:
    """The order access token a guest route received (``?token=``, else the ``X-Order-Token`` header)."""
    return request.query_params.get("token") or request.headers.get(ORDER_TOKEN_HEADER)


class OrderKeyThrottle(SimpleRateThrottle):
    """Per order named in the URL, counting only requests whose token does not open that order: a token-guessing
    run against one order is slowed from every IP at once, yet cannot lock the order's owner out.

    The order key is not a secret (it travels in ``return_url`` redirects), so a request carrying a token signed
    for this very order (checked without the database, ``order_access_token_order_id``) is neither refused nor
    counted here; only the per-IP limit (``GuestOrderIPThrottle``) applies to it. Only the server can sign such a
    token, so skipping the count for it gives a guesser nothing.
    """

    scope = "guest_order"

    def get_cache_key(self, request, view):
        key = str(view.kwargs.get("order_key", ""))
        if order_access_token_order_id(order_key=key, token=_order_token_of(request)) is not None:
            return None  # the owner's token: not a failed lookup, never throttled on this scope
        return self.cache_format % {"scope": f"{self.scope}-order",
                                    "ident": hashlib.sha256(key.encode()).hexdigest()}


class GuestOrderIPThrottle(IPScopedThrottle):
    scope = "guest_order"


class GuestOrderView(NoStoreMixin, APIView):
    """A route authorised by an order access token: no login, no cookies, no CSRF; throttled per IP and order."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (GuestOrderIPThrottle, OrderKeyThrottle)

    def guest_order(self, request, order_key: str) -> Order:
        order = selectors.guest_order_get(order_key=order_key, token=_order_token_of(request))
        if order is None:
            raise NotFound(NOT_FOUND)
        return order

    def guest_latest_payment(self, request, order_key: str) -> Payment:
        """The newest payment attempt of the token's order; 404 without a valid token, or with no attempt yet."""
        payment = selectors.guest_order_latest_payment(order=self.guest_order(request, order_key))
        if payment is None:
            raise NotFound("No payment found for this order.")
        return payment


def _guest_order_response(order_id: int) -> Response:
    order = selectors.order_queryset().get(pk=order_id)
    return Response(OrderOutput(order, context={"staff_view": False}).data)


def _signed_in(request) -> bool:
    """Whether ``request`` carries a valid login (the API's JWT header or cookie). The guest routes authenticate
    nobody, so a signed-in customer's guest checkout would place an order left off their account, against README's
    "a logged-in request always uses the account's own cart". An expired or garbage token, or a cookie refused for
    its CSRF token, is no login: such a client may buy as a guest."""
    for authentication in api_settings.DEFAULT_AUTHENTICATION_CLASSES:
        try:
            if authentication().authenticate(request):
                return True
        except APIException:
            continue
    return False


class GuestCheckoutApi(NoStoreMixin, APIView):
    authentication_classes = ()
    permission_classes = (HasCartToken,)
    throttle_classes = throttles_for("guest_checkout")  # per client IP and per e-mail in the body

    @extend_schema(
        request=GuestCheckoutInput,
        responses={201: GuestCheckoutOutput, 200: GuestCheckoutOutput, 400: CHECKOUT_REFUSED,
                   503: CHECKOUT_UNAVAILABLE},
        parameters=[
            OpenApiParameter(CART_TOKEN_HEADER, str, location=OpenApiParameter.HEADER, required=True,
                             description="The guest cart to check out (from `POST /cart/`)."),
            OpenApiParameter(IDEMPOTENCY_KEY.name, IDEMPOTENCY_KEY.type, location=OpenApiParameter.HEADER,
                             required=False, description="As for `POST /orders/checkout/` (at most 255 characters); "
                                                         "a guest's keys are scoped to the guest cart."),
        ],
        tags=TAGS, examples=GUEST_CHECKOUT_EXAMPLES, summary="Check out a guest cart (no account)",
        description="The guest cart named by `X-Cart-Token` becomes an order with no user that keeps `email`; "
                    "`shipping_address` is an inline address (full name, line 1, city and country required). "
                    "`shipping_method` is required while the shop offers any (400 `shipping_method_required`). "
                    "Payment methods, `next_step` / `client_secret`, `Idempotency-Key`, stock, taxes (by the "
                    "address) and the payment deadline work as for `POST /orders/checkout/`. The answer adds "
                    "`order_token`: it opens the order on `/orders/guest/{order_key}/` (read, pay, poll, cancel) until "
                    "`order_token_expires_at` (`GUEST_ORDER_LINK_DAYS`); the confirmation e-mail carries a link "
                    "with one. The cart's voucher (`POST /cart/voucher/` with the token) or `voucher` is priced in "
                    "and its use reserved; its per-customer limit counts by `email`; a total of 0 opens no payment "
                    "and places the order paid, as for `POST /orders/checkout/`. A wrong or expired cart token "
                    "is a 404; no token (no header, or a blank one) a 401 `not_authenticated`, as on the cart's "
                    "routes. Sent with a valid login (a JWT header or cookie): a 409 `guest_checkout_signed_in` "
                    "that places nothing (a customer checks out with `POST /orders/checkout/`). Limited per client "
                    "IP and per e-mail.",
    )
    def post(self, request):
        """Place a guest's order from their guest cart."""
        if _signed_in(request):
            raise Conflict("You are logged in: check out your account's cart with POST /orders/checkout/ (a guest "
                           "checkout would leave the order off your account), or log out to buy as a guest.",
                           code=OrderErrorCode.GUEST_CHECKOUT_SIGNED_IN)
        cart_token = cart_token_of(request)
        serializer = GuestCheckoutInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        key = idempotency_key_of(request)
        order, created, payment = order_guest_place(
            cart_token=cart_token, email=data["email"], shipping_address=dict(data["shipping_address"]),
            shipping_method_id=data.get("shipping_method"), payment_method=data.get("payment_method") or None,
            notes=data.get("notes", ""), expected_total=data.get("expected_total"), idempotency_key=key,
            return_url=return_url_check(data["return_url"], request=request), base_url=public_base_url(request),
            voucher=data.get("voucher") or None,
        )
        # A new order is answered from the rows the checkout wrote; a replayed one is read as it now stands.
        order = (selectors.order_of_checkout(order=order, payment=payment) if created
                 else selectors.order_get(order_id=order.pk))
        context = {"payment": payment, "order_token": order_access_token(order),
                   "order_token_expires_at": timezone.now() + order_access_expires_in()}
        return Response(GuestCheckoutOutput(order, context=context).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class GuestOrderApi(GuestOrderView):
    @extend_schema(responses={200: OrderOutput, 404: NO_VALID_TOKEN}, parameters=ORDER_TOKEN_PARAMETERS, tags=TAGS,
                   examples=GUEST_ORDER_EXAMPLES, summary="A guest's order, by its access token")
    def get(self, request, order_key: str):
        """The order as its owner sees `GET /orders/{id}/`: items, totals, address, status and history, payments
        and shipment. Poll it after the guest comes back from a payment page (`payment_status`, `is_fully_paid`).
        Without a valid token for this very order: 404."""
        order = self.guest_order(request, order_key)
        return Response(OrderOutput(order, context={"staff_view": False}).data)


class GuestOrderPayApi(GuestOrderView):
    @extend_schema(request=GuestPayInput,
                   responses={201: PaymentStartOutput, 404: NO_VALID_TOKEN, 503: PAYMENT_START_UNAVAILABLE},
                   parameters=ORDER_TOKEN_PARAMETERS, tags=TAGS, examples=GUEST_PAY_EXAMPLES,
                   summary="Start (or retry) paying a guest's order",
                   description="`POST /payments/create-intent/` for a guest: opens a payment for the order's unpaid "
                               "amount with `payment_method` (default: the order's own) and answers what to do next "
                               "(`next_step` for redirect providers and the sandbox, `client_secret` for Stripe.js). "
                               "An open attempt is answered again; a paid or cancelled order is refused.")
    def post(self, request, order_key: str):
        """Open a payment attempt on a guest order."""
        order = self.guest_order(request, order_key)
        serializer = GuestPayInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        client_key = data.get("idempotency_key", "")
        # The order was opened by its token: the service is asked on the order's behalf (no user to scope to),
        # and the client's key is scoped to this order.
        payment = payment_services.payment_start(
            order_id=order.pk, user=None, method_id=data.get("payment_method") or "",
            idempotency_key=f"guest-{order.pk}-{client_key}" if client_key else "",
            return_url=return_url_check(data["return_url"], request=request), base_url=public_base_url(request),
        )
        payment = Payment.objects.select_related("order").get(pk=payment.pk)
        return Response(start_response_body(payment), status=status.HTTP_201_CREATED)


class GuestOrderPaymentApi(GuestOrderView):
    @extend_schema(responses={200: PaymentStatusOutput, 404: NO_VALID_TOKEN}, parameters=ORDER_TOKEN_PARAMETERS,
                   tags=TAGS, examples=PAYMENT_STATUS_EXAMPLES,
                   summary="A guest order's latest payment status, for polling",
                   description="The newest attempt's status: `is_successful` turns true once the gateway confirmed "
                               "it (webhook or sync). 404 when no payment was opened yet.")
    def get(self, request, order_key: str):
        """Poll the payment of a guest order."""
        payment = self.guest_latest_payment(request, order_key)
        return Response(PaymentStatusOutput(payment).data)


class GuestOrderPaymentSyncApi(GuestOrderView):
    @extend_schema(request=None, responses={200: PaymentStatusOutput, 404: NO_VALID_TOKEN},
                   parameters=ORDER_TOKEN_PARAMETERS, tags=TAGS, examples=PAYMENT_STATUS_EXAMPLES,
                   summary="Re-read a guest order's payment from its gateway",
                   description="`POST /payments/sync-status/` (and `/payments/confirm/` after Stripe.js) for a guest: "
                               "asks the gateway for the newest attempt's true state and records it (the order is "
                               "marked paid on success), for when a webhook is late.")
    def post(self, request, order_key: str):
        """Sync the latest payment of a guest order with its gateway."""
        payment = self.guest_latest_payment(request, order_key)
        payment = payment_services.payment_sync(payment_id=payment.pk, user=None)
        return Response(PaymentStatusOutput(payment).data)


class GuestOrderCancelApi(GuestOrderView):
    @extend_schema(request=OrderCancelInput, responses={200: OrderOutput, 404: NO_VALID_TOKEN},
                   parameters=ORDER_TOKEN_PARAMETERS, tags=TAGS, examples=GUEST_CANCEL_EXAMPLES,
                   summary="Cancel a guest's unpaid order",
                   description="A customer's cancel (`POST /orders/{id}/cancel/`) for a guest: allowed while the "
                               "order is pending or processing and unpaid (stock restored, open payments "
                               "cancelled); a paid order is 400 `order_paid`, a shipped or cancelled one 400 "
                               "`not_cancellable`. An order with nothing to pay (total 0, paid as placed) can be "
                               "cancelled too: its refund is 0. Answers the cancelled order.")
    def post(self, request, order_key: str):
        """Cancel a guest order that was not paid (or had nothing to pay)."""
        order = self.guest_order(request, order_key)
        serializer = OrderCancelInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.order_cancel(order_id=order.pk, by=GuestAccess(order_id=order.pk),
                              note=serializer.validated_data["note"])
        return _guest_order_response(order.pk)


class OrderClaimApi(NoStoreMixin, APIView):
    throttle_classes = user_throttles_for("order_claim")  # per client IP and per user (= per verified e-mail)

    @extend_schema(request=None, responses={200: OrderClaimOutput}, tags=TAGS, examples=ORDER_CLAIM_EXAMPLES,
                   summary="Claim the guest orders placed with your verified e-mail",
                   description="Every guest order whose e-mail is yours (compared in lower case) becomes yours: it "
                               "appears in `GET /orders/`, its payments in `GET /payments/`, and its guest links stop "
                               "working. Only a verified address can claim (anyone may type any e-mail at a guest "
                               "checkout): unverified is 403 `email_not_verified`, saying how to verify. Claiming "
                               "again answers `claimed: 0`. Limited per client IP and per user.")
    def post(self, request):
        """Take over your guest orders."""
        orders = guest_orders_claim(user=request.user)
        full = list(selectors.order_queryset().filter(pk__in=[order.pk for order in orders])
                    .order_by("-created_at", "-id"))
        return Response({"claimed": len(full),
                         "orders": OrderOutput(full, many=True, context={"staff_view": False}).data})
