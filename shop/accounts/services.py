from dataclasses import dataclass

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import update_last_login
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from shop.core.exceptions import ApplicationError
from shop.core.tasks import enqueue_on_commit
from shop.events.services import event_record
from shop.events.types import EventType

from . import verification
from .models import Address, EmailVerificationCode, User
from .selectors import user_get_by_email
from .tokens import REVOKED_MESSAGE, refresh_token_for, token_is_current


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
    return ApplicationError(message, code="email_taken", extra={"errors": {"email": [message]}})


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
        raise ApplicationError("Invalid email or password.", code="invalid_credentials", status_code=401)
    if not user.check_password(password):
        raise ApplicationError("Invalid email or password.", code="invalid_credentials", status_code=401)
    if not user.is_active:
        raise ApplicationError("This account is disabled.", code="account_disabled", status_code=403)
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

    invalid = ApplicationError("Token is invalid, expired or already used.", code="token_not_valid", status_code=401)
    try:
        # simplejwt annotates the argument as a Token; it is the encoded string (its docs and its own views).
        token = RefreshToken(refresh)  # type: ignore[arg-type]  # signature, expiry, type, blacklist
    except TokenError as exc:
        raise invalid from exc
    with transaction.atomic():
        version = _lock_user(token.get(jwt_settings.USER_ID_CLAIM))
        if version is not None and not token_is_current(token, version):
            raise ApplicationError(REVOKED_MESSAGE, code="token_not_valid", status_code=401)
        serializer = TokenRefreshSerializer(data={"refresh": refresh})  # re-checks the blacklist under the lock
        try:
            serializer.is_valid(raise_exception=True)
        except (TokenError, User.DoesNotExist) as exc:
            # simplejwt looks the token's user up with .get(): a deleted account would otherwise be a 500.
            raise invalid from exc
        except AuthenticationFailed as exc:
            # A disabled account. Raised as is, DRF would turn it into a 403 on this unauthenticated view.
            raise ApplicationError(str(exc.detail), code="no_active_account", status_code=401) from exc
    data = serializer.validated_data
    return TokenPair(access=data["access"], refresh=data["refresh"])


@transaction.atomic
def token_blacklist(*, refresh: str, user: User | None = None) -> None:
    """Log a session out. With ``user``, only that user's own token: a leaked token is no licence to end
    someone else's session through this endpoint."""
    invalid = ApplicationError("Refresh token is invalid, expired or already blacklisted.", code="token_not_valid",
                               status_code=401)
    try:
        token = RefreshToken(refresh)  # type: ignore[arg-type]  # the encoded string, as above
    except TokenError as exc:
        raise invalid from exc
    if user is not None and str(token.get(jwt_settings.USER_ID_CLAIM)) != str(user.pk):
        raise ApplicationError("This refresh token belongs to another account.", code="token_mismatch",
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
        raise ApplicationError("Old password is incorrect.", code="wrong_password",
                               extra={"errors": {"old_password": ["Old password is incorrect."]}})
    if new_password == old_password:  # the old one was just verified: equal text is the same password
        message = "The new password is the same as the current one; choose a different password."
        raise ApplicationError(message, code="password_unchanged", extra={"errors": {"new_password": [message]}})
    _validate_password(new_password, user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    user_sessions_revoke(user=user)


def _current_password_refused(message: str, code: str) -> ApplicationError:
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
                                            "current_password_required")
        if not user.check_password(current_password):
            raise _current_password_refused("Current password is incorrect.", "wrong_password")
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
        from .tasks import send_email_changed_notice

        EmailVerificationCode.objects.filter(user=user).delete()
        enqueue_on_commit(send_email_changed_notice, user.pk, old_email)
        email_verification_request(user=user)
    return user


# --- e-mail verification ------------------------------------------------------------------------------------

_ASK_AGAIN = "ask for a new one with POST /auth/verify-email/request/"


def email_verification_request(*, user: User) -> bool:
    """Send ``user`` a verification e-mail (a link and a code) once the current transaction commits.

    Returns False, sending nothing, when the address is already verified. The link and code are made by the
    task (:func:`email_verification_issue`), so no secret waits in the broker.
    """
    from .tasks import send_email_verification

    if user.is_email_verified:
        return False
    enqueue_on_commit(send_email_verification, user.pk)
    return True


@transaction.atomic
def email_verification_issue(*, user_id: int) -> tuple[User, str, str] | None:
    """A fresh ``(user, link token, code)`` for an active, unverified user; None otherwise (nothing to send).

    The code replaces any pending one (its hash stored, ``EMAIL_VERIFICATION_HOURS`` to live, 0 attempts
    spent); earlier links stay valid until they expire or the state they vouch for changes.
    """
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True, is_email_verified=False).first()
    if user is None:
        return None
    code = verification.code_make()
    EmailVerificationCode.objects.update_or_create(user=user, defaults={
        "email": user.email,
        "code_hash": verification.code_hash(user_id=user.pk, email=user.email, code=code),
        "expires_at": timezone.now() + verification.lifetime(),
        "attempts": 0,
    })
    return user, verification.token_make(user), code


