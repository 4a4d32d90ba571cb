"""Order e-mails: claimed, sent, marked sent; a claim whose sender vanished is taken over, so no fault on the way
loses the e-mail (shop/orders/notifications.py). The task's id is its claim token, shared by its retries."""

import time
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from smtplib import SMTPDataError, SMTPRecipientsRefused, SMTPServerDisconnected

import pytest
from celery import current_app
from celery.exceptions import Retry
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models.functions import Now
from django.test.utils import CaptureQueriesContext

from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order, OrderNotification
from shop.orders.notifications import (
    CLAIM_LEASE_SECONDS,
    OrderEmailInProgress,
    OrderEmailRefused,
    OrderEmailUnrecorded,
    _refused_for_good,
    message_id,
    order_email_send,
)
from shop.orders.services import order_created_announce, order_emails_sweep
from shop.orders.tasks import order_emails_sweep_task, send_order_email
from shop.orders.tests.factories import place_order
from tests.concurrency import run_concurrently


def _order(user):
    order = place_order(user=user, product=ProductFactory(stock_quantity=5))
    OrderNotification.objects.filter(order=order).delete()  # the eager confirmation, where commits run it
    mail.outbox.clear()
    return order


def _claimed(order, *, by: str, age: float, kind: str = "confirmation") -> OrderNotification:
    """A claim row as a sender left it ``age`` seconds ago, unsent (database time, as the code writes it)."""
    claim = OrderNotification.objects.create(order=order, kind=kind, claimed_by=by)
    OrderNotification.objects.filter(pk=claim.pk).update(claimed_at=Now() - timedelta(seconds=age))
    claim.refresh_from_db()
    return claim


def _subjects() -> list[str]:
    return [message.subject for message in mail.outbox]


@contextmanager
def as_a_worker():
    """``apply()`` the task as a Celery worker runs it (its retries raised for the broker to schedule), not inline
    as without a broker (``make run``, and the tests' default), where a failure is left to the sweep."""
    previous = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = False
    try:
        yield
    finally:
        current_app.conf.task_always_eager = previous


@pytest.mark.django_db(transaction=True)
def test_a_worker_sends_its_claim_and_marks_it_sent_with_no_transaction_around_them(user):
    order, queued_before_claims = _order(user), _order(user)
    _claimed(order, by="task-1", age=0)  # as the checkout's transaction wrote it, for the task queued at commit

    with CaptureQueriesContext(connection) as queries:
        assert order_email_send(order_id=order.pk, kind="confirmation", claim_token="task-1") is True
    with CaptureQueriesContext(connection) as without_a_row:  # a message an older release queued: no row yet
        assert order_email_send(order_id=queued_before_claims.pk, kind="confirmation", claim_token="old-1") is True
    assert order_email_send(order_id=order.pk, kind="confirmation") is False

    assert [message.to for message in mail.outbox] == [[user.email]] * 2
    claim = OrderNotification.objects.get(order=order, kind="confirmation")
    assert claim.claimed_by == "task-1" and claim.sent_at is not None and claim.sent_at >= claim.claimed_at
    statements = [query["sql"].split()[0] for query in queries.captured_queries]
    # the order with its lines, the claim read and renewed (its lease from now), marked sent: each commits alone
    assert statements == ["SELECT", "SELECT", "SELECT", "UPDATE", "UPDATE"], statements
    statements = [query["sql"].split()[0] for query in without_a_row.captured_queries]
    assert statements == ["SELECT", "SELECT", "SELECT", "INSERT", "UPDATE"], statements


@pytest.mark.django_db
def test_the_lease_outlasts_the_tasks_hard_time_limit(settings):
    assert CLAIM_LEASE_SECONDS > settings.CELERY_TASK_TIME_LIMIT


