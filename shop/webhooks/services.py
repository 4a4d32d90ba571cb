"""Webhook endpoints and the delivery of committed events to them.

The flow: ``event_record`` (shop.events) commits an event; the listener this app registers queues
``relay_event`` (tasks.py), which runs ``event_relay``: render the resource once, create one delivery per
subscribed endpoint (active or not: an inactive one's wait for it), queue the active ones' first attempts.
``delivery_attempt`` sends one attempt (outside any transaction: no lock is held while a receiver thinks) and
records it; retries and anything a broker outage left behind are picked up by ``webhooks_sweep`` (Celery beat,
every ``WEBHOOK_SWEEP_SECONDS``).

Ordering: a delivery is claimed only when no earlier event (lower ``sequence``) of the same resource is still
unrelayed and no earlier delivery of it to the same endpoint is pending or in flight, by a guarded UPDATE, so
relays and workers running at once can never send a resource's events out of order, and a delivery that finally
failed no longer holds the ones after it (the receiver can reconcile with ``GET /events/``).
"""

import json
import logging
import random
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from shop.core.compiled import CompiledIdsQuery
from shop.core.exceptions import ApplicationError, NotFound
from shop.events.models import Event
from shop.events.services import event_store_object
from shop.events.types import STATUS_CHANGE_TYPES, EventType

from .errors import WebhookErrorCode
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .renderers import render
from .sender import SendResult, webhook_send
from .signing import secret_generate
from .ssrf import url_check
from .tasks import deliver, notify_endpoint_disabled, queue_on_commit

logger = logging.getLogger(__name__)

PING = "webhook.ping"
ALL_EVENTS = "*"
Status = WebhookDelivery.Status


# --- Endpoints -------------------------------------------------------------------------------------------------

def _check_events(events: list[str]) -> list[str]:
    """The list as stored: duplicates dropped in first-seen order, and ``["*"]`` alone when ``*`` is in it (all
    events: the others add nothing). Raises ``invalid_event_types`` (400 naming ``events``)."""
    unknown = [name for name in events if name != ALL_EVENTS and name not in EventType.values]
    if unknown or not events:
        message = (f"Unknown event types: {', '.join(unknown)}." if unknown else "Choose at least one event type.")
        raise ApplicationError(message, code=WebhookErrorCode.INVALID_EVENT_TYPES, extra={"errors": {"events": [
            f"{message} Valid: {ALL_EVENTS}, {', '.join(EventType.values)}."]}})
    return [ALL_EVENTS] if ALL_EVENTS in events else list(dict.fromkeys(events))


@transaction.atomic
def endpoint_create(*, url: str, events: list[str], is_active: bool = True, description: str = "") -> WebhookEndpoint:
    """A new endpoint with a fresh signing secret (answer it to the caller once; it is never shown again).

    Raises ``UnsafeURL`` (400 ``webhook_url_refused`` naming ``url``) for a URL resolving to a loopback (unless
    ``WEBHOOK_ALLOW_LOOPBACK``), private, link-local or metadata address, and ``invalid_event_types``."""
    url_check(url)
    endpoint = WebhookEndpoint(url=url, events=_check_events(events), is_active=is_active, description=description,
                               secret=secret_generate())
    endpoint.full_clean()
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_update(*, endpoint_id: int, data: dict[str, Any]) -> WebhookEndpoint:
    """Change ``url``, ``events``, ``is_active``, ``description``. A new URL is checked as at creation; turning a
    disabled endpoint back on clears its failure count, and its pending deliveries go out with the next sweep."""
    endpoint = _endpoint_lock(endpoint_id)
    if "url" in data and data["url"] != endpoint.url:
        url_check(data["url"])
        endpoint.url = data["url"]
    if "events" in data:
        endpoint.events = _check_events(data["events"])
    if "description" in data:
        endpoint.description = data["description"]
    if "is_active" in data:
        if data["is_active"] and not endpoint.is_active:
            endpoint.consecutive_failures = 0
            endpoint.disabled_reason = ""
        endpoint.is_active = data["is_active"]
    endpoint.full_clean()
    endpoint.save()
    return endpoint


def _endpoint_lock(endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound("Webhook endpoint not found.", code=WebhookErrorCode.WEBHOOK_NOT_FOUND)
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint_id: int) -> None:
    """Delete the endpoint with its delivery log."""
    _endpoint_lock(endpoint_id).delete()


