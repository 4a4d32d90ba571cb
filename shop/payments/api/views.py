from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, OpenApiTypes, extend_schema, extend_schema_view
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.core.exceptions import NotFound
from shop.core.links import public_base_url
from shop.core.serializers import NoFieldsInput
from shop.core.views import NoStoreMixin
from shop.payments import selectors, services
from shop.payments.methods import all_methods, enabled_methods
from shop.payments.models import Payment
from shop.payments.return_urls import return_url_check

from .examples import CREATE_INTENT_EXAMPLES, PAYMENT_READ_EXAMPLES, PAYMENT_STATUS_EXAMPLES, REFUND_EXAMPLES
from .filters import PaymentFilter
from .serializers import (
    ConfigOutput,
    CreateIntentInput,
    MessagePaymentOutput,
    PaymentIdInput,
    PaymentMethodAdminOutput,
    PaymentMethodOutput,
    PaymentMethodUpdateInput,
    PaymentOutput,
    PaymentReadOutput,
    PaymentStartOutput,
    PaymentStatusOutput,
    RefundInput,
    RefundOutput,
    RefundResultOutput,
    SandboxCheckoutOutput,
    StaffRefundInput,
    StatisticsOutput,
    SyncInput,
    WebhookOutput,
)

TAGS = ["payments"]

# What a 503 leaves, where that is not the shared "nothing changed" (shop.core.schema): a write that asked a gateway
# after committing something keeps that record of the attempt.
PAYMENT_START_UNAVAILABLE = OpenApiResponse(description=(
    "`gateway_unavailable` or `gateway_bad_response`: the gateway could not open the payment (down, timing out, or "
    "answering something unusable). The attempt stays recorded, `failed`, with the words the answer gives "
    "(`failure_message`, in the order's `payments`); nothing was charged and the order can still be paid: retry "
    "later. `provider_not_configured` (the method's gateway is not set up on this server), `busy` or "
    "`service_unavailable` (a row lock or the database): retry the same request."))
REFUND_UNAVAILABLE = OpenApiResponse(description=(
    "`gateway_unavailable`: the gateway could not be asked or did not answer. No refund was made, but it is "
    "recorded: a `failed` refund on the payment, with the gateway's words for staff, and a `refund.failed` event; "
    "the amount it reserved is released, so the payment and the order are as they were: retry later. "
    "`provider_not_configured`: nothing changed. `busy` or `service_unavailable` (a row lock or the database "
    "failed): before the gateway was asked nothing changed; after, the refund stays recorded `pending` with its "
    "amount reserved, so no retry can refund it twice (see the payment's `refunds` before retrying)."))
WEBHOOK_UNAVAILABLE = OpenApiResponse(description=(
    "The gateway is asked to send the event again (every gateway redelivers on a 5xx). "
    "`provider_not_configured`: this server cannot verify or act on this gateway's events yet, naming what to set; "
    "nothing is recorded. `gateway_unavailable` or `gateway_unconfirmed` (the payment could not be re-read from "
    "the gateway, or the gateway does not show what the event says yet), `busy` or `service_unavailable`: the "
    "event, once recorded, is kept unprocessed, so its redelivery is acted on rather than answered as a "
    "duplicate; nothing else changed."))


def _payment_or_404(request, payment_id: int) -> Payment:
    payment = selectors.payment_get(payment_id=payment_id, user=request.user)
    if payment is None:
        raise NotFound("Payment not found.")
    return payment


class PaymentListApi(NoStoreMixin, ListAPIView):
    serializer_class = PaymentReadOutput
    filterset_class = PaymentFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Payment.objects.none()
        return selectors.payment_list(user=self.request.user)

    @extend_schema(tags=TAGS)
    def get(self, request, *args, **kwargs):
        """Your payments.

        Every payment attempt on your orders, newest first, paginated, each with its `refunds`; `?status=` filters
        by status.
        """
        return super().get(request, *args, **kwargs)


class PaymentConfigApi(NoStoreMixin, APIView):
    @extend_schema(tags=TAGS, responses={200: ConfigOutput})
    def get(self, request):
        """Client-side payment settings.

        The Stripe publishable key (empty when Stripe is not configured) and the shop's currency, for a front end
        that confirms card payments with Stripe.js.
        """
        return Response({"publishable_key": settings.STRIPE_PUBLISHABLE_KEY, "currency": settings.SHOP_CURRENCY})