@pytest.mark.django_db
def test_a_retry_after_the_claims_reply_was_lost_sends_once_and_marks_it_sent(user):
    """The INSERT committed but its reply never came back: the task's retry (same task id) finds its own claim."""
    order = _order(user)
    claim = _claimed(order, by="task-lost-reply", age=1)

    result = send_order_email.apply(args=(order.pk, "confirmation"), task_id="task-lost-reply", throw=True)

    assert result.get() is True
    assert _subjects() == [f"Your order {order.order_key} is confirmed"]
    claim.refresh_from_db()
    assert claim.sent_at is not None and claim.claimed_by == "task-lost-reply"
    assert send_order_email.apply(args=(order.pk, "confirmation"), task_id="task-lost-reply").get() is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_another_senders_fresh_claim_is_retried_later_and_sends_nothing(user):
    order = _order(user)
    claim = _claimed(order, by="task-sending-now", age=CLAIM_LEASE_SECONDS - 30)  # old, but inside the lease

    with pytest.raises(OrderEmailInProgress):
        order_email_send(order_id=order.pk, kind="confirmation", claim_token="task-2")
    with as_a_worker(), pytest.raises(Retry) as retry:  # the task does not give up: it retries with backoff
        send_order_email.apply(args=(order.pk, "confirmation"), task_id="task-2", throw=True)

    assert isinstance(retry.value.exc, OrderEmailInProgress)
    assert mail.outbox == []
    after = OrderNotification.objects.get(pk=claim.pk)
    assert (after.claimed_by, after.claimed_at, after.sent_at) == ("task-sending-now", claim.claimed_at, None)


@pytest.mark.django_db
def test_a_stale_claim_is_taken_over_and_sent_once(user):
    """Its worker was killed, or SMTP hung past the hard time limit: after the lease anyone may send it."""
    order = _order(user)
    claim = _claimed(order, by="task-killed", age=CLAIM_LEASE_SECONDS + 5)

    assert order_email_send(order_id=order.pk, kind="confirmation", claim_token="task-3") is True
    assert order_email_send(order_id=order.pk, kind="confirmation", claim_token="task-4") is False

    assert _subjects() == [f"Your order {order.order_key} is confirmed"]
    after = OrderNotification.objects.get(pk=claim.pk)
    assert after.claimed_by == "task-3" and after.claimed_at > claim.claimed_at and after.sent_at is not None


@pytest.mark.django_db
def test_a_sent_email_is_not_sent_again_by_anyone(user):
    order = _order(user)
    claim = _claimed(order, by="task-done", age=CLAIM_LEASE_SECONDS * 10)
    OrderNotification.objects.filter(pk=claim.pk).update(sent_at=Now())

    assert order_email_send(order_id=order.pk, kind="confirmation", claim_token="task-done") is False
    assert order_email_send(order_id=order.pk, kind="confirmation", claim_token="task-5") is False
    assert order_emails_sweep() == 0

    assert mail.outbox == []
    assert OrderNotification.objects.get(pk=claim.pk).claimed_by == "task-done"