@transaction.atomic
def endpoint_rotate_secret(*, endpoint_id: int, now: datetime | None = None) -> WebhookEndpoint:
    """A new secret (answered once); the current one keeps signing beside it for ``WEBHOOK_SECRET_OVERLAP_HOURS``
    (both signatures in ``webhook-signature``), so receivers switch without refusing a delivery.

    At most two secrets sign: the current one and the one it replaced. Rotating again during an overlap makes the
    current secret the previous one (with a fresh overlap) and ends the oldest at once: a receiver still holding
    that one refuses deliveries from then on."""
    endpoint = _endpoint_lock(endpoint_id)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = (now or timezone.now()) + timedelta(
        hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS)
    endpoint.secret = secret_generate()
    endpoint.save()
    return endpoint


def secrets_in_force(endpoint: WebhookEndpoint, now: datetime | None = None) -> list[str]:
    """The secrets that sign a delivery now: the current one, and the previous one during its overlap."""
    now = now or timezone.now()
    keep_previous = (endpoint.previous_secret and endpoint.previous_secret_expires_at
                     and endpoint.previous_secret_expires_at > now)
    return [endpoint.secret, endpoint.previous_secret] if keep_previous else [endpoint.secret]


def endpoint_ping(*, endpoint_id: int) -> WebhookDelivery:
    """Send a ``webhook.ping`` now (one attempt, no retry) and answer its delivery with the attempt recorded, so
    staff see at once whether the receiver answers and verifies. Works on an inactive endpoint too."""
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound("Webhook endpoint not found.", code=WebhookErrorCode.WEBHOOK_NOT_FOUND)
    now = timezone.now()
    message_id = f"msg_ping_{secret_generate()[6:22].replace('/', '_').replace('+', '-')}"
    body = json.dumps({"id": message_id, "type": PING, "timestamp": _iso(now),
                       "data": {"endpoint_id": endpoint.pk, "url": endpoint.url}}, separators=(",", ":"))
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, message_id=message_id, event_type=PING, body=body,
                                              status=Status.SENDING, claimed_at=now, next_attempt_at=now)
    _attempt_claimed(delivery.pk, count_failures=False)
    return WebhookDelivery.objects.get(pk=delivery.pk)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# --- Relay: events to deliveries ---------------------------------------------------------------------------------

def subscribed(endpoint: WebhookEndpoint, event_type: str) -> bool:
    """Whether ``endpoint`` wants ``event_type``: listed, ``*``, or any status change for ``order.status_changed``."""
    wanted = set(endpoint.events)
    return (ALL_EVENTS in wanted or event_type in wanted
            or (EventType.ORDER_STATUS_CHANGED in wanted and event_type in STATUS_CHANGE_TYPES))


def event_body(event: Event) -> str:
    """The exact text delivered for ``event``: the same object ``GET /events/`` lists for it."""
    from shop.events.api.serializers import EventOutput

    data: dict[str, Any] = dict(EventOutput(event).data)  # type: ignore[call-overload]
    return json.dumps(data, separators=(",", ":"), default=str)


# The relay's read of its event, compiled once: one per checkout in the worker (bench/README.md section 16).
_UNRELAYED = CompiledIdsQuery(Event, lambda ids: Event.objects.filter(pk__in=ids, relayed_at__isnull=True))


def event_relay(*, event_id: int) -> list[int]:
    """Render ``event``'s resource, create one delivery per subscribed endpoint and queue those of active
    endpoints; answers the new deliveries' ids. Idempotent: an event already relayed (by the on-commit task or the
    sweep) answers [].

    Every endpoint that existed when the event was recorded and subscribes to its type gets a delivery, active or
    not: an inactive endpoint's deliveries wait (pending) and go out in order once it is turned on. An endpoint
    created after the event was recorded gets none (it never receives the past)."""
    found = _UNRELAYED.instances([event_id])
    if not found:
        return []
    event = found[0]
    event.object = render(event.resource_type, event.resource_id)
    event.relayed_at = timezone.now()
    with transaction.atomic():
        if not event_store_object(event_id=event.pk, obj=event.object):
            return []
        endpoints = [endpoint for endpoint in WebhookEndpoint.objects.filter(created_at__lte=event.occurred_at)
                     if subscribed(endpoint, event.type)]
        body = event_body(event) if endpoints else ""  # a shop without endpoints is not made to encode it
        deliveries = WebhookDelivery.objects.bulk_create([
            WebhookDelivery(endpoint=endpoint, event=event, message_id=event.public_id, event_type=event.type,
                            resource_key=f"{event.resource_type}:{event.resource_id}", sequence=event.sequence,
                            body=body, next_attempt_at=event.relayed_at)
            for endpoint in endpoints
        ])
        active = {endpoint.pk for endpoint in endpoints if endpoint.is_active}
        for delivery in deliveries:
            if delivery.endpoint_id in active:
                queue_on_commit(deliver, delivery.pk)
    return [delivery.pk for delivery in deliveries]


