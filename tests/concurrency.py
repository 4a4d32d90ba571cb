"""The one harness for race tests: real threads, each on its own database connection, released together.

A race test (``@pytest.mark.postgres`` and ``@pytest.mark.django_db(transaction=True)``: the threads must see
each other's commits, and only PostgreSQL has the row locks being proven) builds its data, then hands the
competing calls to :func:`run_concurrently` and asserts on what each one returned or raised::

    results = run_concurrently(*[partial(order_cancel, order_id=order.pk, by=user)] * 2)
    assert raised(results) == []

Django opens one connection per thread; each thread closes its own when it is done, so none is left open to
block the test database's flush or drop, and none leaks into the next test.
"""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection

BARRIER_TIMEOUT = 10  # seconds every thread has to reach the starting line (a broken barrier fails the call)


def run_concurrently(*calls: Callable[[], Any], timeout: float = 60) -> list[Any]:
    """Run each call in its own thread, all started at the same moment by a barrier.

    Returns a list in the order of ``calls``: what each call returned, or the ``Exception`` it raised (the test
    asserts on it; nothing is swallowed). Fails the test with "a thread hung" if any thread is still running
    ``timeout`` seconds after the join began (a deadlock or a lock wait that never ends).
    """
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=BARRIER_TIMEOUT)
            results[index] = call()
        except Exception as exc:  # handed to the test, which asserts on it
            results[index] = exc
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def raised(results: list[Any]) -> list[Exception]:
    """The exceptions among ``run_concurrently``'s results, in call order (``[]``: every call returned)."""
    return [result for result in results if isinstance(result, Exception)]


def resent_when_in_progress(results: list[Any], calls: tuple[Callable[[], Any], ...]) -> list[Any]:
    """``results`` of HTTP calls (``(status, body)``) with each 409 ``request_in_progress`` replaced by its call made
    again, now that the calls are done: what a client told "still being processed, send it again shortly" gets.
    Racing twins of one request may be answered either way, depending on when each arrived."""
    return [call() if isinstance(result, tuple) and result[0] == 409
            and result[1].get("code") == "request_in_progress" else result
            for result, call in zip(results, calls, strict=True)]
