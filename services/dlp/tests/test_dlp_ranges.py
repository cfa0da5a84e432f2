"""The guard's table of non-public address ranges (ranges.py), entry by
entry: each is refused from its first to its last address, each can be
opened with OPTIVUS_DLP_ALLOWED_NETWORKS, and the public addresses around
it stay allowed."""

from __future__ import annotations

import ipaddress

import pytest

from optivus_dlp.guard import AddressPolicy
from optivus_dlp.ranges import IPV4, IPV6, NON_PUBLIC_V4, NON_PUBLIC_V6

# Transcribed from IANA's registries separately from ranges.py: the IPv4
# and IPv6 Special-Purpose Address Registries (entries not globally
# reachable, or N/A), IPv4 multicast, and the IPv6 Address Space registry
# outside 2000::/3. Not ::ffff:0:0/96: IPv4-mapped addresses are judged by
# the IPv4 address they carry.
REGISTRY_V4 = {
    "0.0.0.0/8", "0.0.0.0/32", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.0.0/29", "192.0.0.8/32", "192.0.0.170/32", "192.0.0.171/32",
    "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
}
REGISTRY_V6 = {
    "::1/128", "::/128", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001::/32",
    "2001:2::/48", "2001:10::/28", "2001:db8::/32", "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10",
    "::/8", "100::/8", "200::/7", "400::/6", "800::/5", "1000::/4", "4000::/3", "6000::/3", "8000::/3",
    "a000::/3", "c000::/3", "e000::/4", "f000::/5", "f800::/6", "fe00::/9", "fec0::/10", "ff00::/8",
}
ENTRIES = [pytest.param(ipaddress.ip_network(cidr), id=f"{cidr} {name}") for cidr, name, _ in IPV4 + IPV6]
TABLE = NON_PUBLIC_V4 + NON_PUBLIC_V6


def test_the_table_holds_the_registry_entries_and_nothing_else():
    assert {str(n) for n in NON_PUBLIC_V4} == REGISTRY_V4
    assert {str(n) for n in NON_PUBLIC_V6} == REGISTRY_V6


@pytest.mark.parametrize("network", ENTRIES)
def test_every_address_of_an_entry_is_refused(network):
    policy = AddressPolicy()
    middle = network.network_address + network.num_addresses // 2
    for address in (network.network_address, middle, network.broadcast_address):
        assert not policy.allows(address), address


@pytest.mark.parametrize("network", ENTRIES)
def test_allowed_networks_open_an_entry(network):
    policy = AddressPolicy([network])
    assert policy.allows(network.network_address) and policy.allows(network.broadcast_address)


@pytest.mark.parametrize("network", ENTRIES)
def test_public_neighbours_of_an_entry_are_allowed(network):
    """The address just before and just after the entry, unless another
    entry holds it: the table is no wider than the registry."""
    neighbours = []
    if int(network.network_address) > 0:
        neighbours.append(network.network_address - 1)
    if int(network.broadcast_address) < 2 ** network.max_prefixlen - 1:
        neighbours.append(network.broadcast_address + 1)
    for address in neighbours:
        if not any(address in other for other in TABLE if other.version == address.version):
            assert AddressPolicy().allows(address), address


@pytest.mark.parametrize("address", [
    # Python 3.11.7's is_global says yes to these
    "192.0.0.8", "192.0.0.9", "192.0.0.192", "192.0.0.255", "192.88.99.1",
    "fec0::1", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "3fff::1", "5f00::1", "100:1::1", "4000::1",
    # the same through the IPv6 forms that carry an IPv4 address
    "::ffff:192.0.0.192", "2002:c000:c0::1", "64:ff9b::c000:c0", "::192.0.0.192",
])
def test_ranges_python_calls_global_are_refused(address):
    assert not AddressPolicy().allows(address)
