"""Business and task metrics for Prometheus, and the protected `/metrics` endpoint.

Services call the `record_*` functions; they never raise, so a metrics problem cannot fail a checkout.
Label values are free strings chosen by our code (never user input) to keep label cardinality bounded.
Every metric is documented in docs/OBSERVABILITY.md.
"""

import hmac
import logging

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_safe
from django_prometheus.exports import ExportToDjangoView
from prometheus_client import Counter

logger = logging.getLogger(__name__)

CHECKOUTS = Counter("shop_checkouts", "Checkout attempts by outcome.", ["outcome"])
PAYMENTS = Counter("shop_payments", "Payment results by provider and status.", ["provider", "status"])
WEBHOOKS = Counter("shop_webhooks", "Gateway webhooks received, by provider and outcome.", ["provider", "outcome"])
CELERY_TASKS = Counter("shop_celery_tasks", "Celery task completions by task name and state.", ["task", "state"])


def _inc(counter: Counter, **labels: str) -> None:
    try:
        counter.labels(**{name: str(value) for name, value in labels.items()}).inc()
    except Exception:  # observability must never break the request that is being observed
        logger.exception("metrics: could not record %s", counter._name)


def record_checkout(outcome: str) -> None:
    """`outcome`: e.g. `placed`, `out_of_stock`, `price_changed`, `invalid`, `error`."""
    _inc(CHECKOUTS, outcome=outcome)


def record_payment(provider: str, status: str) -> None:
    """`provider`: a payment method id (`stripe`, `paymob`, ...); `status`: e.g. `succeeded`, `failed`."""
    _inc(PAYMENTS, provider=provider, status=status)


def record_webhook(provider: str, outcome: str) -> None:
    """`outcome`: e.g. `processed`, `duplicate`, `ignored`, `bad_signature`, `error`."""
    _inc(WEBHOOKS, provider=provider, outcome=outcome)


def record_celery_task(task: str, state: str) -> None:
    """`state`: `success`, `failure` or `retry` (wired to Celery's signals in `shop.core.apps`)."""
    _inc(CELERY_TASKS, task=task, state=state)


@require_safe
def metrics_view(request):
    """Prometheus exposition, off unless `METRICS_ENABLED`; with `METRICS_TOKEN` it also needs that bearer token.

    Answers 404 when disabled so the endpoint's existence is not advertised.
    """
    if not settings.METRICS_ENABLED:
        raise Http404
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
            response = HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    return ExportToDjangoView(request)
