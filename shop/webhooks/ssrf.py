"""Where a webhook may be sent: never to this machine, a private network, a link-local or cloud metadata address.

Checked when an endpoint is created or changed (``url_check``) and again before every attempt
(``url_resolve``), because DNS can change between the two. The attempt then connects to the address that was
checked (``Target``: the IP in the URL, the name in ``Host`` and in TLS's SNI, which is also the name the
certificate is verified against), so a name cannot resolve to a public address for the check and to a private
one for the connection (DNS rebinding). ``WEBHOOK_ALLOW_LOOPBACK`` lets loopback addresses through, for local
development and the tests; private, link-local and metadata addresses stay refused.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from shop.core.exceptions import ApplicationError

from .errors import WebhookErrorCode


class UnsafeURL(ApplicationError):
    default_code = WebhookErrorCode.WEBHOOK_URL_REFUSED


@dataclass(frozen=True)
class Target:
    """Where one attempt connects: ``url`` has the checked IP as its host; ``host`` goes in ``Host`` and SNI."""

    url: str
    host: str
    hostname: str


def _refused_reason(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    if address.is_loopback:
        return None if settings.WEBHOOK_ALLOW_LOOPBACK else "a loopback address"
    if address.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if address.is_private:
        return "a private address"
    if not address.is_global or address.is_multicast:
        return "an address that is not public"
    return None


def _parts(url: str):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL("The webhook URL must be http or https.", extra={"errors": {"url": ["Use http or https."]}})
    if not parts.hostname:
        raise UnsafeURL("The webhook URL has no host.", extra={"errors": {"url": ["The URL has no host."]}})
    if parts.username or parts.password:
        raise UnsafeURL("The webhook URL may not carry a user name or password.",
                        extra={"errors": {"url": ["Remove the user name and password from the URL."]}})
    return parts


def url_resolve(url: str) -> Target:
    """Resolve ``url``'s host and answer where to connect; raise :class:`UnsafeURL` (400 ``webhook_url_refused``,
    naming ``url``) if it does not resolve or any of its addresses is refused."""
    parts = _parts(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeURL(f"The webhook host {parts.hostname!r} does not resolve.",
                        extra={"errors": {"url": ["The host name does not resolve."]}}) from None
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    for address in addresses:
        reason = _refused_reason(address)
        if reason:
            raise UnsafeURL(f"The webhook host {parts.hostname!r} resolves to {reason} ({address}).",
                            extra={"errors": {"url": [f"Resolves to {reason}."]}})
    chosen = addresses[0]
    literal = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    return Target(url=urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")),
                  host=parts.netloc, hostname=parts.hostname)


def url_check(url: str) -> None:
    """Refuse (``UnsafeURL``) a URL this shop must never call; see the module's docstring."""
    url_resolve(url)
