"""Absolute links to this API (and to its media files), and query strings added to links that may carry a fragment.

The public base URL is, in order: ``PUBLIC_BASE_URL`` when set (production behind a proxy: the name customers
and gateways use); else the scheme and host of the request being answered (``request.build_absolute_uri``, so
``make run`` on any ``PORT``, or a phone on the LAN, gets links it can follow; the host is one of
``ALLOWED_HOSTS``, which Django checks before any view runs); else, with no request (tasks, emails, the
shell), ``http://127.0.0.1:<PORT>``, where ``make run`` serves.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings


def public_base_url(request=None) -> str:
    """``scheme://host[:port]`` with no trailing slash, e.g. ``"http://127.0.0.1:8107"`` (see the module)."""
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL.rstrip("/")
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return settings.PUBLIC_BASE_URL_FALLBACK.rstrip("/")


def absolute_url(url: str, base_url: str) -> str:
    """``url`` as a link a page on another origin can follow.

    An absolute URL (``https://bucket.s3.amazonaws.com/products/7/a.jpg`` from S3 storage or an absolute
    ``MEDIA_URL``, an ``image_url`` staff typed) or a scheme-relative ``//cdn.example/a.jpg`` is returned
    unchanged; a path (``/media/products/7/a.jpg``, what the file storage gives) gets ``base_url`` in front, which
    callers take from :func:`public_base_url` (``"http://a.test"`` + path). ``""`` stays ``""`` (no image).
    """
    if not url or urlsplit(url).scheme or url.startswith("//"):
        return url
    return f"{base_url.rstrip('/')}{url if url.startswith('/') else '/' + url}"


def origin_of(url: str) -> str:
    """``"https://shop.example:8443"`` for any absolute http(s) URL; ``""`` for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    default_port = {"http": 80, "https": 443}[parts.scheme]
    try:
        port = parts.port
    except ValueError:  # a port that is not a number or out of range
        return ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default_port else "")


def url_with_query(url: str, **params: str) -> str:
    """``url`` with ``params`` set in its query string, before any ``#fragment`` (a single-page app's route).

    ``url_with_query("http://h/demo/#/orders/7", status="paid")`` -> ``"http://h/demo/?status=paid#/orders/7"``;
    a parameter already in the query is replaced, the others are kept.
    """
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key not in params]
    query.extend(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))
