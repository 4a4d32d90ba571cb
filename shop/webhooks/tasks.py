"""Thin Celery tasks: re-read by id, call a service, idempotent (services import this module at module level;
these import services inside the task)."""

from celery import shared_task

from shop.core.enqueue import enqueue


def queue_relay(event_id: int) -> None:
    """The outbox's after-commit listener: queue the event's relay (a broker that is down is logged, and the sweep
    relays the event once it is back)."""
    enqueue(relay_event, event_id)


@shared_task(ignore_result=True)
def relay_event(event_id: int) -> None:
    from .services import event_relay

    event_relay(event_id=event_id)


@shared_task(ignore_result=True)
def deliver(delivery_id: int) -> None:
    """One attempt of the delivery, then the same resource's next deliveries to that endpoint, in order, while
    they succeed (a loop, so a backlog of one resource does not become a chain of tasks)."""
    from .services import delivery_attempt

    next_id: int | None = delivery_id
    while next_id is not None:
        next_id = delivery_attempt(delivery_id=next_id)


@shared_task(ignore_result=True)
def sweep() -> None:
    import logging

    from .services import webhooks_sweep

    counts = webhooks_sweep()
    if any(counts.values()):
        logging.getLogger(__name__).info("webhooks sweep: %s", counts)


@shared_task(ignore_result=True)
def notify_endpoint_disabled(endpoint_id: int) -> None:
    from .notifications import endpoint_disabled_mail

    endpoint_disabled_mail(endpoint_id=endpoint_id)
