"""Staff API for outbound webhooks: endpoints (``/webhooks/``) and the delivery log (``/webhook-deliveries/``)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.core.exceptions import NotFound
from shop.core.serializers import NoFieldsInput
from shop.core.views import NoStoreMixin

from .. import selectors, services
from ..errors import WebhookErrorCode
from . import examples
from .filters import DeliveryFilter
from .serializers import DeliveryOutput, EndpointInput, EndpointOutput, EndpointWithSecretOutput

TAGS = ["events and webhooks (staff)"]
ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)  # the path takes any text, answered 404
_ENDPOINT_MISSING = ("Webhook endpoint not found.", WebhookErrorCode.WEBHOOK_NOT_FOUND)
_DELIVERY_MISSING = ("Webhook delivery not found.", WebhookErrorCode.WEBHOOK_DELIVERY_NOT_FOUND)


def _pk(value: str, missing: tuple[str, WebhookErrorCode]) -> int:
    """The id in the path as a number; anything else (``abc``) is the same 404 as an id that does not exist, so
    every missing endpoint answers ``webhook_not_found`` (every missing delivery ``webhook_delivery_not_found``)
    instead of the router's generic ``not_found``."""
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise NotFound(missing[0], code=missing[1])
    return int(value)


class EndpointListCreateApi(NoStoreMixin, ListAPIView):
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


class EndpointDetailApi(NoStoreMixin, APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(parameters=[ID], responses={200: EndpointOutput}, tags=TAGS, summary="One webhook endpoint (staff)",
                   examples=[examples.ENDPOINT_EXAMPLE])
    def get(self, request, pk: str):
        """Staff only. The endpoint, without its secret."""
        endpoint = selectors.endpoint_get(endpoint_id=_pk(pk, _ENDPOINT_MISSING))
        if endpoint is None:
            raise NotFound(_ENDPOINT_MISSING[0], code=_ENDPOINT_MISSING[1])
        return Response(EndpointOutput(endpoint).data)

    @extend_schema(parameters=[ID], request=EndpointInput(partial=True), responses={200: EndpointOutput}, tags=TAGS,
                   summary="Change a webhook endpoint (staff)", examples=[examples.ENDPOINT_EXAMPLE])
    def patch(self, request, pk: str):
        """Staff only. Any of `url` (checked as at creation), `events`, `is_active`, `description`. Turning a
        disabled endpoint back on clears its failure count; its waiting deliveries go out with the next sweep."""
        serializer = EndpointInput(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        endpoint = services.endpoint_update(endpoint_id=_pk(pk, _ENDPOINT_MISSING), data=serializer.validated_data)
        return Response(EndpointOutput(endpoint).data)

    @extend_schema(parameters=[ID], responses={204: None}, tags=TAGS, summary="Delete a webhook endpoint (staff)")
    def delete(self, request, pk: str):
        """Staff only. The endpoint and its delivery log are deleted; nothing more is sent to it."""
        services.endpoint_delete(endpoint_id=_pk(pk, _ENDPOINT_MISSING))
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointRotateSecretApi(NoStoreMixin, APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(parameters=[ID], request=NoFieldsInput, responses={200: EndpointWithSecretOutput}, tags=TAGS,
                   summary="Rotate a webhook endpoint's secret (staff)", examples=[examples.ENDPOINT_ROTATED_EXAMPLE])
    def post(self, request, pk: str):
        """Staff only. A new secret, answered this once. Until `rotation_overlap_until`
        (`WEBHOOK_SECRET_OVERLAP_HOURS`, 24 by default) every delivery carries two signatures, one per secret, so
        the receiver can switch to the new secret whenever it likes within that time. At most two secrets sign:
        rotating again during an overlap keeps the secret being replaced (for a fresh overlap) and ends the older
        one at once."""
        NoFieldsInput(data=request.data).is_valid(raise_exception=True)
        endpoint = services.endpoint_rotate_secret(endpoint_id=_pk(pk, _ENDPOINT_MISSING))
        return Response(EndpointWithSecretOutput(endpoint).data)


class EndpointPingApi(NoStoreMixin, APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(parameters=[ID], request=NoFieldsInput, responses={200: DeliveryOutput}, tags=TAGS,
                   summary="Ping a webhook endpoint (staff)", examples=[examples.PING_EXAMPLE])
    def post(self, request, pk: str):
        """Staff only. Sends a signed `webhook.ping` now (one attempt, no retry, not counted as a failure) and
        answers its delivery with the receiver's answer: status, an excerpt, latency."""
        NoFieldsInput(data=request.data).is_valid(raise_exception=True)
        delivery = services.endpoint_ping(endpoint_id=_pk(pk, _ENDPOINT_MISSING))
        return Response(DeliveryOutput(selectors.delivery_get(delivery_id=delivery.pk)).data)


class DeliveryListApi(NoStoreMixin, ListAPIView):
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


class DeliveryDetailApi(NoStoreMixin, APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(parameters=[ID], responses={200: DeliveryOutput}, tags=TAGS, summary="One webhook delivery (staff)",
                   examples=[examples.DELIVERY_EXAMPLE])
    def get(self, request, pk: str):
        """Staff only. The delivery with its attempts."""
        delivery = selectors.delivery_get(delivery_id=_pk(pk, _DELIVERY_MISSING))
        if delivery is None:
            raise NotFound(_DELIVERY_MISSING[0], code=_DELIVERY_MISSING[1])
        return Response(DeliveryOutput(delivery).data)


class DeliveryRedeliverApi(NoStoreMixin, APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(parameters=[ID], request=NoFieldsInput, responses={202: DeliveryOutput}, tags=TAGS,
                   summary="Redeliver a webhook (staff)", examples=[examples.REDELIVERY_EXAMPLE])
    def post(self, request, pk: str):
        """Staff only. Sends the same message again (same `webhook-id` and body, new timestamp and signatures) as
        a new delivery with its own attempts and retries. A delivery still waiting for its next attempt (a retry's
        wait, a long `Retry-After`) is sent now instead, and answered itself (after anything earlier of its
        resource to that endpoint, and only while the endpoint is active). 409 `delivery_in_progress` while an
        attempt is in flight; a ping is not redelivered."""
        NoFieldsInput(data=request.data).is_valid(raise_exception=True)
        delivery = services.delivery_redeliver(delivery_id=_pk(pk, _DELIVERY_MISSING))
        return Response(DeliveryOutput(selectors.delivery_get(delivery_id=delivery.pk)).data,
                        status=status.HTTP_202_ACCEPTED)