class RefusingBackend:
    """An SMTP server that refuses the connection."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server refused the connection")


@pytest.mark.django_db
def test_a_failed_send_keeps_the_claim_for_the_tasks_retry_which_sends_once(user, settings):
    order = _order(user)
    settings.EMAIL_BACKEND = "shop.orders.tests.test_notifications.RefusingBackend"

    with as_a_worker(), pytest.raises(Retry) as retry:
        send_order_email.apply(args=(order.pk, "confirmation"), task_id="task-6", throw=True)
    assert isinstance(retry.value.exc, ConnectionRefusedError)
    claim = OrderNotification.objects.get(order=order)
    assert (claim.claimed_by, claim.sent_at) == ("task-6", None)  # kept: the sweep has it if the retry never comes

    # The task's retry comes late (backoff), its claim past the lease, and fails again: the lease now counts
    # from this latest attempt.
    OrderNotification.objects.filter(pk=claim.pk).update(claimed_at=Now() - timedelta(seconds=CLAIM_LEASE_SECONDS + 5))
    with as_a_worker(), pytest.raises(Retry):
        send_order_email.apply(args=(order.pk, "confirmation"), task_id="task-6", throw=True)
    assert order_emails_sweep() == 0  # not handed on while the task's next retry is coming

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with as_a_worker():
        assert send_order_email.apply(args=(order.pk, "confirmation"), task_id="task-6", throw=True).get() is True
    assert _subjects() == [f"Your order {order.order_key} is confirmed"]
    assert OrderNotification.objects.get(order=order).sent_at is not None


@pytest.mark.django_db
def test_a_worker_killed_while_its_retry_waits_leaves_the_email_to_the_sweep(
        user, settings, django_capture_on_commit_callbacks):
    """The retry waits in the broker for its countdown; the worker holding it is killed (Redis hands it back only
    after its visibility timeout, an hour by default): once the lease is over the sweep sends the e-mail, once."""
    order = _order(user)
    settings.EMAIL_BACKEND = "shop.orders.tests.test_notifications.RefusingBackend"
    with as_a_worker(), pytest.raises(Retry):
        send_order_email.apply(args=(order.pk, "confirmation"), task_id="task-killed-waiting", throw=True)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    assert order_emails_sweep() == 0  # inside the lease: the task's own retry may still come
    OrderNotification.objects.filter(order=order).update(claimed_at=Now() - timedelta(seconds=CLAIM_LEASE_SECONDS + 1))
    with django_capture_on_commit_callbacks(execute=True):
        assert order_emails_sweep() == 1
    with as_a_worker():  # the original retry, back an hour later, finds it sent
        assert send_order_email.apply(args=(order.pk, "confirmation"), task_id="task-killed-waiting").get() is False

    assert _subjects() == [f"Your order {order.order_key} is confirmed"]


class CountingRefusingBackend(RefusingBackend):
    attempts = 0

    def send_messages(self, messages):
        type(self).attempts += 1
        super().send_messages(messages)


@pytest.mark.django_db
def test_an_inline_task_does_not_retry_in_place_and_the_sweep_sends_it_later(
        user, settings, caplog, django_capture_on_commit_callbacks):
    """Without a broker (``make run``) Celery would run every retry at once, inside the checkout that queued the
    e-mail: one attempt, the claim kept, the sweep sends it after the lease."""
    order = _order(user)
    settings.EMAIL_BACKEND = "shop.orders.tests.test_notifications.CountingRefusingBackend"
    CountingRefusingBackend.attempts = 0

    assert send_order_email.apply(args=(order.pk, "confirmation"), task_id="inline-1", throw=True).get() is False

    assert CountingRefusingBackend.attempts == 1
    assert "failed inline; the sweep sends it" in caplog.text
    assert OrderNotification.objects.get(order=order).claimed_by == "inline-1"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OrderNotification.objects.filter(order=order).update(claimed_at=Now() - timedelta(seconds=CLAIM_LEASE_SECONDS + 1))
    with django_capture_on_commit_callbacks(execute=True):
        assert order_emails_sweep() == 1
    assert _subjects() == [f"Your order {order.order_key} is confirmed"]


class RecipientRefusedBackend(RefusingBackend):
    def send_messages(self, messages):
        raise SMTPRecipientsRefused({messages[0].to[0]: (550, b"5.1.1 no such user")})


@pytest.mark.django_db
def test_a_message_refused_for_good_is_dropped_and_not_retried(user, settings, caplog):
    order = _order(user)
    settings.EMAIL_BACKEND = "shop.orders.tests.test_notifications.RecipientRefusedBackend"

    with as_a_worker(), pytest.raises(OrderEmailRefused):  # not Retry
        send_order_email.apply(args=(order.pk, "confirmation"), task_id="task-550", throw=True)

    assert not OrderNotification.objects.filter(order=order).exists()  # nothing for the sweep to send again
    assert "refused by the mail server for good" in caplog.text


@pytest.mark.django_db
def test_a_claim_with_nothing_left_to_say_is_dropped_so_the_sweep_stops_handing_it_on(
        user, django_capture_on_commit_callbacks):
    """A refund e-mail whose refund is gone (or failed) by the time its claim is sent: nothing to send, and no claim
    left for the next sweeps to hand on every few minutes for ever."""
    order = _order(user)
    _claimed(order, by="task-killed", kind="refund:999999", age=CLAIM_LEASE_SECONDS + 5)

    with django_capture_on_commit_callbacks(execute=True):
        assert order_emails_sweep() == 1

    assert mail.outbox == []
    assert not OrderNotification.objects.filter(order=order).exists()
    assert order_emails_sweep() == 0


def test_only_a_refusal_of_the_message_itself_is_for_good():
    assert _refused_for_good(SMTPRecipientsRefused({"a@example.com": (550, b"no such user")}))
    assert _refused_for_good(SMTPDataError(554, b"message rejected"))
    assert not _refused_for_good(SMTPDataError(451, b"try again later"))
    assert not _refused_for_good(SMTPServerDisconnected("gone"))
    assert not _refused_for_good(TimeoutError())


@pytest.mark.django_db
def test_every_attempt_of_an_email_carries_the_same_message_id(user, settings):
    """So mail systems that drop repeated Message-IDs show once an e-mail sent again after a lost SMTP reply."""
    settings.DEFAULT_FROM_EMAIL = "Shop <shop@example.com>"
    order = _order(user)

    assert order_email_send(order_id=order.pk, kind="confirmation") is True
    OrderNotification.objects.filter(order=order).delete()
    assert order_email_send(order_id=order.pk, kind="confirmation") is True

    first, second = (message.extra_headers["Message-ID"] for message in mail.outbox)
    assert first == second == f"<order-{order.order_key}.confirmation@example.com>"
    assert message_id(order, "refund:12") == f"<order-{order.order_key}.refund-12@example.com>"


def _another_connection():
    """A second psycopg connection to the test database (not in autocommit: its locks hold until it rolls back)."""
    return connection.get_new_connection(connection.get_connection_params())


class DatabaseLostWithSmtpBackend:
    """SMTP fails and the database connection is cut at the same moment, as when the network under both drops."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        _cut_the_database()
        raise OSError("SMTP connection reset")


