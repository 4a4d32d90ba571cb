"""JWTs that end when the account's credentials change.

Every token carries the user's ``token_version`` as it was when the token was issued. A password change, a
password reset and a deactivation bump the version (``services.user_sessions_revoke``), so every token issued
before stops working at once: access tokens where the user row is loaded anyway (``JWTAuthentication.get_user``,
no extra query), refresh tokens under the user row lock in ``services.token_refresh`` (and they are blacklisted
too). Tokens from before the claim existed count as version 0, which the first change already outdates.
"""

from rest_framework_simplejwt.tokens import RefreshToken, Token

TOKEN_VERSION_CLAIM = "token_version"
REVOKED_MESSAGE = "This session has ended (password changed or reset, or account disabled); log in again."


def refresh_token_for(user) -> RefreshToken:
    """A new refresh token (recorded as outstanding) for ``user``, stamped with the user's token version; the
    access token derived from it (``.access_token``) and the refresh tokens rotated from it keep the stamp."""
    refresh = RefreshToken.for_user(user)
    refresh[TOKEN_VERSION_CLAIM] = user.token_version
    return refresh


def token_is_current(token: Token, token_version: int) -> bool:
    """Whether ``token`` was issued at the user's current ``token_version`` (an unstamped token counts as 0)."""
    return token.get(TOKEN_VERSION_CLAIM, 0) == token_version
