"""The address guard with a proxy configured. The proxy (a real forward
proxy on 127.0.0.2) shares its host with a server the guard must keep the
service away from: only connections that really go through the proxy may
reach that host, and only at the proxy's port."""

from __future__ import annotations

import os
import urllib.parse

import pytest
from dlp_proxy import ForwardProxy

from optivus_common.errors import OptivusError, PermissionDenied
from optivus_dlp.fetch_handle import FetchHandle
from optivus_testing.dlp_site import MediaSite, files_under

pytestmark = pytest.mark.integration  # a real forward proxy and site, many connections: about 20 s

PRIVATE = "127.0.0.2"  # loopback, but not in the tests' OPTIVUS_DLP_ALLOWED_NETWORKS (127.0.0.1/32)


@pytest.fixture
def proxy_env(monkeypatch):
    """Sets the proxy variables given, after removing any the machine has."""

    def use(**values: str) -> None:
        for name in list(os.environ):
            if name.lower().endswith("_proxy"):
                monkeypatch.delenv(name)
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return use


@pytest.fixture
def private(site_root):
    with MediaSite(site_root, host=PRIVATE) as running:
        yield running


@pytest.fixture
def proxy():
    with ForwardProxy(PRIVATE) as running:
        yield running


def _leads_to(site, target: MediaSite | ForwardProxy, how: str) -> str:
    """A URL on the test site that makes yt-dlp fetch from `target`."""
    base = f"http://{target.host}:{target.port}/"
    quoted = urllib.parse.quote
    return {"redirect": site.url(f"redirect?to={quoted(base + 'clip.mp4')}"),
            "hls segment": site.url(f"elsewhere.m3u8?base={quoted(base + 'hls/')}"),
            "embedded video": site.url(f"embed.html?src={quoted(base + 'clip.mp4')}")}[how]


def _fails(fn, *args) -> OptivusError:
    with pytest.raises(OptivusError) as err:
        fn(*args)
    return err.value


@pytest.mark.parametrize("how", ["redirect", "hls segment", "embedded video"])
@pytest.mark.parametrize("variables", ["HTTPS_PROXY", "HTTP_PROXY, NO_PROXY", "OPTIVUS_DLP_PROXY, NO_PROXY"])
def test_a_direct_connection_to_the_proxys_host_is_checked(engine_for, site, private, proxy, proxy_env,
                                                           how, variables):
    """HTTPS_PROXY leaves http:// URLs direct; NO_PROXY makes the private
    host direct (urllib reads it even where yt-dlp's own proxy setting
    says otherwise). Either way its connection goes through the guard."""
    if variables == "HTTPS_PROXY":
        proxy_env(HTTPS_PROXY=proxy.url)
    elif variables == "HTTP_PROXY, NO_PROXY":
        proxy_env(HTTP_PROXY=proxy.url, NO_PROXY=PRIVATE)
    else:
        proxy_env(NO_PROXY=PRIVATE)
    engine = engine_for(proxy=proxy.url if variables.startswith("OPTIVUS") else "")
    url = _leads_to(site, private, how)
    err = _fails(engine.download, url, None, FetchHandle())
    assert isinstance(err, PermissionDenied) and err.reason == "ADDRESS_NOT_ALLOWED", err
    assert private.hits == []
    assert files_under(engine.settings.path_video) == []
    # What OPTIVUS_DLP_ALLOWED_NETWORKS allows still passes, proxy or not.
    allowed = engine_for(allowed_networks=f"127.0.0.1/32,{PRIVATE}/32")
    assert allowed.download(url, None, FetchHandle()).size_bytes > 0
    assert private.hits


@pytest.mark.parametrize("how", ["redirect", "hls segment", "embedded video"])
def test_the_proxys_own_port_is_not_reachable_without_going_through_it(engine_for, site, proxy, proxy_env, how):
    proxy_env(HTTPS_PROXY=proxy.url)
    engine = engine_for()
    err = _fails(engine.download, _leads_to(site, proxy, how), None, FetchHandle())
    assert isinstance(err, PermissionDenied) and err.reason == "ADDRESS_NOT_ALLOWED", err
    assert proxy.requests == []


@pytest.mark.parametrize("configured", ["HTTP_PROXY", "OPTIVUS_DLP_PROXY"])
def test_through_the_proxy_targets_are_checked_by_name(engine_for, site, private, proxy, proxy_env, configured):
    proxy_env(**({"HTTP_PROXY": proxy.url} if configured == "HTTP_PROXY" else {}))
    engine = engine_for(proxy=proxy.url if configured == "OPTIVUS_DLP_PROXY" else "")
    result = engine.download(site.url("clip.mp4"), None, FetchHandle())
    assert result.path.read_bytes() == (site.root / "clip.mp4").read_bytes()
    assert ("GET", site.url("clip.mp4")) in proxy.requests  # it went through the proxy
    for how in ("redirect", "hls segment", "embedded video"):
        err = _fails(engine.download, _leads_to(site, private, how), None, FetchHandle())
        assert isinstance(err, PermissionDenied) and err.reason == "ADDRESS_NOT_ALLOWED", (how, err)
    assert private.hits == []
    assert not any(urllib.parse.urlsplit(target).hostname == PRIVATE for _, target in proxy.requests)


def test_a_name_only_the_proxy_could_resolve_is_left_to_it(engine_for, site, proxy, proxy_env):
    proxy_env(HTTP_PROXY=proxy.url)
    engine = engine_for()
    target = "http://media.invalid/clip.mp4"
    err = _fails(engine.get_info, site.url(f"redirect?to={urllib.parse.quote(target)}"), FetchHandle())
    assert err.reason not in ("ADDRESS_NOT_ALLOWED", "HOST_NOT_FOUND"), err
    assert ("GET", target) in proxy.requests
