from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, send_mail
from django.template.loader import render_to_string

from shop.core.enqueue import EMAIL_RETRY, TRANSIENT_DATABASE_ERRORS

from .models import User


@shared_task(autoretry_for=(OSError, *TRANSIENT_DATABASE_ERRORS), **EMAIL_RETRY)
def send_password_reset_email(user_id: int) -> None:
    from .services import password_reset_link_parts

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    uid, token = password_reset_link_parts(user=user)
    context = {"user": user, "uid": uid, "token": token,
               "reset_url": settings.PASSWORD_RESET_URL.format(uid=uid, token=token)}
    send_mail(
        subject="Reset your password",
        message=render_to_string("accounts/password_reset_email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )


@shared_task(autoretry_for=(OSError, *TRANSIENT_DATABASE_ERRORS), **EMAIL_RETRY)
def send_email_changed_notice(user_id: int, old_email: str) -> None:
    """Tell the account's previous address that the login e-mail changed (to whom, when), so an owner who did
    not make the change learns of it where an intruder cannot hide it.

    A password reset now goes to the new address (perhaps the intruder's), so the notice does not send the owner
    there: it tells them to write to the shop from the old address (``SHOP_SUPPORT_EMAIL``, also the Reply-To;
    without it, to reply to the notice), and staff give the account back.
    """
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    support = settings.SHOP_SUPPORT_EMAIL
    context = {"user": user, "old_email": old_email, "new_email_masked": _masked(user.email),
               "support_email": support, "shop_name": settings.SHOP_NAME}
    EmailMessage(
        subject="Your e-mail address was changed",
        body=render_to_string("accounts/email_changed_email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[old_email],
        reply_to=[support] if support else None,
    ).send()


@shared_task(autoretry_for=(OSError, *TRANSIENT_DATABASE_ERRORS), **EMAIL_RETRY)
def send_email_verification(user_id: int) -> None:
    """E-mail an unverified user a link (``EMAIL_VERIFY_URL`` with ``{token}``) and a 6-digit code, both valid
    ``EMAIL_VERIFICATION_HOURS``. Nothing is sent to a verified, disabled or deleted account. A retry issues a
    new code, which replaces the one whose e-mail failed."""
    from .services import email_verification_issue

    issued = email_verification_issue(user_id=user_id)
    if issued is None:
        return
    user, token, code = issued
    context = {"user": user, "token": token, "code": code, "hours": settings.EMAIL_VERIFICATION_HOURS,
               "verify_url": settings.EMAIL_VERIFY_URL.format(token=token)}
    send_mail(
        subject="Verify your e-mail address",
        message=render_to_string("accounts/email_verification_email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )


def _masked(email: str) -> str:
    """``jane.doe@example.com`` -> ``j***@example.com``: enough for the owner to recognise, not to hand over."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"
