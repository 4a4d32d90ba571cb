"""Account e-mails are not lost when their task never runs or dies: each is written with its claim in the request's
transaction (``AccountEmail``), and the sweep (``account_emails_sweep``, Celery beat every minute) hands a claim
left past the lease to a new task, which sends it exactly once, through ``shop.core.email_claims``, the mechanism
order e-mails use. The review found account e-mails (verification, password reset) with no claim and no sweep: a
broker down at commit, or a worker killed while sending, lost them for good."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.db.models.functions import Now
from rest_framework.test import APIClient

from shop.accounts.models import AccountEmail
from shop.accounts.services import account_emails_sweep
from shop.accounts.tasks import account_emails_sweep_task, send_account_email
from shop.core.email_claims import CLAIM_LEASE_SECONDS


def _left_past_the_lease() -> None:
    AccountEmail.objects.filter(sent_at__isnull=True).update(
        claimed_at=Now() - timedelta(seconds=CLAIM_LEASE_SECONDS + 5))


@pytest.mark.django_db(transaction=True)
def test_a_reset_email_the_broker_never_took_is_sent_by_the_sweep_exactly_once(user, broker_down, caplog,
                                                                              settings):
    asked = APIClient().post("/auth/password-reset/", {"email": user.email}, format="json")

    assert asked.status_code == 200, asked.content
    assert "could not queue task shop.accounts.tasks.send_account_email" in caplog.text
    assert mail.outbox == []
    [left] = AccountEmail.objects.all()
    assert (left.kind, left.user_id, left.sent_at) == ("password_reset", user.pk, None)
    broker_down()  # the broker is back (the tests' inline Celery)

    assert account_emails_sweep() == 0  # a fresh claim: its own task may still come
    _left_past_the_lease()
    assert account_emails_sweep_task.delay().get() == 1
    assert account_emails_sweep() == 0  # sent: nothing left for a second sweep

    [sent] = mail.outbox
    assert (sent.subject, sent.to) == ("Reset your password", [user.email])
    assert settings.PASSWORD_RESET_URL.split("{")[0] in sent.body  # the link, made when it was sent
    # The task the broker never took, arriving after all (a broker restored with the message), sends nothing.
    assert send_account_email.apply(args=(left.pk,), task_id=left.claimed_by).get() is False
    assert len(mail.outbox) == 1 and AccountEmail.objects.get().sent_at is not None


class RefusingBackend:
    """An SMTP server that refuses the connection."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server refused the connection")


@pytest.mark.django_db(transaction=True)
def test_a_verification_email_whose_send_failed_inline_is_sent_by_the_sweep_exactly_once(user, settings):
    """Inline (``make run``) a failed send is not retried in place; a worker killed mid-send leaves the same row."""
    settings.EMAIL_BACKEND = "shop.accounts.tests.test_account_email_sweep.RefusingBackend"
    client = APIClient()
    client.force_authenticate(user)

    asked = client.post("/auth/verify-email/request/")

    assert asked.status_code == 202, asked.content
    [left] = AccountEmail.objects.all()
    assert (left.kind, left.sent_at) == ("email_verification", None)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _left_past_the_lease()

    assert (account_emails_sweep(), account_emails_sweep()) == (1, 0)

    [sent] = mail.outbox
    assert (sent.subject, sent.to) == ("Verify your e-mail address", [user.email])
    left.refresh_from_db()
    assert left.sent_at is not None and left.claimed_by != ""


@pytest.mark.django_db
def test_sent_rows_are_pruned_a_day_later_and_unsent_ones_kept(user):
    fresh = AccountEmail.objects.create(user=user, kind="password_reset", claimed_by="t1")
    old_sent = AccountEmail.objects.create(user=user, kind="email_changed", old_email="a@example.com",
                                           claimed_by="t2")
    AccountEmail.objects.filter(pk=old_sent.pk).update(sent_at=Now() - timedelta(days=1, seconds=1))

    account_emails_sweep()

    assert list(AccountEmail.objects.values_list("pk", flat=True)) == [fresh.pk]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("task_name, args, kind, to", [
    ("shop.accounts.tasks.send_password_reset_email", (), "password_reset", None),
    ("shop.accounts.tasks.send_email_verification", (), "email_verification", None),
    ("shop.accounts.tasks.send_email_changed_notice", ("old@example.com",), "email_changed", "old@example.com"),
])
def test_a_message_queued_by_the_code_before_claims_is_still_sent_once(user, task_name, args, kind, to):
    from celery import current_app

    if kind == "email_verification":
        type(user).objects.filter(pk=user.pk).update(is_email_verified=False)

    current_app.tasks[task_name].delay(user.pk, *args).get()  # the message an old web process queued

    [email] = AccountEmail.objects.all()
    assert (email.kind, email.user_id) == (kind, user.pk)
    assert email.sent_at is not None
    assert [message.to for message in mail.outbox] == [[to or user.email]]


class SweepWhileSendingBackend(locmem.EmailBackend):
    """The mail server takes its time: beat's sweep runs while the first message is being sent."""

    swept: list[int] | None = None  # what the sweep answered, run once (not again by a message it queued)

    def send_messages(self, messages):
        if type(self).swept is None:
            type(self).swept = []
            type(self).swept.append(account_emails_sweep())
        return super().send_messages(messages)


@pytest.mark.django_db(transaction=True)
def test_a_task_taken_up_after_its_claims_lease_is_not_overtaken_by_the_sweep_while_it_sends(
        user, broker_down, settings):
    """The claim is written at commit; its task waits in the queue (a backlog, workers away for a deploy) until the
    claim is older than the lease. Starting, the task renews its claim, so the sweep running while it sends leaves
    the e-mail to it: one e-mail, not a second from the sweep's task."""
    assert APIClient().post("/auth/password-reset/", {"email": user.email}, format="json").status_code == 200
    [queued] = AccountEmail.objects.all()
    broker_down()  # the message was in the queue all along: the broker hands it to a worker now
    _left_past_the_lease()
    settings.EMAIL_BACKEND = "shop.accounts.tests.test_account_email_sweep.SweepWhileSendingBackend"
    SweepWhileSendingBackend.swept = None

    assert send_account_email.apply(args=(queued.pk,), task_id=queued.claimed_by).get() is True

    assert SweepWhileSendingBackend.swept == [0]
    assert [message.subject for message in mail.outbox] == ["Reset your password"]
    sent = AccountEmail.objects.get()
    assert (sent.claimed_by, sent.sent_at is not None) == (queued.claimed_by, True)
