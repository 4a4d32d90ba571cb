from django.db.models import Prefetch, QuerySet

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def endpoint_list() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.order_by("id")


def endpoint_get(*, endpoint_id: int) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(pk=endpoint_id).first()


def delivery_list() -> QuerySet[WebhookDelivery]:
    """Deliveries newest first, each with its attempt log: two queries per page however many attempts."""
    return WebhookDelivery.objects.order_by("-id").prefetch_related(
        Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("number")))


def delivery_get(*, delivery_id: int) -> WebhookDelivery | None:
    return delivery_list().filter(pk=delivery_id).first()
