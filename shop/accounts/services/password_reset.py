"""Password reset: the e-mailed link, and setting a new password with it (which ends every session)."""

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from shop.core.exceptions import ApplicationError

from ..errors import AccountErrorCode
from ..models import AccountEmail, User
from ..selectors import user_get_by_email
from .emails import account_email_queue
from .users import _validate_password, user_sessions_revoke


def password_reset_request(*, email: str) -> None:
    """Always succeeds from the caller's view, so the answer never tells whether an account exists."""
    user = user_get_by_email(email=email)
    if user is None or not user.is_active or not user.has_usable_password():
        return
    account_email_queue(user=user, kind=AccountEmail.Kind.PASSWORD_RESET)


def password_reset_link_parts(*, user: User) -> tuple[str, str]:
    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    invalid = ApplicationError("The reset link is invalid or has expired.", code=AccountErrorCode.INVALID_RESET_TOKEN)
    try:
        # Locked (see _lock_user) and read fresh: two confirms with one link cannot both pass the token check.
        user = User.objects.select_for_update().get(pk=int(force_str(urlsafe_base64_decode(uid))), is_active=True)
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        raise invalid from None
    if not default_token_generator.check_token(user, token):
        raise invalid
    _validate_password(new_password, user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    user_sessions_revoke(user=user)
    return user
