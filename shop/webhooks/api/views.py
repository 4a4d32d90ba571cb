"""Staff API for outbound webhooks: endpoints (``/webhooks/``) and the delivery log (``/webhook-deliveries/``)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.core.exceptions import NotFound

from .. import selectors, services
from ..errors import WebhookErrorCode
from . import examples
from .filters import DeliveryFilter
from .serializers import DeliveryOutput, EndpointInput, EndpointOutput, EndpointWithSecretOutput

TAGS = ["events and webhooks (staff)"]


class EndpointListCreateApi(ListAPIView):
    permission_classes = (IsAdminUser,)
    serializer_class = EndpointOutput

    def get_queryset(self):
        return selectors.endpoint_list()

    @extend_schema(tags=TAGS, summary="Webhook endpoints (staff)", examples=[examples.ENDPOINT_PAGE_EXAMPLE])
    def get(self, request, *args, **kwargs):
        """Staff only. Every endpoint, with its failure count; secrets are never listed (only their last four
        characters)."""
        return super().get(request, *args, **kwargs)

    @extend_schema(request=EndpointInput, responses={201: EndpointWithSecretOutput}, tags=TAGS,
                   summary="Create a webhook endpoint (staff)",
                   examples=[examples.ENDPOINT_INPUT_EXAMPLE, examples.ENDPOINT_CREATED_EXAMPLE])
    def post(self, request):
        """Staff only. Events of the listed types committed from now on are POSTed to `url`, signed with the
        Standard Webhooks scheme (docs/WEBHOOKS.md). The answer carries the signing `secret`: the only time it
        is shown. A URL resolving to a loopback, private, link-local or metadata address is a 400
        `webhook_url_refused` naming `url`."""
        serializer = EndpointInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.endpoint_create(**serializer.validated_data)
        return Response(EndpointWithSecretOutput(endpoint).data, status=status.HTTP_201_CREATED)


class EndpointDetailApi(APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(responses={200: EndpointOutput}, tags=TAGS, summary="One webhook endpoint (staff)",
                   examples=[examples.ENDPOINT_EXAMPLE])
    def get(self, request, pk: int):
        """Staff only. The endpoint, without its secret."""
        endpoint = selectors.endpoint_get(endpoint_id=pk)
        if endpoint is None:
            raise NotFound("Webhook endpoint not found.", code=WebhookErrorCode.WEBHOOK_NOT_FOUND)
        return Response(EndpointOutput(endpoint).data)

    @extend_schema(request=EndpointInput(partial=True), responses={200: EndpointOutput}, tags=TAGS,
                   summary="Change a webhook endpoint (staff)", examples=[examples.ENDPOINT_EXAMPLE])
    def patch(self, request, pk: int):
        """Staff only. Any of `url` (checked as at creation), `events`, `is_active`, `description`. Turning a
        disabled endpoint back on clears its failure count; its waiting deliveries go out with the next sweep."""
        serializer = EndpointInput(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        endpoint = services.endpoint_update(endpoint_id=pk, data=serializer.validated_data)
        return Response(EndpointOutput(endpoint).data)

    @extend_schema(responses={204: None}, tags=TAGS, summary="Delete a webhook endpoint (staff)")
    def delete(self, request, pk: int):
        """Staff only. The endpoint and its delivery log are deleted; nothing more is sent to it."""
        services.endpoint_delete(endpoint_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointRotateSecretApi(APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(request=None, responses={200: EndpointWithSecretOutput}, tags=TAGS,
                   summary="Rotate a webhook endpoint's secret (staff)", examples=[examples.ENDPOINT_ROTATED_EXAMPLE])
    def post(self, request, pk: int):
        """Staff only. A new secret, answered this once. Until `rotation_overlap_until`
        (`WEBHOOK_SECRET_OVERLAP_HOURS`, 24 by default) every delivery carries two signatures, one per secret, so
        the receiver can switch to the new secret whenever it likes within that time."""
        endpoint = services.endpoint_rotate_secret(endpoint_id=pk)
        return Response(EndpointWithSecretOutput(endpoint).data)


class EndpointPingApi(APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(request=None, responses={200: DeliveryOutput}, tags=TAGS,
                   summary="Ping a webhook endpoint (staff)", examples=[examples.PING_EXAMPLE])
    def post(self, request, pk: int):
        """Staff only. Sends a signed `webhook.ping` now (one attempt, no retry, not counted as a failure) and
        answers its delivery with the receiver's answer: status, an excerpt, latency."""
        delivery = services.endpoint_ping(endpoint_id=pk)
        return Response(DeliveryOutput(selectors.delivery_get(delivery_id=delivery.pk)).data)


class DeliveryListApi(ListAPIView):
    permission_classes = (IsAdminUser,)
    serializer_class = DeliveryOutput
    filterset_class = DeliveryFilter

    def get_queryset(self):
        return selectors.delivery_list()

    @extend_schema(tags=TAGS, summary="Webhook delivery log (staff)", examples=[examples.DELIVERY_PAGE_EXAMPLE])
    def get(self, request, *args, **kwargs):
        """Staff only. Deliveries newest first, each with the body sent and every attempt: request headers,
        response status, an excerpt of the answer, latency, when the next attempt is due. Settled deliveries are
        kept `WEBHOOK_DELIVERY_RETENTION_DAYS` (30 by default)."""
        return super().get(request, *args, **kwargs)


class DeliveryDetailApi(APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(responses={200: DeliveryOutput}, tags=TAGS, summary="One webhook delivery (staff)",
                   examples=[examples.DELIVERY_EXAMPLE])
    def get(self, request, pk: int):
        """Staff only. The delivery with its attempts."""
        delivery = selectors.delivery_get(delivery_id=pk)
        if delivery is None:
            raise NotFound("Webhook delivery not found.", code=WebhookErrorCode.WEBHOOK_DELIVERY_NOT_FOUND)
        return Response(DeliveryOutput(delivery).data)


class DeliveryRedeliverApi(APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(request=None, responses={202: DeliveryOutput}, tags=TAGS,
                   summary="Redeliver a webhook (staff)", examples=[examples.REDELIVERY_EXAMPLE])
    def post(self, request, pk: int):
        """Staff only. Sends the same message again (same `webhook-id` and body, new timestamp and signatures) as
        a new delivery with its own attempts and retries. 409 `delivery_in_progress` while the original is still
        being attempted; a ping is not redelivered."""
        delivery = services.delivery_redeliver(delivery_id=pk)
        return Response(DeliveryOutput(selectors.delivery_get(delivery_id=delivery.pk)).data,
                        status=status.HTTP_202_ACCEPTED)
