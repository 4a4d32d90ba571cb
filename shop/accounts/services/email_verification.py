"""E-mail verification: the e-mail with a link and a code, and confirming with either."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from shop.core.exceptions import ApplicationError

from .. import verification
from ..errors import AccountErrorCode
from ..models import AccountEmail, EmailVerificationCode, User
from .emails import account_email_queue

# --- e-mail verification ------------------------------------------------------------------------------------

_ASK_AGAIN = "ask for a new one with POST /auth/verify-email/request/"


def email_verification_request(*, user: User) -> bool:
    """Send ``user`` a verification e-mail (a link and a code) once the current transaction commits.

    Returns False, sending nothing, when the address is already verified. The link and code are made by the
    task when it sends (:func:`email_verification_issue`), so no secret waits in the database or the broker.
    """
    if user.is_email_verified:
        return False
    account_email_queue(user=user, kind=AccountEmail.Kind.EMAIL_VERIFICATION)
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
                               code=AccountErrorCode.VERIFICATION_INVALID)
    try:
        user_id = verification.token_user_id(token)
    except verification.TokenExpired:
        raise ApplicationError(f"This verification link has expired; {_ASK_AGAIN}.",
                               code=AccountErrorCode.VERIFICATION_EXPIRED) from None
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
                                     code=AccountErrorCode.VERIFICATION_INVALID, extra={"attempts_left": 0})
        elif pending.expires_at <= timezone.now():
            error = ApplicationError(f"This code has expired; {_ASK_AGAIN}.",
                                     code=AccountErrorCode.VERIFICATION_EXPIRED)
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
                                code=AccountErrorCode.TOO_MANY_ATTEMPTS, extra={"attempts_left": 0})
    if not spent:
        return too_many
    if verification.code_matches(stored_hash=pending.code_hash, user_id=user.pk, email=user.email, code=code):
        return None
    left = limit - pending.attempts - 1
    if left <= 0:
        return too_many
    return ApplicationError(f"The code is not right; {left} {'try' if left == 1 else 'tries'} left.",
                            code=AccountErrorCode.VERIFICATION_INVALID, extra={"attempts_left": left})
