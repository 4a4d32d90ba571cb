"""Account writes, one module per responsibility: registration, login, tokens, passwords and profile (``users``),
e-mail verification (``email_verification``), password reset (``password_reset``), the address book
(``addresses``), account e-mails queued with their claim and swept when no task sent them (``emails``). Callers
import from ``shop.accounts.services``.
"""

from .addresses import address_delete, address_save
from .email_verification import (
    email_verification_confirm_code,
    email_verification_confirm_token,
    email_verification_issue,
    email_verification_request,
)
from .emails import account_email_queue, account_emails_sweep
from .password_reset import password_reset_confirm, password_reset_link_parts, password_reset_request
from .users import (
    TokenPair,
    token_blacklist,
    token_refresh,
    tokens_for,
    user_authenticate,
    user_blacklist_all_tokens,
    user_change_password,
    user_create_by_staff,
    user_login,
    user_register,
    user_sessions_revoke,
    user_update,
)

__all__ = [
    "TokenPair", "tokens_for", "user_register", "user_create_by_staff", "user_login", "user_authenticate",
    "token_refresh", "token_blacklist",
    "user_sessions_revoke", "user_blacklist_all_tokens", "user_change_password", "user_update",
    "email_verification_request", "email_verification_issue", "email_verification_confirm_token",
    "email_verification_confirm_code",
    "password_reset_request", "password_reset_link_parts", "password_reset_confirm",
    "address_save", "address_delete", "account_email_queue", "account_emails_sweep",
]