def _cut_the_database():
    with _another_connection() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
        other.commit()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_smtp_and_the_database_failing_together_leave_the_claim_to_the_tasks_retry(user, settings):
    order = _order(user)
    settings.EMAIL_BACKEND = "shop.orders.tests.test_notifications.DatabaseLostWithSmtpBackend"

    with as_a_worker(), pytest.raises(Retry) as retry:
        send_order_email.apply(args=(order.pk, "confirmation"), task_id="task-7", throw=True)
    assert isinstance(retry.value.exc, OSError)
    connection.close()  # what a worker does with a broken connection before the next task (shop/core/apps.py)
    claim = OrderNotification.objects.get(order=order)
    assert (claim.claimed_by, claim.sent_at) == ("task-7", None)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with as_a_worker():
        assert send_order_email.apply(args=(order.pk, "confirmation"), task_id="task-7", throw=True).get() is True
    assert _subjects() == [f"Your order {order.order_key} is confirmed"]
    claim.refresh_from_db()
    assert claim.sent_at is not None


class SentThenDatabaseLostBackend(RefusingBackend):
    """The mail server takes the message, then the database connection drops before it is recorded as sent."""

    def send_messages(self, messages):
        mail.outbox.extend(messages)
        _cut_the_database()
        return len(messages)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_email_sent_but_not_recorded_is_recorded_by_the_retry_not_sent_again(user, settings):
    order = _order(user)
    settings.EMAIL_BACKEND = "shop.orders.tests.test_notifications.SentThenDatabaseLostBackend"

    with as_a_worker(), pytest.raises(Retry) as retry:
        send_order_email.apply(args=(order.pk, "confirmation"), task_id="task-8", throw=True)
    assert isinstance(retry.value.exc, OrderEmailUnrecorded)
    assert retry.value.when == 2  # seconds: well inside the lease
    connection.close()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with as_a_worker():  # the retry Celery queues: same task id, sent=True
        assert send_order_email.apply(args=(order.pk, "confirmation"), kwargs={"sent": True}, task_id="task-8",
                                      throw=True).get() is True
    assert _subjects() == [f"Your order {order.order_key} is confirmed"]  # once
    assert OrderNotification.objects.get(order=order).sent_at is not None


def _lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0]


