from django.db import models

from shop.core.models import TimeStampedModel
from shop.events.models import Event


class WebhookEndpoint(TimeStampedModel):
    """A receiver of the shop's events: a URL, the event types it wants, and its signing secret.

    ``secret`` signs every delivery (Standard Webhooks, ``whsec_<base64>``); it is answered once, when created or
    rotated. After a rotation ``previous_secret`` keeps signing too (a second signature in the same header) until
    ``previous_secret_expires_at``, so a receiver can switch without losing a delivery. ``consecutive_failures``
    counts failed attempts since the last success; reaching ``WEBHOOK_DISABLE_AFTER_FAILURES`` turns the endpoint
    off (``disabled_reason`` says why) and staff are e-mailed.
    """

    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list, help_text="Event types delivered here (see shop.events.types).")
    is_active = models.BooleanField(default=True)
    description = models.CharField(max_length=500, blank=True)
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(TimeStampedModel):
    """One event (or ping) to one endpoint: the exact body signed, its retries, and where it stands.

    ``message_id`` is the ``webhook-id`` header: the event's id, the same on every retry and redelivery, so a
    receiver dedupes on it. Deliveries of one resource to one endpoint go out in ``sequence`` order: a delivery
    waits while an earlier one of the same ``resource_key`` is still pending there.
    """

    class Status(models.TextChoices):
        PENDING = "pending"  # waiting for its first attempt or a retry (next_attempt_at)
        SENDING = "sending"  # an attempt is in flight (claimed_at)
        SUCCEEDED = "succeeded"
        FAILED = "failed"  # a 4xx that is not retried, or every attempt used

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    message_id = models.CharField(max_length=64)
    event_type = models.CharField(max_length=40)
    resource_key = models.CharField(max_length=60, blank=True, help_text="'order:7'; empty for a ping.")
    sequence = models.PositiveIntegerField(default=0)
    body = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    redelivery_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["endpoint", "resource_key", "sequence"], name="delivery_resource_order"),
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} {self.event_type} -> {self.endpoint_id}"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery, as sent and as answered: the delivery log."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    request_url = models.URLField(max_length=2000)
    request_headers = models.JSONField(default=dict)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True, help_text="The first 1000 characters of the answer.")
    error = models.CharField(max_length=500, blank=True, help_text="Why no answer was read (timeout, refused...).")
    latency_ms = models.PositiveIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True, help_text="When the next attempt is due, if any.")

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
