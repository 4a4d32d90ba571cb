from celery import shared_task


@shared_task
def guest_carts_delete_abandoned_task() -> int:
    """Celery beat runs this hourly (``CELERY_BEAT_SCHEDULE``): delete guest carts idle for ``GUEST_CART_DAYS``."""
    from .guest import guest_carts_delete_abandoned  # tasks import services inside the task (AGENTS.md)

    return guest_carts_delete_abandoned()
