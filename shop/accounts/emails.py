"""Account e-mails (password reset, e-mail verification, e-mail changed notice): what each says and to whom.

Each is an ``AccountEmail`` row written in the transaction that asks for it, already claimed for the task queued
after the commit (``services.account_email_queue``); that task claims, sends and marks it sent through
``shop.core.email_claims``, the mechanism order e-mails use. So an account e-mail is lost neither to a broker down
at commit nor to a worker that dies: its claim goes stale after ``CLAIM_LEASE_SECONDS`` and the sweep
(``account_emails_sweep``) hands it to a new task, until a mail server takes it; a retry or a second sender finds
it sent and sends nothing. What the e-mail carries (a reset link, a verification code) is made at sending, after
the claim: no secret waits in the database or the broker, and an e-mail already sent never has its code replaced.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from shop.core import email_claims

from .models import AccountEmail


def _password_reset(email: AccountEmail) -> EmailMessage | None:
    from .services import password_reset_link_parts  # services import tasks, which import this module

    user = email.user
    if not user.is_active:
        return None
    uid, token = password_reset_link_parts(user=user)
    context = {"user": user, "uid": uid, "token": token,
               "reset_url": settings.PASSWORD_RESET_URL.format(uid=uid, token=token)}
    return EmailMessage(subject="Reset your password",
                        body=render_to_string("accounts/password_reset_email.txt", context),
                        from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email])


def _email_verification(email: AccountEmail) -> EmailMessage | None:
    """A link (``EMAIL_VERIFY_URL`` with ``{token}``) and a 6-digit code, both valid ``EMAIL_VERIFICATION_HOURS``;
    nothing for a verified or disabled account. Issued here, after the claim: a new code replaces the pending one,
    so an e-mail found sent is never re-issued (its code stays the valid one)."""
    from .services import email_verification_issue

    issued = email_verification_issue(user_id=email.user_id)
    if issued is None:
        return None
    user, token, code = issued
    context = {"user": user, "token": token, "code": code, "hours": settings.EMAIL_VERIFICATION_HOURS,
               "verify_url": settings.EMAIL_VERIFY_URL.format(token=token)}
    return EmailMessage(subject="Verify your e-mail address",
                        body=render_to_string("accounts/email_verification_email.txt", context),
                        from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email])


def _email_changed(email: AccountEmail) -> EmailMessage:
    """Tell the account's previous address that the login e-mail changed (to whom, when), so an owner who did
    not make the change learns of it where an intruder cannot hide it.

    A password reset now goes to the new address (perhaps the intruder's), so the notice does not send the owner
    there: it tells them to write to the shop from the old address (``SHOP_SUPPORT_EMAIL``, also the Reply-To;
    without it, to reply to the notice), and staff give the account back."""
    user = email.user
    support = settings.SHOP_SUPPORT_EMAIL
    context = {"user": user, "old_email": email.old_email, "new_email_masked": _masked(user.email),
               "support_email": support, "shop_name": settings.SHOP_NAME}
    return EmailMessage(subject="Your e-mail address was changed",
                        body=render_to_string("accounts/email_changed_email.txt", context),
                        from_email=settings.DEFAULT_FROM_EMAIL, to=[email.old_email],
                        reply_to=[support] if support else None)


MESSAGES: dict[str, Callable[[AccountEmail], EmailMessage | None]] = {
    AccountEmail.Kind.PASSWORD_RESET: _password_reset,
    AccountEmail.Kind.EMAIL_VERIFICATION: _email_verification,
    AccountEmail.Kind.EMAIL_CHANGED: _email_changed,
}


def account_email_send(*, email_id: int, claim_token: str) -> bool:
    """Send the account e-mail ``email_id`` under ``claim_token`` (the Celery task id its retries share), at least
    once across retries and senders (``shop.core.email_claims.claim`` and ``claimed_send``).

    Answers True if it sent it now; False if it was sent already, its row is gone (the user deleted), or there is
    nothing to say any more (a verified or disabled account: the claim is dropped). Raises EmailInProgress while
    another sender's claim is fresh; what sending raises (SMTPException, OSError: retried); EmailRefused for a
    permanent refusal (the claim dropped); EmailUnrecorded when it went out but was not recorded (the retry records
    it, :func:`account_email_mark_sent`)."""
    what = f"account e-mail {email_id}"
    claim_id = email_claims.claim(AccountEmail, token=claim_token, insert=False, what=what, pk=email_id)
    if claim_id is None:
        return False
    email = AccountEmail.objects.select_related("user").get(pk=claim_id)
    message = MESSAGES[email.kind](email)
    if message is None:
        email_claims.claim_drop(AccountEmail, claim_id=claim_id, token=claim_token)
        return False
    return email_claims.claimed_send(AccountEmail, claim_id=claim_id, token=claim_token, message=message, what=what)


def account_email_mark_sent(*, email_id: int, claim_token: str) -> bool:
    """Record as sent an account e-mail that ``claim_token``'s sender sent but could not record. True if now."""
    return email_claims.claim_mark_sent(AccountEmail, token=claim_token, pk=email_id)


def _masked(email: str) -> str:
    """``jane.doe@example.com`` -> ``j***@example.com``: enough for the owner to recognise, not to hand over."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"
