"""Business and Celery counters (shop/core/metrics.py) and the protected /metrics endpoint."""

import pytest
from prometheus_client import REGISTRY

from config.celery import app as celery_app
from shop.core.metrics import record_checkout, record_payment, record_webhook


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_record_checkout_counts_by_outcome():
    placed, out_of_stock = value("shop_checkouts_total", outcome="placed"), value(
        "shop_checkouts_total", outcome="out_of_stock"
    )
    record_checkout("placed")
    record_checkout("placed")
    record_checkout("out_of_stock")
    assert value("shop_checkouts_total", outcome="placed") == placed + 2
    assert value("shop_checkouts_total", outcome="out_of_stock") == out_of_stock + 1


def test_record_payment_counts_by_provider_and_status():
    before = value("shop_payments_total", provider="stripe", status="succeeded")
    record_payment("stripe", "succeeded")
    assert value("shop_payments_total", provider="stripe", status="succeeded") == before + 1
    assert value("shop_payments_total", provider="stripe", status="no-such-status") == 0


def test_record_webhook_counts_by_provider_and_outcome():
    before = value("shop_webhooks_total", provider="paymob", outcome="bad_signature")
    record_webhook("paymob", "bad_signature")
    assert value("shop_webhooks_total", provider="paymob", outcome="bad_signature") == before + 1


@celery_app.task(name="tests.deploy.succeeds")
def succeeds():
    return "ok"


@celery_app.task(name="tests.deploy.fails")
def fails():
    raise ValueError("boom")


@celery_app.task(bind=True, name="tests.deploy.retries_once", max_retries=1, default_retry_delay=0)
def retries_once(self):
    if self.request.retries == 0:
        raise self.retry(exc=OSError("try again"))
    return "ok"


def test_celery_task_outcomes_are_counted_from_signals():
    ok, failed = value("shop_celery_tasks_total", task="tests.deploy.succeeds", state="success"), value(
        "shop_celery_tasks_total", task="tests.deploy.fails", state="failure"
    )
    retried = value("shop_celery_tasks_total", task="tests.deploy.retries_once", state="retry")

    assert succeeds.delay().get() == "ok"
    assert fails.delay().failed()
    retries_once.delay()

    assert value("shop_celery_tasks_total", task="tests.deploy.succeeds", state="success") == ok + 1
    assert value("shop_celery_tasks_total", task="tests.deploy.fails", state="failure") == failed + 1
    assert value("shop_celery_tasks_total", task="tests.deploy.retries_once", state="retry") == retried + 1


def test_a_task_past_its_hard_time_limit_counts_as_one_failure():
    from celery import signals
    from celery.exceptions import TimeLimitExceeded

    before = value("shop_celery_tasks_total", task="tests.deploy.fails", state="failure")
    # What Celery 5.7's worker sends for one task killed at its hard time limit: the signal twice, one task id.
    for _ in range(2):
        signals.task_failure.send(sender=fails, task_id="hard-limit-1", exception=TimeLimitExceeded(120))
    signals.task_failure.send(sender=fails, task_id="hard-limit-2", exception=TimeLimitExceeded(120))

    assert value("shop_celery_tasks_total", task="tests.deploy.fails", state="failure") == before + 2


def test_metrics_endpoint_is_closed_by_default(client):
    response = client.get("/metrics")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_metrics_endpoint_serves_prometheus_text_when_enabled(client, settings):
    settings.METRICS_ENABLED = True
    record_checkout("placed")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert 'shop_checkouts_total{outcome="placed"}' in body
    assert "django_http_requests_total_by_method_total" in body


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic c2NyYXBlLXRva2Vu", "scrape-token"])
def test_metrics_endpoint_with_a_token_refuses_anything_but_that_bearer(client, settings, header):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = "scrape-token"
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"shop_checkouts_total" not in response.content


def test_metrics_endpoint_only_answers_reads(client, settings):
    settings.METRICS_ENABLED = True
    assert client.post("/metrics").status_code == 405


def test_metrics_endpoint_with_a_token_accepts_that_bearer(client, settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = "scrape-token"
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token")
    assert response.status_code == 200
    assert b"# TYPE shop_checkouts_total counter" in response.content


def test_metrics_endpoint_is_not_in_the_api_schema(client, db):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert not any(path.rstrip("/").endswith("metrics") for path in schema["paths"])
