from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, OpenApiTypes, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.core.exceptions import NotFound
from shop.core.links import public_base_url
from shop.payments import selectors, services
from shop.payments.methods import all_methods, enabled_methods
from shop.payments.models import Payment
from shop.payments.return_urls import return_url_check

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
    PaymentStartOutput,
    PaymentStatusOutput,
    RefundInput,
    SandboxCheckoutOutput,
    StatisticsOutput,
    SyncInput,
    WebhookOutput,
)

TAGS = ["payments"]


def _payment_or_404(request, payment_id: int) -> Payment:
    payment = selectors.payment_get(payment_id=payment_id, user=request.user)
    if payment is None:
        raise NotFound("Payment not found.")
    return payment


class PaymentListApi(ListAPIView):
    serializer_class = PaymentOutput
    filterset_class = PaymentFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Payment.objects.none()
        return selectors.payment_list(user=self.request.user)

    @extend_schema(tags=TAGS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class PaymentConfigApi(APIView):
    @extend_schema(tags=TAGS, responses={200: ConfigOutput})
    def get(self, request):
        return Response({"publishable_key": settings.STRIPE_PUBLISHABLE_KEY, "currency": settings.SHOP_CURRENCY})


class PaymentMethodListApi(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(tags=TAGS, responses={200: PaymentMethodOutput(many=True)}, summary="Payment methods offered",
                   description="The active methods, in the shop's order; the first is the default of a checkout "
                               "without `payment_method` (unless DEFAULT_PAYMENT_METHOD says otherwise).")
    def get(self, request):
        return Response(PaymentMethodOutput(enabled_methods(), many=True).data)


class PaymentMethodAdminListApi(APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(tags=TAGS, responses={200: PaymentMethodAdminOutput(many=True)},
                   summary="Every payment method with staff's settings (staff)")
    def get(self, request):
        return Response(PaymentMethodAdminOutput(all_methods(), many=True).data)


class PaymentMethodAdminDetailApi(APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(tags=TAGS, request=PaymentMethodUpdateInput, responses={200: PaymentMethodAdminOutput},
                   summary="Activate, deactivate or limit a payment method (staff)")
    def patch(self, request, method_id: int):
        serializer = PaymentMethodUpdateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.payment_method_setting_save(number=method_id, data=serializer.validated_data)
        return Response(PaymentMethodAdminOutput(next(m for m in all_methods() if m.number == method_id)).data)


def start_response_body(payment: Payment) -> dict:
    return {
        "payment": PaymentOutput(payment).data,
        "client_secret": payment.client_secret or None,
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY if payment.provider == "stripe" else None,
        "checkout_url": payment.checkout_url or None,
        "next_step": payment.checkout_url or None,
    }


class PaymentCreateIntentApi(APIView):
    @extend_schema(tags=TAGS, request=CreateIntentInput, responses={
        201: PaymentStartOutput,
        422: OpenApiResponse(description="`idempotency_key_reused`: the key was used for another order, method or "
                                         "currency; nothing was done."),
    })
    def post(self, request):
        serializer = CreateIntentInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        payment = services.payment_start(
            order_id=data["order_id"], user=request.user, method_id=data.get("payment_method", ""),
            currency=data.get("currency"), client_idempotency_key=data.get("idempotency_key", ""),
            return_url=return_url_check(data["return_url"], request=request), base_url=public_base_url(request),
        )
        payment = Payment.objects.select_related("order").get(pk=payment.pk)
        return Response(start_response_body(payment), status=201)


class PaymentDetailApi(APIView):
    @extend_schema(tags=TAGS, responses={200: PaymentOutput})
    def get(self, request, payment_id: int):
        return Response(PaymentOutput(_payment_or_404(request, payment_id)).data)


class PaymentStatusApi(APIView):
    @extend_schema(tags=TAGS, responses={200: PaymentStatusOutput})
    def get(self, request, payment_id: int):
        return Response(PaymentStatusOutput(_payment_or_404(request, payment_id)).data)


class PaymentForOrderApi(APIView):
    @extend_schema(tags=TAGS, responses={200: PaymentOutput})
    def get(self, request, order_id: int):
        payment = selectors.payment_for_order(order_id=order_id, user=request.user)
        if payment is None:
            raise NotFound("No payment found for this order.")
        return Response(PaymentOutput(payment).data)


class PaymentCancelApi(APIView):
    @extend_schema(tags=TAGS, request=PaymentIdInput, responses={200: MessagePaymentOutput},
                   summary="Cancel an open payment attempt (and its unpaid order)",
                   description="Closes a pending or processing attempt at the gateway and here. If the order was "
                               "never paid it is cancelled too (stock restored); a paid order goes on. Customers "
                               "cannot close an attempt once the order has shipped (400 `not_cancellable`). "
                               "Policy: docs/PAYMENTS.md, \"Who may cancel and refund\".")
    def post(self, request):
        serializer = PaymentIdInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        payment = services.payment_cancel(payment_id=serializer.validated_data["payment_id"], user=request.user)
        payment = Payment.objects.select_related("order").get(pk=payment.pk)
        return Response({"message": "Payment cancelled successfully.", "payment": PaymentOutput(payment).data})


class PaymentRefundApi(APIView):
    @extend_schema(tags=TAGS, request=RefundInput, responses={200: MessagePaymentOutput},
                   summary="Refund a payment (customers: in full, before shipping; staff: any amount)",
                   description="Without `amount` (or with all that is left) a full refund, which cancels an open "
                               "order and restores its stock once; staff may refund any amount at any time, and a "
                               "partial refund keeps the order paid. Customers: their own payment, in full, while "
                               "the order is pending or processing; another amount is 403 "
                               "`partial_refund_staff_only`, after shipping or on a cancelled order 400 "
                               "`not_cancellable` (as `POST /orders/{id}/cancel/` answers), and with "
                               "`PAYMENTS_CUSTOMER_REFUNDS=false` 403 `refund_staff_only`. Then the payment's own "
                               "checks: 400 `not_refundable`, `refund_exceeds_balance`, `refund_failed`. "
                               "Policy: docs/PAYMENTS.md, \"Who may cancel and refund\".")
    def post(self, request):
        serializer = RefundInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        payment = services.payment_refund(payment_id=data["payment_id"], user=request.user,
                                          amount=data.get("amount"), reason=data["reason"])
        payment = Payment.objects.select_related("order").get(pk=payment.pk)
        return Response({"message": "Payment refunded successfully.", "payment": PaymentOutput(payment).data})


class PaymentSyncApi(APIView):
    @extend_schema(tags=TAGS, request=SyncInput, responses={200: MessagePaymentOutput})
    def post(self, request):
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


class PaymentConfirmApi(PaymentSyncApi):
    """Seed 002's confirm: the card is confirmed in the browser (Stripe.js); this records the gateway's answer."""


class PaymentStatisticsApi(APIView):
    @extend_schema(tags=TAGS, responses={200: StatisticsOutput})
    def get(self, request):
        return Response(selectors.payment_statistics(user=request.user))


class PaymentCollectApi(APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(tags=TAGS, request=None, responses={200: MessagePaymentOutput})
    def post(self, request, payment_id: int):
        payment = services.payment_collect(payment_id=payment_id, user=request.user)
        payment = Payment.objects.select_related("order").get(pk=payment.pk)
        return Response({"message": "Payment collected.", "payment": PaymentOutput(payment).data})


class SandboxCheckoutApi(APIView):
    """The sandbox payment for scripts (Bearer): the payment and its two outcome endpoints. Browsers use the
    HTML page its ``checkout_url`` points at (``shop.payments.pages``)."""

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


class SandboxOutcomeApi(APIView):
    succeed = True

    @extend_schema(tags=TAGS, request=None, responses={200: MessagePaymentOutput})
    def post(self, request, payment_id: int):
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

    @extend_schema(tags=["webhooks"], request=OpenApiTypes.OBJECT, responses={200: WebhookOutput})
    def post(self, request):
        body = request.body  # the raw bytes the signature was computed over
        outcome = services.webhook_receive(provider_name=self.provider, body=body, headers=request.headers,
                                           query=request.query_params)
        return Response({"received": True, "outcome": outcome})