# --- Attempts ----------------------------------------------------------------------------------------------------

def _earlier_unsettled():
    """Deliveries of the same resource to the same endpoint with a lower sequence, still pending or in flight."""
    return WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"), resource_key=OuterRef("resource_key"), sequence__lt=OuterRef("sequence"),
        status__in=(Status.PENDING, Status.SENDING),
    ).exclude(resource_key="")


def _earlier_unrelayed():
    """Committed events of the delivery's resource with a lower sequence that no relay has turned into deliveries
    yet: until one is relayed nobody knows whether this endpoint gets it, so the delivery waits for it. (A
    resource's events commit in sequence order, under its row lock, so every earlier one is visible here.)"""
    same_resource = Event.objects.filter(pk=OuterRef(OuterRef("event_id")), resource_type=OuterRef("resource_type"),
                                         resource_id=OuterRef("resource_id"))
    return Event.objects.filter(relayed_at__isnull=True, sequence__lt=OuterRef("sequence")).filter(
        Exists(same_resource))


def _sendable() -> Q:
    """A pending delivery may go now: its endpoint is active, and nothing earlier of its resource is unrelayed or
    unsettled there. Written as correlated subqueries, not joins, so a claiming UPDATE is one statement whose
    ``status = 'pending'`` PostgreSQL re-checks on the row after waiting for another claimer's lock."""
    return (Q(Exists(WebhookEndpoint.objects.filter(pk=OuterRef("endpoint_id"), is_active=True)))
            & ~Q(Exists(_earlier_unsettled())) & ~Q(Exists(_earlier_unrelayed())))


def _claim(delivery_id: int, now: datetime) -> bool:
    """Take a due delivery for one attempt (pending -> sending) unless an earlier event of its resource is
    unrelayed, or its delivery unsettled there (``_sendable``); a guarded UPDATE, so exactly one worker wins and
    order per resource holds across workers."""
    return bool(
        WebhookDelivery.objects.filter(pk=delivery_id, status=Status.PENDING, next_attempt_at__lte=now)
        .filter(_sendable())
        .update(status=Status.SENDING, claimed_at=now)
    )


def retry_delay(attempts_made: int, retry_after: float | None = None) -> float:
    """Seconds before the next attempt after ``attempts_made`` failed ones: ``WEBHOOK_RETRY_BASE_SECONDS`` x 4^(n-1),
    at most ``WEBHOOK_RETRY_MAX_SECONDS``, plus up to 25 % jitter; never sooner than a ``Retry-After`` asked.

    With the defaults (60 s, 12 h, 8 attempts) the seven waits are 1, 4, 16, 64 min, 4.3 h, 12 h, 12 h: at least
    29.7 hours from the first attempt to the last."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS * 4 ** (attempts_made - 1)
    delay = min(base, settings.WEBHOOK_RETRY_MAX_SECONDS) * (1 + random.uniform(0, 0.25))
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.WEBHOOK_RETRY_MAX_SECONDS))
    return delay


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> int | None:
    """Send one attempt of a due delivery, if it can be claimed (see ``_claim``), and record it. Answers the id of
    the next delivery of the same resource to the same endpoint when this one settled (succeeded or finally
    failed), so the caller sends it next; otherwise None."""
    if not _claim(delivery_id, now or timezone.now()):
        return None
    return _attempt_claimed(delivery_id)


def _attempt_claimed(delivery_id: int, *, count_failures: bool = True) -> int | None:
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    started = timezone.now()
    result = webhook_send(url=endpoint.url, message_id=delivery.message_id, body=delivery.body,
                          secrets_in_force=secrets_in_force(endpoint, started))
    return _record(delivery, result, started=started, count_failures=count_failures)


def _record(delivery: WebhookDelivery, result: SendResult, *, started: datetime, count_failures: bool) -> int | None:
    """Record the attempt, then (after that commit, so a delivery created meanwhile is seen) answer the next
    pending delivery of the same resource to the same endpoint when this one settled."""
    if not _record_attempt(delivery, result, started=started, count_failures=count_failures):
        return None
    return (WebhookDelivery.objects.filter(endpoint_id=delivery.endpoint_id, resource_key=delivery.resource_key,
                                           sequence__gt=delivery.sequence, status=Status.PENDING)
            .order_by("sequence", "id").values_list("pk", flat=True).first())


@transaction.atomic
def _record_attempt(delivery: WebhookDelivery, result: SendResult, *, started: datetime,
                    count_failures: bool) -> bool:
    """Write the attempt and the delivery's new state; True when it settled and may have a next one."""
    number = delivery.attempts + 1
    finished = timezone.now()
    retry = (not result.ok and result.retryable and delivery.event_type != PING
             and number < settings.WEBHOOK_MAX_ATTEMPTS)
    retry_at = finished + timedelta(seconds=retry_delay(number, result.retry_after)) if retry else None
    WebhookAttempt.objects.create(
        delivery=delivery, number=number, started_at=started, request_url=result.url,
        request_headers=result.headers, response_status=result.status, response_excerpt=result.excerpt,
        error=result.error, latency_ms=result.latency_ms, retry_at=retry_at,
    )
    status = Status.SUCCEEDED if result.ok else Status.PENDING if retry else Status.FAILED
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status, attempts=number, next_attempt_at=retry_at, claimed_at=None,
        last_response_status=result.status, last_error=result.error or (
            "" if result.ok else f"HTTP {result.status}" + ("" if retry or status == Status.SUCCEEDED else
                                                            " (not retried)")),
        updated_at=finished,
    )
    if result.ok:
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, consecutive_failures__gt=0).update(
            consecutive_failures=0)
    elif count_failures:
        _count_failure(delivery.endpoint_id)
    return status != Status.PENDING and bool(delivery.resource_key)


