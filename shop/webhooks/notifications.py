from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail

from .models import WebhookEndpoint


def endpoint_disabled_mail(*, endpoint_id: int) -> int:
    """Tell every active staff member that an endpoint was turned off after repeated failures; answers how many
    addresses were written to (0 when the endpoint is gone or back on)."""
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=False).first()
    if endpoint is None:
        return 0
    staff = list(get_user_model().objects.filter(is_staff=True, is_active=True).exclude(email="")
                 .values_list("email", flat=True))
    if not staff:
        return 0
    send_mail(
        subject=f"[{settings.SHOP_NAME}] Webhook endpoint disabled: {endpoint.url}",
        message=(f"The webhook endpoint {endpoint.url} (#{endpoint.pk}) was turned off: "
                 f"{endpoint.disabled_reason}\n\nIts undelivered events wait for it. Check the receiver, look at "
                 "the delivery log (GET /webhook-deliveries/?endpoint=" f"{endpoint.pk} or the admin), then turn "
                 "it back on (PATCH /webhooks/" f"{endpoint.pk}/ with is_active true)."),
        from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=staff,
    )
    return len(staff)
