"""The address ranges the guard refuses unless OPTIVUS_DLP_ALLOWED_NETWORKS
names them: an explicit table instead of Python's is_global, whose answer
changes between releases (3.11.7 calls 192.0.0.8-192.0.0.255 global, and
192.0.0.192 is a cloud metadata address; every 3.11 calls fec0::/10 global).

Sources: IANA's IPv4 and IPv6 Special-Purpose Address Registries (every
entry that is not globally reachable, or N/A), the IPv4 multicast space,
and the IPv6 Address Space registry (everything outside 2000::/3, the only
block allocated as global unicast). The IPv6 forms that carry an IPv4
address (IPv4-mapped, IPv4-compatible, NAT64, 6to4) are judged by that IPv4
address (guard.py): the registry's ::ffff:0:0/96 entry is left out for that
reason, and the prefixes here apply to the other IPv6 addresses only.

Blocks are taken whole: 192.0.0.0/24 and 2001::/23 hold a few globally
reachable protocol assignments (PCP, TURN and DNS-SD anycast, AMT, AS112,
ORCHIDv2, DRIP), none of which serves media."""

from __future__ import annotations

import ipaddress

# (range, IANA name, reference)
IPV4 = (
    ("0.0.0.0/8", '"This network"', "RFC 791"),
    ("0.0.0.0/32", '"This host on this network"', "RFC 1122"),
    ("10.0.0.0/8", "Private-Use", "RFC 1918"),
    ("100.64.0.0/10", "Shared Address Space", "RFC 6598"),
    ("127.0.0.0/8", "Loopback", "RFC 1122"),
    ("169.254.0.0/16", "Link Local", "RFC 3927"),
    ("172.16.0.0/12", "Private-Use", "RFC 1918"),
    ("192.0.0.0/24", "IETF Protocol Assignments", "RFC 6890"),
    ("192.0.0.0/29", "IPv4 Service Continuity Prefix", "RFC 7335"),
    ("192.0.0.8/32", "IPv4 dummy address", "RFC 7600"),
    ("192.0.0.170/32", "NAT64/DNS64 Discovery", "RFC 8880"),
    ("192.0.0.171/32", "NAT64/DNS64 Discovery", "RFC 8880"),
    ("192.0.2.0/24", "Documentation (TEST-NET-1)", "RFC 5737"),
    ("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", "RFC 7526"),
    ("192.168.0.0/16", "Private-Use", "RFC 1918"),
    ("198.18.0.0/15", "Benchmarking", "RFC 2544"),
    ("198.51.100.0/24", "Documentation (TEST-NET-2)", "RFC 5737"),
    ("203.0.113.0/24", "Documentation (TEST-NET-3)", "RFC 5737"),
    ("224.0.0.0/4", "Multicast", "RFC 5771"),
    ("240.0.0.0/4", "Reserved", "RFC 1112"),
    ("255.255.255.255/32", "Limited Broadcast", "RFC 919"),
)

IPV6 = (
    # Special-Purpose Address Registry
    ("::1/128", "Loopback Address", "RFC 4291"),
    ("::/128", "Unspecified Address", "RFC 4291"),
    ("64:ff9b:1::/48", "IPv4-IPv6 Translat. (local use)", "RFC 8215"),
    ("100::/64", "Discard-Only Address Block", "RFC 6666"),
    ("2001::/23", "IETF Protocol Assignments", "RFC 2928"),
    ("2001::/32", "TEREDO", "RFC 4380"),
    ("2001:2::/48", "Benchmarking", "RFC 5180"),
    ("2001:10::/28", "Deprecated (previously ORCHID)", "RFC 4843"),
    ("2001:db8::/32", "Documentation", "RFC 3849"),
    ("3fff::/20", "Documentation", "RFC 9637"),
    ("5f00::/16", "Segment Routing (SRv6) SIDs", "RFC 9602"),
    ("fc00::/7", "Unique-Local", "RFC 4193"),
    ("fe80::/10", "Link-Local Unicast", "RFC 4291"),
    # Address Space registry: all but 2000::/3 (Global Unicast)
    ("::/8", "Reserved by IETF", "RFC 4291"),
    ("100::/8", "Reserved by IETF", "RFC 4291"),
    ("200::/7", "Reserved by IETF", "RFC 4048"),
    ("400::/6", "Reserved by IETF", "RFC 4291"),
    ("800::/5", "Reserved by IETF", "RFC 4291"),
    ("1000::/4", "Reserved by IETF", "RFC 4291"),
    ("4000::/3", "Reserved by IETF", "RFC 4291"),
    ("6000::/3", "Reserved by IETF", "RFC 4291"),
    ("8000::/3", "Reserved by IETF", "RFC 4291"),
    ("a000::/3", "Reserved by IETF", "RFC 4291"),
    ("c000::/3", "Reserved by IETF", "RFC 4291"),
    ("e000::/4", "Reserved by IETF", "RFC 4291"),
    ("f000::/5", "Reserved by IETF", "RFC 4291"),
    ("f800::/6", "Reserved by IETF", "RFC 4291"),
    ("fe00::/9", "Reserved by IETF", "RFC 4291"),
    ("fec0::/10", "Reserved by IETF (formerly Site-Local)", "RFC 3879"),
    ("ff00::/8", "Multicast", "RFC 4291"),
)

NON_PUBLIC_V4 = tuple(ipaddress.IPv4Network(cidr) for cidr, _, _ in IPV4)
NON_PUBLIC_V6 = tuple(ipaddress.IPv6Network(cidr) for cidr, _, _ in IPV6)


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether `ip` lies outside every range of the table."""
    table = NON_PUBLIC_V4 if ip.version == 4 else NON_PUBLIC_V6
    return not any(ip in net for net in table)