class PaymentMethodListApi(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(tags=TAGS, responses={200: PaymentMethodOutput(many=True)}, summary="Payment methods offered",
                   description="The active methods, in the shop's order; the first is the default of a checkout "
                               "without `payment_method` (unless DEFAULT_PAYMENT_METHOD says otherwise).")
    def get(self, request):
        """Payment methods offered at checkout.

        Public. In the shop's order; a gateway without keys is not offered. Pass a method's `id` as
        `payment_method` to checkout or to create-intent.
        """
        return Response(PaymentMethodOutput(enabled_methods(), many=True).data)


class PaymentMethodAdminListApi(NoStoreMixin, APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(tags=TAGS, responses={200: PaymentMethodAdminOutput(many=True)},
                   summary="Every payment method with staff's settings (staff)")
    def get(self, request):
        """Staff only: every method the shop knows, offered or not, with its limits and whether it is active."""
        return Response(PaymentMethodAdminOutput(all_methods(), many=True).data)


class PaymentMethodAdminDetailApi(NoStoreMixin, APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(tags=TAGS, request=PaymentMethodUpdateInput, responses={200: PaymentMethodAdminOutput},
                   summary="Activate, deactivate or limit a payment method (staff)")
    def patch(self, request, method_id: int):
        """Staff only. Send only the settings to change; checkout offers the method accordingly."""
        serializer = PaymentMethodUpdateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.payment_method_setting_save(number=method_id, data=serializer.validated_data)
        return Response(PaymentMethodAdminOutput(next(m for m in all_methods() if m.number == method_id)).data)


def start_response_body(payment: Payment) -> dict:
    """The answer of a payment start (``POST /payments/create-intent/``, a guest's ``.../pay/``): the attempt, and
    what the client does next with it. An attempt answered again by its idempotency key may no longer be open (it
    failed, or was cancelled): its page and secret are then no step to take, so they are null, as the order read's
    ``next_step`` is; ``payment`` still shows the attempt as it stands."""
    is_open = payment.is_pending
    page = payment.open_checkout_url
    return {
        "payment": PaymentOutput(payment).data,
        "client_secret": (payment.client_secret or None) if is_open else None,
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY if payment.provider == "stripe" else None,
        "checkout_url": page,
        "next_step": page,
    }


class PaymentCreateIntentApi(NoStoreMixin, APIView):
    @extend_schema(tags=TAGS, request=CreateIntentInput, responses={
        201: PaymentStartOutput,
        503: PAYMENT_START_UNAVAILABLE,
        422: OpenApiResponse(description="`idempotency_key_reused`: the key was used for another order, method or "
                                         "currency; nothing was done."),
    }, examples=CREATE_INTENT_EXAMPLES)
    def post(self, request):
        """Start (or retry) the payment of one of your orders.

        Opens a payment with the chosen method for the order's unpaid amount. The answer says what the client
        does next: send the customer to `next_step` (redirect providers and the sandbox), or confirm the card in
        the browser with `client_secret` and `publishable_key` (Stripe). An order that is already paid or
        cancelled is refused with a message saying so.
        """
        serializer = CreateIntentInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        payment = services.payment_start(
            order_id=data["order_id"], user=request.user, method_id=data.get("payment_method") or "",
            currency=data.get("currency"), client_idempotency_key=data.get("idempotency_key", ""),
            return_url=return_url_check(data["return_url"], request=request), base_url=public_base_url(request),
        )
        payment = Payment.objects.select_related("order").get(pk=payment.pk)
        return Response(start_response_body(payment), status=201)


class PaymentDetailApi(NoStoreMixin, APIView):
    @extend_schema(tags=TAGS, responses={200: PaymentReadOutput}, examples=PAYMENT_READ_EXAMPLES)
    def get(self, request, payment_id: int):
        """One of your payments.

        The attempt with its method, amount, currency, status and `refunds` (newest first: amount, status, tax,
        tax lines, and per order line and shipping what each gave back). Another user's payment answers 404.
        """
        return Response(PaymentReadOutput(_payment_or_404(request, payment_id)).data)


class PaymentStatusApi(NoStoreMixin, APIView):
    @extend_schema(tags=TAGS, responses={200: PaymentStatusOutput}, examples=PAYMENT_STATUS_EXAMPLES)
    def get(self, request, payment_id: int):
        """A payment's status, for polling.

        Poll this after the customer returns from the payment page: `is_successful` turns true once the gateway
        confirmed the payment (by webhook or a status sync).
        """
        return Response(PaymentStatusOutput(_payment_or_404(request, payment_id)).data)


class PaymentForOrderApi(NoStoreMixin, APIView):
    @extend_schema(tags=TAGS, responses={200: PaymentReadOutput}, examples=PAYMENT_READ_EXAMPLES)
    def get(self, request, order_id: int):
        """The latest payment of one of your orders.

        The order's most recent attempt, with its `refunds` as `GET /payments/{id}/` answers them; 404 when it
        has none.
        """
        payment = selectors.payment_for_order(order_id=order_id, user=request.user)
        if payment is None:
            raise NotFound("No payment found for this order.")
        return Response(PaymentReadOutput(payment).data)


class PaymentCancelApi(NoStoreMixin, APIView):
    @extend_schema(tags=TAGS, request=PaymentIdInput, responses={200: MessagePaymentOutput},
                   summary="Cancel an open payment attempt (and its unpaid order)",
                   description="Closes a pending or processing attempt at the gateway and here. If the order was "
                               "never paid it is cancelled too (stock restored); a paid order goes on. Customers "
                               "cannot close an attempt once the order has shipped (400 `not_cancellable`). A payment "
                               "that is no longer open (succeeded, failed, cancelled, refunded) is 400 "
                               "`payment_not_cancellable`. Policy: docs/PAYMENTS.md, \"Who may cancel and refund\".")
    def post(self, request):
        """Cancel an open payment, and its order.

        Cancels the payment at the gateway, then the order, putting its stock back. A payment that already
        succeeded cannot be cancelled (ask for a refund).
        """
        serializer = PaymentIdInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        payment = services.payment_cancel(payment_id=serializer.validated_data["payment_id"], user=request.user)
        payment = Payment.objects.select_related("order").get(pk=payment.pk)
        return Response({"message": "Payment cancelled successfully.", "payment": PaymentOutput(payment).data})


class PaymentRefundApi(NoStoreMixin, APIView):
    @extend_schema(tags=TAGS, request=RefundInput, responses={200: RefundResultOutput, 503: REFUND_UNAVAILABLE},
                   examples=REFUND_EXAMPLES,
                   summary="Refund a payment (customers: in full, before shipping; staff: any amount or lines)",
                   description="Without `amount` (or with all that is left) a full refund, which cancels an open "
                               "order and restores its stock once; staff may refund any amount at any time, and a "
                               "partial refund keeps the order paid. Customers: their own payment, in full, while "
                               "the order is pending or processing; another amount is 403 "
                               "`partial_refund_staff_only`, after shipping or on a cancelled order 400 "
                               "`not_cancellable` with or without an amount (as `POST /orders/{id}/cancel/` "
                               "answers), and with "
                               "`PAYMENTS_CUSTOMER_REFUNDS=false` 403 `refund_staff_only`. Then the payment's own "
                               "checks: 400 `not_refundable`, `refund_exceeds_balance`, `refund_failed`. "
                               "Staff may refund by line instead of an amount: `lines` "
                               "(`[{order_item_id, quantity}]`, quantity omitted = all that is left) and/or "
                               "`shipping: true` refund exactly what those lines and shipping cost, tax included "
                               "(400 naming `lines`: `refund_line_unknown`, `refund_exceeds_line`, "
                               "`nothing_to_refund`). Sending `lines` or `shipping` at all makes it a refund by "
                               "line: `\"lines\": []` or `\"shipping\": false` alone refund nothing (400 "
                               "`nothing_to_refund`), never everything. The answer's `refund` is the refund this "
                               "request made, with its `tax`, `tax_lines` and `lines`. "
                               "Policy: docs/PAYMENTS.md, \"Who may cancel and refund\".")
    def post(self, request):
        """Refund a successful payment, fully or in part.

        Without `amount` the rest of the payment is refunded. The amount is reserved, then the gateway asked: a
        refund it refuses (400 `gateway_rejected`, `refund_failed`) or cannot be asked for (503) is recorded as a
        `failed` refund (staff read the gateway's words; a `refund.failed` event) and the amount released, the
        payment and the order as they were.
        """
        serializer = (StaffRefundInput if request.user.is_staff else RefundInput)(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        created = services.payment_refund(payment_id=data["payment_id"], user=request.user,
                                          amount=data.get("amount"), reason=data["reason"],
                                          lines=data.get("lines"), shipping=data.get("shipping"))
        # The refund this request created, by its id: never the payment's newest, which under concurrent refunds
        # may be someone else's.
        refund = selectors.refund_get(refund_id=created.pk)
        return Response({"message": "Payment refunded successfully.", "payment": PaymentOutput(refund.payment).data,
                         "refund": RefundOutput(refund).data})


class PaymentSyncApi(NoStoreMixin, APIView):
    @extend_schema(tags=TAGS, request=SyncInput, responses={200: MessagePaymentOutput})
    def post(self, request):
        """Re-read a payment's status from its gateway.

        For when a webhook is late: asks the gateway for the payment's real state and records it (order marked
        paid on success). Identify the payment by `payment_id` or the gateway's `payment_intent_id`.
        """
        serializer = SyncInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        payment_id = data.get("payment_id")
        if not payment_id:
            found = selectors.payment_list(user=request.user).filter(
                provider_payment_id=data["payment_intent_id"]).values_list("pk", flat=True).first()
            if found is None:
                raise NotFound("Payment not found.")
            payment_id = found
        payment = services.payment_sync(payment_id=payment_id, user=request.user)
        payment = Payment.objects.select_related("order").get(pk=payment.pk)
        return Response({"message": "Payment status synced.", "payment": PaymentOutput(payment).data})


@extend_schema_view(post=extend_schema(
    summary="Record a payment confirmed in the browser",
    description="After Stripe.js confirmed the card, call this so the order is updated without waiting for the "
                "webhook. The gateway's own state is read and recorded, as `POST /payments/sync-status/` does.",
))
class PaymentConfirmApi(PaymentSyncApi):
    """The card is confirmed in the browser (Stripe.js); this records the gateway's answer, as sync-status does."""


class PaymentStatisticsApi(NoStoreMixin, APIView):
    @extend_schema(tags=TAGS, responses={200: StatisticsOutput})
    def get(self, request):
        """Your payment totals.

        How many of your payments are in each status, and the total spent net of refunds.
        """
        return Response(StatisticsOutput(selectors.payment_statistics(user=request.user)).data)


class PaymentCollectApi(NoStoreMixin, APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(tags=TAGS, request=NoFieldsInput, responses={200: MessagePaymentOutput})
    def post(self, request, payment_id: int):
        """Mark a cash-on-delivery payment collected (staff).

        Staff only: the cash was handed over on delivery; the payment succeeds and the order becomes paid. It
        takes no body: the payment's whole amount is collected, and a field sent (an `amount`) is a 400 naming it.
        """
        NoFieldsInput(data=request.data).is_valid(raise_exception=True)
        payment = services.payment_collect(payment_id=payment_id, user=request.user)
        payment = Payment.objects.select_related("order").get(pk=payment.pk)
        return Response({"message": "Payment collected.", "payment": PaymentOutput(payment).data})


class SandboxCheckoutApi(NoStoreMixin, APIView):
    """The sandbox payment, for scripts.

    The sandbox's stand-in for a gateway's payment page, answered as JSON to a Bearer-authenticated script: the
    payment and the URLs that make it succeed or fail. Browsers go to the HTML page its `checkout_url` points at.
    The sandbox needs no keys and is off in production settings.
    """

    @extend_schema(tags=TAGS, responses={200: SandboxCheckoutOutput})
    def get(self, request, payment_id: int):
        if not settings.PAYMENTS_SANDBOX_ENABLED:
            raise NotFound("The sandbox provider is disabled.")
        payment = _payment_or_404(request, payment_id)
        if payment.provider != "sandbox":
            raise NotFound("Payment not found.")
        base = f"{public_base_url(request)}/payments/sandbox/{payment.pk}"
        return Response({"payment": PaymentOutput(payment).data, "succeed_url": f"{base}/succeed/",
                         "fail_url": f"{base}/fail/"})


class SandboxOutcomeApi(NoStoreMixin, APIView):
    succeed = True

    @extend_schema(tags=TAGS, request=None, responses={200: MessagePaymentOutput})
    def post(self, request, payment_id: int):
        """Finish a sandbox payment: `succeed/` pays it, `fail/` fails it.

        Runs the same path a verified gateway webhook runs, so the order becomes paid (or stays unpaid) exactly as
        with a real gateway. Only where the sandbox is enabled.
        """
        if not settings.PAYMENTS_SANDBOX_ENABLED:
            raise NotFound("The sandbox provider is disabled.")
        services.payment_sandbox_outcome(payment_id=payment_id, user=request.user, succeed=self.succeed)
        payment = Payment.objects.select_related("order").get(pk=payment_id)
        return Response({"message": f"Sandbox payment {payment.status}.", "payment": PaymentOutput(payment).data})


class WebhookApi(APIView):
    """Server-to-server: authenticated by the gateway's signature / HMAC / challenge, never by a user."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()
    parser_classes = ()  # the signature covers the raw body: read request.body, never let DRF parse it first
    provider = "stripe"

    # The body's media type named: with no parsers (above) spectacular would otherwise publish no body at all.
    @extend_schema(tags=["webhooks"], request={"application/json": OpenApiTypes.OBJECT},
                   responses={200: WebhookOutput, 503: WEBHOOK_UNAVAILABLE})
    def post(self, request):
        """Receive a payment gateway's event (server to server).

        Called by the gateway, never by a front end: Stripe at `/payments/webhook/` (also `/payments/webhooks/stripe/`),
        Paymob and IntaSend at their own paths. Verified by the gateway's signature, HMAC or challenge, deduplicated
        by event id, and acted on only after re-reading the payment's state from the gateway. A gateway this shop
        does not offer is 400 `method_unavailable`, as any request naming a method it does not offer (nothing it
        sends can be acted on here); a bad signature 400 `invalid_signature`.
        """
        body = request.body  # the raw bytes the signature was computed over
        outcome = services.webhook_receive(provider_name=self.provider, body=body, headers=request.headers,
                                           query=request.query_params)
        return Response({"received": True, "outcome": outcome})

