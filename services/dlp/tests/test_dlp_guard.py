"""The address guard on its own: which addresses pass, and the check at
connect time that defeats DNS rebinding (proxies: test_dlp_proxy.py)."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from optivus_common.errors import PermissionDenied
from optivus_dlp.fetch_handle import FetchHandle
from optivus_dlp.guard import AddressPolicy
from optivus_testing.dlp_site import MediaSite, files_under


@pytest.mark.parametrize("address, allowed", [
    ("93.184.216.34", True), ("8.8.8.8", True), ("2606:4700:4700::1111", True),
    ("127.0.0.1", False), ("127.8.9.10", False), ("10.1.2.3", False), ("172.31.255.255", False),
    ("192.168.0.1", False), ("169.254.169.254", False), ("100.64.1.1", False), ("0.0.0.0", False),
    ("224.0.0.251", False), ("233.252.0.1", False), ("240.0.0.1", False), ("255.255.255.255", False),
    ("::1", False), ("::", False), ("fe80::1", False), ("fc00::1", False), ("ff02::1", False),
    ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False), ("64:ff9b::7f00:1", False),
    ("::ffff:93.184.216.34", True),
])
def test_only_public_unicast_addresses_pass_by_default(address, allowed):
    assert AddressPolicy().allows(address) is allowed


@pytest.mark.parametrize("address, allowed", [
    # 6to4 (2002::/16): the IPv4 address is bits 16-47
    ("2002:7f00:1::", False), ("2002:a9fe:a9fe::", False), ("2002:a00:1::1", False), ("2002:c0a8:1::", False),
    ("2002:5db8:d822::1", True),
    # IPv4-compatible (::/96, deprecated)
    ("::127.0.0.1", False), ("::169.254.169.254", False), ("::10.0.0.1", False), ("::93.184.216.34", True),
    # IPv4-translated (::ffff:0:0:0/96, SIIT)
    ("::ffff:0:7f00:1", False), ("::ffff:0:a9fe:a9fe", False), ("::ffff:0:c0a8:101", False),
    ("::ffff:0:5db8:d822", True),
    # NAT64: well-known prefix unwrapped, local-use prefix refused whatever it embeds
    ("64:ff9b::a9fe:a9fe", False), ("64:ff9b::5db8:d822", True),
    ("64:ff9b:1::7f00:1", False), ("64:ff9b:1:5db8:d8:2200::", False),
])
def test_ipv4_embedded_in_ipv6_is_checked_as_ipv4(address, allowed):
    assert AddressPolicy().allows(address) is allowed


def test_allowed_networks_match_the_embedded_ipv4_address():
    policy = AddressPolicy([ipaddress.ip_network("127.0.0.1/32")])
    for address in ("2002:7f00:1::", "::127.0.0.1", "::ffff:0:7f00:1", "64:ff9b::7f00:1"):
        assert policy.allows(address), address
    assert not policy.allows("2002:7f00:2::") and not policy.allows("::ffff:0:7f00:2")


def test_allowed_networks_open_exactly_what_they_name():
    policy = AddressPolicy([ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.8.0.0/16")])
    assert policy.allows("127.0.0.1") and policy.allows("::ffff:127.0.0.1") and policy.allows("10.8.3.4")
    assert not policy.allows("127.0.0.2") and not policy.allows("10.9.0.1") and not policy.allows("::1")


def test_the_address_is_checked_again_when_connecting(engine_for, site, site_root, monkeypatch):
    """DNS rebinding: the name is public when the URL is checked and
    loopback when yt-dlp connects. The connection goes to neither."""
    engine = engine_for()
    real = socket.getaddrinfo
    answers = iter(["93.184.216.34"])

    def rebinding(host, port, *args, **kwargs):
        if host != "rebind.test":
            return real(host, port, *args, **kwargs)
        address = next(answers, "127.0.0.2")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    with MediaSite(site_root, host="127.0.0.2") as other:
        monkeypatch.setattr(socket, "getaddrinfo", rebinding)
        with pytest.raises(PermissionDenied) as err:
            engine.get_info(f"http://rebind.test:{other.port}/clip.mp4", FetchHandle())
        monkeypatch.undo()
        assert err.value.reason == "ADDRESS_NOT_ALLOWED" and "127.0.0.2" in err.value.message
        assert other.hits == []
    assert files_under(engine.settings.path_video) == []
