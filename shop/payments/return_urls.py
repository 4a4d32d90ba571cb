"""Where a customer's browser goes back to after a hosted payment page: the checkout's ``return_url``.

A payment page that redirects anywhere a caller names is an open redirect (a phishing link that starts on the
shop's own domain). So a client's ``return_url`` must be an http(s) URL on an allowed origin: this API's own
(the request's scheme and Host, and ``PUBLIC_BASE_URL``), ``CORS_ALLOWED_ORIGINS`` (the front ends already
trusted with credentials), ``PAYMENT_RETURN_ORIGINS``, and ``PAYMENT_RETURN_URL``'s.
"""

import re
from urllib.parse import urlsplit

from django.conf import settings

from shop.core.exceptions import ApplicationError
from shop.core.links import origin_of, public_base_url, url_with_query

from .errors import PaymentErrorCode

RETURN_URL_MAX_LENGTH = 400  # it travels inside the sandbox page's token, itself inside a 1000-character URL
# "{order_id}" / "{order_key}", also as a browser's URL parser writes them in a path ("%7Border_id%7D").
PLACEHOLDER = re.compile(r"(?:\{|%7B)order_(id|key)(?:\}|%7D)", re.IGNORECASE)


def _ambiguous(url: str) -> bool:
    """Parts on which Python and browsers disagree about the host: ``http://evil.example\\@shop.example/``
    is ``evil.example`` to a browser (a backslash is a slash) but ``shop.example`` to ``urlsplit``; user info
    and control characters have no place in a return link either."""
    if "\\" in url or any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in url):
        return True
    try:
        return "@" in urlsplit(url).netloc
    except ValueError:
        return True


def return_origins_allowed(request=None) -> set[str]:
    """The origins (``scheme://host[:port]``) a ``return_url`` may point at, for this request."""
    candidates = [
        public_base_url(request),
        settings.PUBLIC_BASE_URL,
        request.build_absolute_uri("/") if request is not None else "",
        settings.PAYMENT_RETURN_URL,
        *settings.CORS_ALLOWED_ORIGINS,
        *settings.PAYMENT_RETURN_ORIGINS,
    ]
    return {origin for origin in map(origin_of, candidates) if origin}


def return_url_check(url: str, *, request=None) -> str:
    """``url`` itself when it may be redirected to (``""`` passes: no return URL); else a 400.

    A path on this site (``"/demo/#/orders/{order_id}"``: one leading slash) is resolved against the site's
    public base URL for this request (``public_base_url``: ``PUBLIC_BASE_URL``, else the request's own origin)
    and the absolute URL is returned; ``"//host/..."`` (another host) is not a path and is checked as a URL.
    Raises ``ApplicationError`` with code ``return_url_not_allowed`` and ``errors.return_url``.
    """
    if not url:
        return ""
    if url.startswith("/") and not url.startswith("//") and (request is not None or settings.PUBLIC_BASE_URL):
        url = public_base_url(request) + url
    if len(url) > RETURN_URL_MAX_LENGTH:
        message = f"return_url is longer than {RETURN_URL_MAX_LENGTH} characters."
    elif not _ambiguous(url) and origin_of(url) and origin_of(url) in return_origins_allowed(request):
        return url
    else:
        message = ("return_url must be an http(s) URL on this site or on an origin listed in "
                   "CORS_ALLOWED_ORIGINS or PAYMENT_RETURN_ORIGINS.")
    raise ApplicationError(message,
                           code=PaymentErrorCode.RETURN_URL_NOT_ALLOWED, extra={"errors": {"return_url": [message]}})


def return_url_for_order(*, return_url: str, order_id: int, order_key: str) -> str:
    """The URL handed to the gateway: the client's ``return_url`` with ``{order_id}``/``{order_key}`` filled in
    and ``order_key`` added to its query (a front end finds the order on the way back), else the configured
    ``PAYMENT_RETURN_URL`` (``""`` when none: the gateway's own default).

    Placeholders are replaced as plain text, never with ``str.format`` (a client's string is not a template).
    """
    if not return_url:
        return settings.PAYMENT_RETURN_URL.format(order_id=order_id, order_key=order_key)
    values = {"id": str(order_id), "key": order_key}
    filled = PLACEHOLDER.sub(lambda match: values[match.group(1).lower()], return_url)
    return url_with_query(filled, order_key=order_key)