def _release_when_both_wait(other):
    """A callable for ``run_concurrently``: once two sessions wait on the row lock ``other`` holds (or 10 s
    passed), roll ``other`` back to let them go; answers how many were waiting."""
    def release():
        deadline = time.monotonic() + 10
        while _lock_waiters() < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        waiting = _lock_waiters()
        other.rollback()
        return waiting
    return release


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_senders_taking_over_one_stale_claim_at_once_send_one_email(user):
    """Both read the stale claim and reach the takeover together: a row lock held elsewhere lines their UPDATEs up,
    then lets them go one after the other. The second re-checks the guard against the first's committed claim and
    takes nothing (an UPDATE by id alone would let both send)."""
    order = _order(user)
    claim = _claimed(order, by="task-killed", age=CLAIM_LEASE_SECONDS + 5)
    other = _another_connection()
    other.execute("SELECT id FROM orders_ordernotification WHERE id = %s FOR UPDATE", [claim.pk])

    release_when_both_wait = _release_when_both_wait(other)

    try:
        *results, waiting = run_concurrently(
            lambda: order_email_send(order_id=order.pk, kind="confirmation", claim_token="sender-a"),
            lambda: order_email_send(order_id=order.pk, kind="confirmation", claim_token="sender-b"),
            release_when_both_wait,
        )
    finally:
        other.close()

    assert waiting == 2  # both were at the takeover when it was released
    assert [result is True for result in results].count(True) == 1, results
    assert [isinstance(result, OrderEmailInProgress) for result in results].count(True) == 1, results  # retries
    assert _subjects() == [f"Your order {order.order_key} is confirmed"]
    after = OrderNotification.objects.get(pk=claim.pk)
    assert after.claimed_by in ("sender-a", "sender-b") and after.sent_at is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_sweep_and_the_claims_own_task_arriving_late_at_once_send_one_email(request, user):
    """The broker was down at checkout: the claim written with the order went stale, and its task, kept by a
    broker that came back (or stuck in a backlog), is taken up just as the sweep runs. The task's renewal of its
    own claim and the sweep's takeover are lined up on a row lock held elsewhere, then let go one after the
    other: whichever commits first, the other finds the claim no longer its to take (a task that went ahead on its
    own claim without renewing it would send while the sweep's new task sends too)."""
    broker_back = request.getfixturevalue("broker_down")
    order = place_order(user=user, product=ProductFactory(stock_quantity=5))
    broker_back()
    claim = OrderNotification.objects.get(order=order, kind="confirmation")
    assert claim.sent_at is None and mail.outbox == []
    OrderNotification.objects.filter(pk=claim.pk).update(claimed_at=Now() - timedelta(seconds=CLAIM_LEASE_SECONDS + 5))
    other = _another_connection()
    other.execute("SELECT id FROM orders_ordernotification WHERE id = %s FOR UPDATE", [claim.pk])

    release_when_both_wait = _release_when_both_wait(other)

    def the_queued_task():  # its answer read as .result: .get() refuses while another thread runs a task
        return send_order_email.apply(args=(order.pk, "confirmation"), task_id=claim.claimed_by, throw=True).result

    try:
        task, swept, waiting = run_concurrently(the_queued_task, order_emails_sweep, release_when_both_wait)
    finally:
        other.close()

    assert waiting == 2  # the task's renewal and the sweep's takeover were both at the claim when it was released
    # Either the task renewed first (it sends; the sweep takes nothing), or the sweep took it over first (its task
    # sends; the queued one is told to retry later, when it finds the e-mail sent).
    assert (task, swept) == (True, 0) or (isinstance(task, Retry) and isinstance(task.exc, OrderEmailInProgress)
                                          and swept == 1), (task, swept)
    assert _subjects() == [f"Your order {order.order_key} is confirmed"]
    assert OrderNotification.objects.get(pk=claim.pk).sent_at is not None
    assert send_order_email.apply(args=(order.pk, "confirmation"), task_id=claim.claimed_by).get() is False
    assert order_emails_sweep() == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_an_email_asked_for_twice_keeps_one_claim_and_is_sent_once(user):
    """The claim's INSERT skips an (order, kind) that has one (the unique constraint, ON CONFLICT DO NOTHING):
    the second asking's transaction goes on, and its task finds the e-mail sent."""
    order = place_order(user=user, product=ProductFactory(stock_quantity=5))  # confirmed at commit (inline Celery)
    assert _subjects() == [f"Your order {order.order_key} is confirmed"]

    with transaction.atomic():
        order_created_announce(order)
        Order.objects.filter(pk=order.pk).update(notes="asked twice")  # the transaction is still usable

    assert OrderNotification.objects.filter(order=order, kind="confirmation").count() == 1
    assert Order.objects.get(pk=order.pk).notes == "asked twice"
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_sweep_hands_only_stale_unsent_claims_to_a_new_task_which_sends_them(
        user, django_capture_on_commit_callbacks):
    stale, fresh, sent = _order(user), _order(user), _order(user)
    stale_claim = _claimed(stale, by="task-killed", age=CLAIM_LEASE_SECONDS + 5)
    fresh_claim = _claimed(fresh, by="task-sending-now", age=CLAIM_LEASE_SECONDS - 30)
    sent_claim = _claimed(sent, by="task-done", age=CLAIM_LEASE_SECONDS * 10)
    OrderNotification.objects.filter(pk=sent_claim.pk).update(sent_at=Now() - timedelta(seconds=600))
    sent_claim.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert order_emails_sweep() == 1
        assert order_emails_sweep() == 0  # the claim now belongs to the queued task for a lease
    assert len(queued) == 1

    assert _subjects() == [f"Your order {stale.order_key} is confirmed"]
    after = {claim.pk: claim for claim in OrderNotification.objects.all()}
    assert after[stale_claim.pk].sent_at is not None
    assert after[stale_claim.pk].claimed_by not in ("task-killed", "")  # the new task's id
    assert (after[fresh_claim.pk].claimed_by, after[fresh_claim.pk].claimed_at, after[fresh_claim.pk].sent_at) == (
        "task-sending-now", fresh_claim.claimed_at, None)
    assert (after[sent_claim.pk].claimed_by, after[sent_claim.pk].sent_at) == ("task-done", sent_claim.sent_at)


