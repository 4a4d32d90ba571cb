"""The accounts app's error codes (see ``shop.core.errors`` for the convention)."""

from enum import StrEnum


class AccountErrorCode(StrEnum):
    """Refusals of registration, login, tokens, passwords, e-mail verification and password reset."""

    EMAIL_TAKEN = "email_taken"  # another account already uses this e-mail address (400, ``errors.email``)
    INVALID_CREDENTIALS = "invalid_credentials"  # login: wrong e-mail or password (401)
    ACCOUNT_DISABLED = "account_disabled"  # login: the account is deactivated (403)
    # A JWT (access or refresh) that is malformed, expired, blacklisted or issued before the sessions were ended
    # (401); simplejwt raises it too.
    TOKEN_NOT_VALID = "token_not_valid"
    NO_ACTIVE_ACCOUNT = "no_active_account"  # a refresh token whose user is gone or inactive (401)
    TOKEN_MISMATCH = "token_mismatch"  # logout with another account's refresh token (403)
    REFRESH_MISSING = "refresh_missing"  # no refresh token in the body or the cookies (400)
    # simplejwt's JWT authentication: an Authorization header it cannot parse, a token's user missing or inactive.
    BAD_AUTHORIZATION_HEADER = "bad_authorization_header"
    USER_NOT_FOUND = "user_not_found"
    USER_INACTIVE = "user_inactive"
    WRONG_PASSWORD = "wrong_password"  # the current password given to change a password or e-mail is wrong (400)
    PASSWORD_UNCHANGED = "password_unchanged"  # the new password is the current one (400, ``errors.new_password``)
    CURRENT_PASSWORD_REQUIRED = "current_password_required"  # an e-mail change sent without the password (400)
    VERIFICATION_INVALID = "verification_invalid"  # a tampered, used or outdated link, or a wrong code (400)
    VERIFICATION_EXPIRED = "verification_expired"  # the verification link or code is past its time (400)
    TOO_MANY_ATTEMPTS = "too_many_attempts"  # the verification code's tries are spent (400)
    INVALID_RESET_TOKEN = "invalid_reset_token"  # a password-reset link that is invalid or expired (400)
    # un-flagging the default address (409): make another address the default instead
    ADDRESS_DEFAULT_REQUIRED = "address_default_required"
    EMAIL_NOT_VERIFIED = "email_not_verified"  # what needs a verified e-mail (claiming guest orders) refused (403)