def _mark_verified(user: User) -> None:
    user.is_email_verified = True
    user.save(update_fields=["is_email_verified"])
    EmailVerificationCode.objects.filter(user=user).delete()


@transaction.atomic
def email_verification_confirm_token(*, token: str) -> User:
    """Verify the e-mail a link token was made for. Needs no session: the token names its user.

    Raises 400 ``verification_expired`` for a genuine token older than ``EMAIL_VERIFICATION_HOURS``, 400
    ``verification_invalid`` for anything else that fails: tampered, an unknown or disabled user, an e-mail
    changed since, a link already used (the verified flag is part of what it signs), a password changed since.
    The user row is locked and read fresh, so a racing e-mail change cannot be verified by the old address.
    """
    invalid = ApplicationError(f"This verification link is invalid or has already been used; {_ASK_AGAIN}.",
                               code="verification_invalid")
    try:
        user_id = verification.token_user_id(token)
    except verification.TokenExpired:
        raise ApplicationError(f"This verification link has expired; {_ASK_AGAIN}.",
                               code="verification_expired") from None
    except verification.TokenInvalid:
        raise invalid from None
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    if user is None or not verification.token_matches(token, user):
        raise invalid
    _mark_verified(user)
    return user


def email_verification_confirm_code(*, user: User, code: str) -> bool:
    """Verify ``user``'s e-mail with the code sent to it. Returns False when it was already verified.

    Every try spends one of the code's ``MAX_ATTEMPTS`` through a guarded UPDATE, so parallel guesses cannot
    try more. Raises 400 ``verification_invalid`` (no pending code, a code for an address the user has left,
    or a wrong code: ``attempts_left`` says how many tries remain), ``verification_expired``, or
    ``too_many_attempts`` (the code is spent; a new one must be requested). A wrong try stays counted: the
    error is raised after the transaction that counted it commits.
    """
    error = None
    with transaction.atomic():
        fresh = User.objects.select_for_update().get(pk=user.pk)
        if fresh.is_email_verified:
            return False
        pending = EmailVerificationCode.objects.filter(user=fresh).first()
        if pending is None or pending.email != fresh.email:
            error = ApplicationError(f"No verification code is pending for your address; {_ASK_AGAIN}.",
                                     code="verification_invalid", extra={"attempts_left": 0})
        elif pending.expires_at <= timezone.now():
            error = ApplicationError(f"This code has expired; {_ASK_AGAIN}.", code="verification_expired")
        else:
            error = _spend_code_attempt(fresh, pending, code)
        if error is None:
            _mark_verified(fresh)
            user.is_email_verified = True
    if error is not None:
        raise error
    return True


def _spend_code_attempt(user: User, pending: EmailVerificationCode, code: str) -> ApplicationError | None:
    """One try: None when ``code`` is right, else the error to answer (the try is counted either way)."""
    limit = EmailVerificationCode.MAX_ATTEMPTS
    spent = EmailVerificationCode.objects.filter(pk=pending.pk, attempts__lt=limit).update(
        attempts=F("attempts") + 1)
    too_many = ApplicationError(f"Too many wrong codes; this one no longer works, {_ASK_AGAIN}.",
                                code="too_many_attempts", extra={"attempts_left": 0})
    if not spent:
        return too_many
    if verification.code_matches(stored_hash=pending.code_hash, user_id=user.pk, email=user.email, code=code):
        return None
    left = limit - pending.attempts - 1
    if left <= 0:
        return too_many
    return ApplicationError(f"The code is not right; {left} {'try' if left == 1 else 'tries'} left.",
                            code="verification_invalid", extra={"attempts_left": left})


def password_reset_request(*, email: str) -> None:
    """Always succeeds from the caller's view, so the answer never tells whether an account exists."""
    from .tasks import send_password_reset_email

    user = user_get_by_email(email=email)
    if user is None or not user.is_active or not user.has_usable_password():
        return
    enqueue_on_commit(send_password_reset_email, user.pk)


def password_reset_link_parts(*, user: User) -> tuple[str, str]:
    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    invalid = ApplicationError("The reset link is invalid or has expired.", code="invalid_reset_token")
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


def _address_book_lock(user: User) -> None:
    """Serialise one user's address-book writes: concurrent "first address" or "make default" requests would
    otherwise each see no other default and collide on the one-default constraint."""
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))


@transaction.atomic
def address_save(*, user: User, data: dict, address: Address | None = None) -> Address:
    """Create or update an address book entry; making one the default unsets the previous default."""
    _address_book_lock(user)
    address = address or Address(user=user)
    for field, value in data.items():
        setattr(address, field, value)
    if address.country:
        address.country = address.country.upper()
    first = not Address.objects.filter(user=user).exclude(pk=address.pk).exists()
    if first:
        address.is_default = True
    if address.is_default:
        Address.objects.filter(user=user, is_default=True).exclude(pk=address.pk).update(is_default=False)
    address.full_clean()
    address.save()
    return address


@transaction.atomic
def address_delete(*, address: Address) -> None:
    _address_book_lock(address.user)
    was_default, user = address.is_default, address.user
    address.delete()
    if was_default:
        successor = Address.objects.filter(user=user).order_by("-id").first()
        if successor:
            successor.is_default = True
            successor.save(update_fields=["is_default"])
