"""Where a webhook may be sent: never to this machine, a private network, a link-local or cloud metadata address.

Checked when an endpoint is created or changed (``url_check``) and again before every attempt
(``url_resolve``), because DNS can change between the two. The attempt then connects to the address that was
checked (``Target``: the IP in the URL, the name in ``Host`` and in TLS's SNI, which is also the name the
certificate is verified against), so a name cannot resolve to a public address for the check and to a private
one for the connection (DNS rebinding). ``WEBHOOK_ALLOW_LOOPBACK`` lets loopback addresses through, for local
development and the tests; private, link-local and metadata addresses stay refused. An IPv6 address that carries
an IPv4 one (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo: ``embedded_ipv4``) is judged by that IPv4 as well,
and an embedded loopback is refused even with ``WEBHOOK_ALLOW_LOOPBACK``.
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


_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))  # RFC 6052, RFC 8215
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # RFC 4291's deprecated ::a.b.c.d


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries and may reach: IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible
    ``::a.b.c.d``, NAT64 ``64:ff9b::/96`` (and the local-use ``64:ff9b:1::/48``; the IPv4 is the last 32 bits),
    6to4 ``2002:AABB:CCDD::/16`` and Teredo ``2001::/32`` (its server and its de-obfuscated client). Empty for
    any other address. Sources: RFC 4291 2.5.5, RFC 6052 2.2, RFC 8215, RFC 3056 2, RFC 4380 4."""
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if any(address in network for network in _NAT64):
        found.append(low32)
    if address in _IPV4_COMPATIBLE and int(address) > 1:  # not :: (unspecified) or ::1 (loopback), judged as IPv6
        found.append(low32)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    return found


def _refused_reason(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(address, ipaddress.IPv6Address):
        for inner in embedded_ipv4(address):
            reason = _judge(inner, embedded=True)
            if reason:
                return f"{reason} (the IPv4 {inner} embedded in an IPv6 address)"
    return _judge(address)


def _judge(address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, embedded: bool = False) -> str | None:
    if address.is_loopback:
        # WEBHOOK_ALLOW_LOOPBACK is for a receiver on this machine (127.0.0.1, ::1); a loopback IPv4 wrapped in
        # IPv6 reaches some translator's own loopback, never that, so it stays refused.
        return None if settings.WEBHOOK_ALLOW_LOOPBACK and not embedded else "a loopback address"
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
    try:
        port = parts.port  # urllib raises ValueError for a port that is not a number or above 65535
    except ValueError:
        port = 0
    if port is not None and not 1 <= port <= 65535:
        raise UnsafeURL("The webhook URL's port is not a port number.",
                        extra={"errors": {"url": ["Use a port from 1 to 65535, or none."]}})
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