def _count_failure(endpoint_id: int) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(consecutive_failures=F("consecutive_failures") + 1)
    limit = settings.WEBHOOK_DISABLE_AFTER_FAILURES
    disabled = WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True, consecutive_failures__gte=limit).update(
        is_active=False, disabled_reason=f"Disabled after {limit} consecutive failed attempts.",
        updated_at=timezone.now())
    if disabled:
        queue_on_commit(notify_endpoint_disabled, endpoint_id)


@transaction.atomic
def delivery_redeliver(*, delivery_id: int) -> WebhookDelivery:
    """Queue the same message again (same ``webhook-id`` and body, fresh timestamp and signatures) as a new
    delivery with its own attempts; the original keeps its log.

    A delivery still waiting for its next attempt (pending: a retry's wait, a long ``Retry-After``) is not copied:
    its next attempt is made due now and queued, and it is answered itself (the order per resource still holds: it
    goes once nothing earlier of its resource is unsettled, and only to an active endpoint). Refused for a ping
    (``ping_not_redelivered``) and while an attempt is in flight (``delivery_in_progress``, 409)."""
    original = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
    if original is None:
        raise NotFound("Webhook delivery not found.", code=WebhookErrorCode.WEBHOOK_DELIVERY_NOT_FOUND)
    if original.event_type == PING:
        raise ApplicationError("A ping is not redelivered: send a new one.", code=WebhookErrorCode.PING_NOT_REDELIVERED)
    if original.status == Status.SENDING:
        raise ApplicationError("An attempt of this delivery is in flight.",
                               code=WebhookErrorCode.DELIVERY_IN_PROGRESS, status_code=409)
    now = timezone.now()
    if original.status == Status.PENDING:
        original.next_attempt_at = now
        original.save(update_fields=["next_attempt_at", "updated_at"])
        queue_on_commit(deliver, original.pk)
        return original
    copy = WebhookDelivery.objects.create(
        endpoint_id=original.endpoint_id, event_id=original.event_id, message_id=original.message_id,
        event_type=original.event_type, resource_key=original.resource_key, sequence=original.sequence,
        body=original.body, next_attempt_at=now, redelivery_of=original,
    )
    queue_on_commit(deliver, copy.pk)
    return copy


# --- The sweep ---------------------------------------------------------------------------------------------------

def webhooks_sweep(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """The periodic safety net: relay committed events no relay picked up (broker outage, crashed worker), put
    back attempts a dead worker left in flight, send every due delivery (retries), and delete settled deliveries
    older than ``WEBHOOK_DELIVERY_RETENTION_DAYS``. Answers counts of each, for the log."""
    from shop.events.selectors import events_unrelayed

    now = now or timezone.now()
    relayed = 0
    for event_id in events_unrelayed(limit=limit):
        event_relay(event_id=event_id)
        relayed += 1
    stuck_before = now - timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 3 + 60)
    reclaimed = WebhookDelivery.objects.filter(status=Status.SENDING, claimed_at__lt=stuck_before).exclude(
        event_type=PING).update(status=Status.PENDING, claimed_at=None, next_attempt_at=now)
    due = list(
        WebhookDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
        .filter(_sendable()).order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit]
    )
    for delivery_id in due:
        deliver.delay(delivery_id)
    pruned, _ = WebhookDelivery.objects.filter(
        Q(status__in=(Status.SUCCEEDED, Status.FAILED))
        & Q(updated_at__lt=now - timedelta(days=settings.WEBHOOK_DELIVERY_RETENTION_DAYS))
    ).delete()
    return {"relayed": relayed, "reclaimed": reclaimed, "due": len(due), "pruned": pruned}
