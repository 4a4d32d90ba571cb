"""Registration, login and JWT sessions (refresh, logout, ending every session), password change and profile
updates."""

from dataclasses import dataclass

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import update_last_login
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from shop.core.errors import CoreErrorCode
from shop.core.exceptions import ApplicationError
from shop.events.services import event_record
from shop.events.types import EventType

from ..errors import AccountErrorCode
from ..models import AccountEmail, EmailVerificationCode, User
from ..selectors import user_get_by_email
from ..tokens import REVOKED_MESSAGE, refresh_token_for, token_is_current
from .email_verification import email_verification_request
from .emails import account_email_queue


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def tokens_for(user: User) -> TokenPair:
    """A new session for ``user``: an access and a refresh token stamped with the user's token version."""
    refresh = refresh_token_for(user)
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def _validate_password(password: str, user: User | None = None, *, field: str = "password") -> None:
    """Django's validators, their messages filed under the input field so the client knows what to fix."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc


def _email_taken() -> ApplicationError:
    message = "A user with this email already exists."
    return ApplicationError(message, code=AccountErrorCode.EMAIL_TAKEN, extra={"errors": {"email": [message]}})


@transaction.atomic
def user_register(*, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    email = email.strip().lower()
    if user_get_by_email(email=email) is not None:
        raise _email_taken()
    candidate = User(email=email, first_name=first_name, last_name=last_name)
    _validate_password(password, candidate)
    try:
        # Two sign-ups racing past the check above meet the case-insensitive unique constraint here.
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, first_name=first_name,
                                            last_name=last_name)
    except IntegrityError:
        raise _email_taken() from None
    event_record(type=EventType.CUSTOMER_CREATED, resource_id=user.pk)
    email_verification_request(user=user)
    return user


STAFF_NEEDS_SUPERUSER = "Only a superuser can make an account staff; nothing was created."


def user_create_by_staff(*, actor: User, email: str, password: str, first_name: str = "", last_name: str = "",
                         is_staff: bool = False) -> User:
    """An account created by staff (``POST /auth/users/``): registered as a customer's is, and made staff when
    ``is_staff``, which only a superuser ``actor`` may ask. Anyone else asking is refused (403 ``permission_denied``
    naming ``is_staff``) before anything is created: never an account answered as made with the field dropped."""
    if is_staff and not actor.is_superuser:
        raise ApplicationError(STAFF_NEEDS_SUPERUSER, code=CoreErrorCode.PERMISSION_DENIED, status_code=403,
                               extra={"errors": {"is_staff": [STAFF_NEEDS_SUPERUSER]}})
    with transaction.atomic():
        user = user_register(email=email, password=password, first_name=first_name, last_name=last_name)
        if is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
    return user


def user_login(*, email: str, password: str) -> User:
    """Credentials checked, then ``last_login`` stamped (as SIMPLE_JWT's UPDATE_LAST_LOGIN promises)."""
    user = user_authenticate(email=email, password=password)
    update_last_login(User, user)  # the receiver's signature (sender, user); it ignores the sender
    return user


def user_authenticate(*, email: str, password: str) -> User:
    """Check credentials without revealing which emails exist: an unknown email costs one password hash too."""
    user = user_get_by_email(email=email)
    if user is None:
        make_password(password)  # same work as a real check, so timing does not tell the two apart
        raise ApplicationError("Invalid email or password.", code=AccountErrorCode.INVALID_CREDENTIALS, status_code=401)
    if not user.check_password(password):
        raise ApplicationError("Invalid email or password.", code=AccountErrorCode.INVALID_CREDENTIALS, status_code=401)
    if not user.is_active:
        raise ApplicationError("This account is disabled.", code=AccountErrorCode.ACCOUNT_DISABLED, status_code=403)
    return user


def _lock_user(user_id) -> int | None:
    """Every change to a user's sessions (rotate, log out, revoke all, new password) takes this row lock first,
    so they run one after another: a token presented twice at once is rotated once, and a refresh racing a
    password change cannot leave its new token unrevoked. Returns the user's token version (None: no user)."""
    versions = list(User.objects.select_for_update().filter(pk=user_id).values_list("token_version", flat=True))
    return versions[0] if versions else None


def token_refresh(*, refresh: str) -> TokenPair:
    """Rotate: the presented refresh token is blacklisted and a new pair issued; reuse of the old one is a 401."""
    from rest_framework_simplejwt.serializers import TokenRefreshSerializer

    invalid = ApplicationError("Token is invalid, expired or already used.", code=AccountErrorCode.TOKEN_NOT_VALID,
                               status_code=401)
    try:
        # simplejwt annotates the argument as a Token; it is the encoded string (its docs and its own views).
        token = RefreshToken(refresh)  # type: ignore[arg-type]  # signature, expiry, type, blacklist
    except TokenError as exc:
        raise invalid from exc
    with transaction.atomic():
        version = _lock_user(token.get(jwt_settings.USER_ID_CLAIM))
        if version is not None and not token_is_current(token, version):
            raise ApplicationError(REVOKED_MESSAGE, code=AccountErrorCode.TOKEN_NOT_VALID, status_code=401)
        serializer = TokenRefreshSerializer(data={"refresh": refresh})  # re-checks the blacklist under the lock
        try:
            serializer.is_valid(raise_exception=True)
        except (TokenError, User.DoesNotExist) as exc:
            # simplejwt looks the token's user up with .get(): a deleted account would otherwise be a 500.
            raise invalid from exc
        except AuthenticationFailed as exc:
            # A disabled account. Raised as is, DRF would turn it into a 403 on this unauthenticated view.
            raise ApplicationError(str(exc.detail), code=AccountErrorCode.NO_ACTIVE_ACCOUNT, status_code=401) from exc
    data = serializer.validated_data
    return TokenPair(access=data["access"], refresh=data["refresh"])


@transaction.atomic
def token_blacklist(*, refresh: str, user: User | None = None) -> None:
    """Log a session out. With ``user``, only that user's own token: a leaked token is no licence to end
    someone else's session through this endpoint."""
    invalid = ApplicationError("Refresh token is invalid, expired or already blacklisted.",
                               code=AccountErrorCode.TOKEN_NOT_VALID,
                               status_code=401)
    try:
        token = RefreshToken(refresh)  # type: ignore[arg-type]  # the encoded string, as above
    except TokenError as exc:
        raise invalid from exc
    if user is not None and str(token.get(jwt_settings.USER_ID_CLAIM)) != str(user.pk):
        raise ApplicationError("This refresh token belongs to another account.", code=AccountErrorCode.TOKEN_MISMATCH,
                               status_code=403)
    _lock_user(token.get(jwt_settings.USER_ID_CLAIM))
    try:
        token.check_blacklist()  # again, under the lock: a refresh may have rotated it meanwhile
    except TokenError as exc:
        raise invalid from exc
    token.blacklist()


@transaction.atomic
def user_sessions_revoke(*, user: User) -> None:
    """End every session of ``user`` at once: the token version is bumped (every access and refresh token
    issued before is refused from now on, shop/accounts/tokens.py) and the outstanding refresh tokens are
    blacklisted. Called on a password change, a password reset and a deactivation; ``user.token_version``
    is refreshed, so tokens issued from ``user`` afterwards are current."""
    _lock_user(user.pk)
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    user.refresh_from_db(fields=["token_version"])
    user_blacklist_all_tokens(user=user)


def user_blacklist_all_tokens(*, user: User) -> int:
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    created = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    return len(created)


@transaction.atomic
def user_change_password(*, user: User, old_password: str, new_password: str) -> None:
    """Set ``new_password`` after checking ``old_password``, then end every session of the account.

    Raises 400 ``wrong_password`` (naming ``old_password``), 400 ``password_unchanged`` (naming ``new_password``:
    the same password again would end every session for nothing) and 400 ``invalid`` from Django's password
    validators (naming ``new_password``). Nothing changes on a refusal.
    """
    _lock_user(user.pk)
    if not user.check_password(old_password):
        raise ApplicationError("Old password is incorrect.", code=AccountErrorCode.WRONG_PASSWORD,
                               extra={"errors": {"old_password": ["Old password is incorrect."]}})
    if new_password == old_password:  # the old one was just verified: equal text is the same password
        message = "The new password is the same as the current one; choose a different password."
        raise ApplicationError(message, code=AccountErrorCode.PASSWORD_UNCHANGED,
                               extra={"errors": {"new_password": [message]}})
    _validate_password(new_password, user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    user_sessions_revoke(user=user)


def _current_password_refused(message: str, code: AccountErrorCode) -> ApplicationError:
    return ApplicationError(message, code=code, extra={"errors": {"current_password": [message]}})


@transaction.atomic
def user_update(*, user: User, data: dict, current_password: str | None = None) -> User:
    """Change the profile fields in ``data`` (first_name, last_name, email; anything else is ignored).

    A new login e-mail needs the account's ``current_password`` (a stolen session alone cannot take the
    account over): missing is a 400 ``current_password_required``, wrong a 400 ``wrong_password``, both naming
    ``current_password``. The old address is told of the change by e-mail once it commits. Raises 400
    ``email_taken`` when another account has the address. A new e-mail is unverified: ``is_email_verified``
    drops to False, a pending code dies, and a verification e-mail goes to the new address once it commits.
    """
    allowed = {"first_name", "last_name", "email"}
    if "email" in data:
        data = {**data, "email": data["email"].strip().lower()}
    changed = [field for field in allowed & data.keys() if getattr(user, field) != data[field]]
    old_email = user.email
    if "email" in changed:
        if not current_password:
            raise _current_password_refused("Enter your current password to change your e-mail address.",
                                            AccountErrorCode.CURRENT_PASSWORD_REQUIRED)
        if not user.check_password(current_password):
            raise _current_password_refused("Current password is incorrect.", AccountErrorCode.WRONG_PASSWORD)
        clash = user_get_by_email(email=data["email"])
        if clash is not None and clash.pk != user.pk:
            raise _email_taken()
    for field in changed:
        setattr(user, field, data[field])
    if "email" in changed:
        user.is_email_verified = False
        changed.append("is_email_verified")
    if changed:
        user.full_clean(exclude=["password"])
        user.save(update_fields=changed)
    if "email" in changed:
        EmailVerificationCode.objects.filter(user=user).delete()
        account_email_queue(user=user, kind=AccountEmail.Kind.EMAIL_CHANGED, old_email=old_email)
        email_verification_request(user=user)
    return user
