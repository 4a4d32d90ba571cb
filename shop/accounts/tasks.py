from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from .models import User


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
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
