"""The one message for a refused CSRF check, from DRF views (cookie auth) and Django's CSRF_FAILURE_VIEW alike.

Kept free of DRF imports: the authentication class that DRF's settings load imports it.
"""


def csrf_failure_detail(reason: str) -> str:
    """The 403 ``csrf_failed`` message: Django's reason, then what the client or the operator must do."""
    return (f"CSRF Failed: {reason.rstrip('.')}. Cookie-authenticated writes must send the csrftoken cookie's value in "
            "X-CSRFToken (GET /auth/csrf/ sets the cookie and answers the token), and a front end served from "
            "another origin must be listed in CSRF_TRUSTED_ORIGINS (and CORS_ALLOWED_ORIGINS).")