@pytest.mark.django_db(transaction=True)
def test_the_sweep_runs_from_beat_and_from_make_runs_loop(user, settings):
    order = _order(user)
    _claimed(order, by="task-killed", age=CLAIM_LEASE_SECONDS + 5)

    entry = settings.CELERY_BEAT_SCHEDULE["orders-emails-sweep"]
    assert entry == {"task": "shop.orders.tasks.order_emails_sweep_task", "schedule": 60.0}
    assert order_emails_sweep_task.name == entry["task"]
    out = StringIO()
    call_command("order_emails_sweep", stdout=out)

    assert out.getvalue() == "order e-mails sweep: 1 handed to a new task\n"
    assert _subjects() == [f"Your order {order.order_key} is confirmed"]
    assert order_emails_sweep_task.delay().get() == 0


@pytest.mark.django_db
def test_a_mail_server_that_never_answers_fails_the_send_within_email_timeout(user, settings):
    """A real socket that accepts and never speaks SMTP: the send fails after EMAIL_TIMEOUT (not when the worker
    kills the task, nor never in an eager send), the claim is kept for the retry, and the error is one the task
    retries."""
    import socket

    order = _order(user)
    with socket.create_server(("127.0.0.1", 0)) as silent:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = silent.getsockname()
        settings.EMAIL_TIMEOUT = 1
        started = time.monotonic()
        with pytest.raises(OSError):  # TimeoutError: in the task's autoretry_for
            order_email_send(order_id=order.pk, kind="confirmation", claim_token="task-1")
        waited = time.monotonic() - started

    assert 0.9 <= waited < 10
    claim = OrderNotification.objects.get(order=order)
    assert (claim.claimed_by, claim.sent_at) == ("task-1", None)  # kept: the task's retry sends it


def test_the_default_email_timeout_is_well_under_the_task_time_limit():
    from django.conf import settings

    assert settings.EMAIL_TIMEOUT == 30 < settings.CELERY_TASK_TIME_LIMIT


@pytest.mark.django_db
def test_the_confirmation_shows_the_discount_so_its_figures_add_up(user):
    from shop.discounts.tests.factories import PromotionFactory

    product = ProductFactory(price=Decimal("12.00"), stock_quantity=5)
    PromotionFactory(products=[product], value=Decimal("15.00"))
    order = place_order(user=user, product=product)
    OrderNotification.objects.filter(order=order).delete()
    mail.outbox.clear()

    assert order_email_send(order_id=order.pk, kind="confirmation") is True

    body = mail.outbox[0].body
    assert order.discount == Decimal("1.80") and order.total == order.subtotal - order.discount + order.shipping_fee
    assert f"Subtotal: 12.00 {order.currency}\nDiscount: -1.80 {order.currency}\nShipping:" in body
    assert f"Total:    {order.total:.2f} {order.currency}" in body


@pytest.mark.django_db
def test_an_order_paid_before_its_confirmation_is_not_asked_to_pay(user):
    order = place_order(user=user, product=ProductFactory(stock_quantity=5), paid=True)
    assert order.payment_deadline is not None and order.paid_at is not None
    OrderNotification.objects.filter(order=order).delete()
    mail.outbox.clear()

    assert order_email_send(order_id=order.pk, kind="confirmation") is True

    assert "Please complete payment" not in mail.outbox[0].body
    assert "Discount:" not in mail.outbox[0].body  # none taken: no line
