from celery import shared_task

from . import guest


@shared_task
def guest_carts_delete_abandoned_task() -> int:
    """Celery beat runs this hourly (``CELERY_BEAT_SCHEDULE``): delete guest carts idle for ``GUEST_CART_DAYS``."""
    return guest.guest_carts_delete_abandoned()
