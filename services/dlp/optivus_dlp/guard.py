"""Which URLs and addresses the service may fetch (the SSRF guard).

Only http and https. A host must resolve to public addresses: loopback,
private, link-local, multicast, reserved and the other ranges of IANA's
special-purpose registries (ranges.py) are refused unless they lie in
OPTIVUS_DLP_ALLOWED_NETWORKS. The check runs on the client's URL, on every
request yt-dlp makes (redirects included) and, against DNS rebinding, on
the very address each socket connects to."""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse
from collections.abc import Sequence

from optivus_common.errors import InvalidArgument, PermissionDenied

from .ranges import is_public

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

SCHEMES = ("http", "https")
MAX_URL_LENGTH = 4096


# IPv6 ranges whose last 32 bits are an IPv4 address: NAT64 (RFC 6052),
# IPv4-compatible (deprecated, RFC 4291) and IPv4-translated (SIIT, RFC 2765).
_LOW_32_EMBEDS = tuple(ipaddress.IPv6Network(n) for n in ("64:ff9b::/96", "::/96", "::ffff:0:0:0/96"))


def _unwrap(ip: Address) -> Address:
    """The IPv4 address an IPv6 address stands for: IPv4-mapped,
    IPv4-compatible, IPv4-translated, NAT64 and 6to4 (2002::/16) forms."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if any(ip in net for net in _LOW_32_EMBEDS):
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


class AddressPolicy:
    def __init__(self, allowed_networks: Sequence[Network] = ()) -> None:
        self._allowed = list(allowed_networks)

    def allows(self, ip: Address | str) -> bool:
        ip = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
        ip = ipaddress.ip_address(str(ip).split("%", 1)[0])  # drop an IPv6 zone id
        inner = _unwrap(ip)
        if any(ip in net or inner in net for net in self._allowed):
            return True
        return is_public(inner)  # an IPv6 form of an IPv4 address is judged by the IPv4 address

    def resolve(self, host: str, port: int) -> list[tuple]:
        """getaddrinfo results for host:port whose address this policy
        allows. Raises PermissionDenied when none is, InvalidArgument when
        the host does not resolve."""
        try:
            infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise InvalidArgument(f"the host {host!r} could not be resolved ({exc})",
                                  reason="HOST_NOT_FOUND", host=host) from None
        allowed = [info for info in infos if self.allows(info[4][0])]
        if not allowed:
            refused = ", ".join(sorted({info[4][0] for info in infos}))
            what = refused if refused == host.strip("[]") else f"{host!r} (it resolves to {refused})"
            raise PermissionDenied(
                f"this server may not fetch from {what}: loopback, private, link-local, multicast and "
                "reserved addresses are refused", reason="ADDRESS_NOT_ALLOWED", host=host)
        return allowed


def parse_url(url: str) -> urllib.parse.SplitResult:
    """Checks the form of a client's URL: http(s), a host, a sane length."""
    if not url or not url.strip():
        raise InvalidArgument("the URL is empty", reason="URL_MISSING")
    if len(url) > MAX_URL_LENGTH or any(c in url for c in "\x00\r\n\t "):
        raise InvalidArgument("the URL is malformed", reason="INVALID_URL")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidArgument(f"the URL is malformed ({exc})", reason="INVALID_URL") from None
    if parts.scheme.lower() not in SCHEMES:
        raise InvalidArgument(f"unsupported URL scheme {parts.scheme!r}: only http and https URLs are fetched",
                              reason="UNSUPPORTED_SCHEME", scheme=parts.scheme)
    if not parts.hostname:
        raise InvalidArgument("the URL has no host", reason="INVALID_URL")
    if port == 0:
        raise InvalidArgument("the URL has port 0", reason="INVALID_URL")
    return parts


def check_url(url: str, policy: AddressPolicy) -> None:
    """parse_url plus the address check (resolves the host)."""
    parts = parse_url(url)
    default = 443 if parts.scheme.lower() == "https" else 80
    policy.resolve(parts.hostname, parts.port or default)
