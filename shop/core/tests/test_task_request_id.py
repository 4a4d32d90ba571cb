"""The request id travels with a Celery task: queued during a request, the worker's log lines carry the same id.

A real worker (Celery's in-process test worker, solo pool, in-memory broker and result backend) runs the tasks, so
the id crosses a real message, not a function call.
"""

import pytest
from celery import Celery, current_app
from celery.contrib.testing.worker import start_worker

from shop.core.logging import request_id_var

# Not the current app: the project's shared tasks must keep binding to config.celery.app in every other test.
app = Celery("request-id-test", broker="memory://", backend="cache+memory://", set_as_current=False)
app.conf.update(task_always_eager=False, worker_hijack_root_logger=False)


@app.task(name="request_id_test.current")
def current_request_id() -> str:
    return request_id_var.get()


@pytest.fixture(scope="module")
def worker():
    project_app = current_app._get_current_object()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        # start_worker makes its app the current and default one; give those back to the project's app.
        project_app.set_current()
        project_app.set_default()


def test_a_task_queued_during_a_request_logs_with_its_id(worker):
    token = request_id_var.set("req-42")
    try:
        result = current_request_id.delay()
    finally:
        request_id_var.reset(token)

    assert result.get(timeout=10) == "req-42"


def test_a_task_queued_outside_a_request_logs_with_its_own_task_id(worker):
    result = current_request_id.delay()

    assert result.get(timeout=10) == f"task-{result.id}"


def test_a_malformed_id_in_a_message_is_not_trusted(worker):
    result = current_request_id.apply_async(headers={"request_id": "bad id\nwith newline"})

    assert result.get(timeout=10) == f"task-{result.id}"


def test_an_eager_task_keeps_the_request_it_runs_in_and_restores_the_context():
    token = request_id_var.set("req-eager")
    try:
        assert current_request_id.apply().get() == "req-eager"
        assert request_id_var.get() == "req-eager"
    finally:
        request_id_var.reset(token)
    assert request_id_var.get() == "-"
