"""What YouTube extraction needs beyond plain HTTP: a JavaScript runtime
yt-dlp finds in the service's own configuration, the challenge scripts
(yt-dlp-ejs), and proof-of-origin tokens from a provider server (the
bgutil plugin), reached past the address guard only at its two URLs."""

from __future__ import annotations

import base64
import json
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pydantic
import pytest
import yt_dlp.version

from optivus_common.errors import PermissionDenied
from optivus_dlp.config import DlpSettings
from optivus_dlp.fetch_handle import FetchHandle
from optivus_dlp.runtimes import pot_plugin_installed
from optivus_testing.http_server import serving


def test_yt_dlp_finds_deno_and_the_challenge_scripts_as_the_service_runs_it(engine_for):
    caps = engine_for().capabilities()
    assert caps.yt_dlp_version == yt_dlp.version.__version__
    deno = [r for r in caps.js_runtimes if r.name == "deno"]
    assert deno and deno[0].supported and deno[0].version[0].isdigit()
    assert caps.ejs_version  # yt-dlp-ejs: the scripts come from the package, never from the network
    assert not caps.cookies_file_set and not caps.pot_provider_set


def test_a_runtime_that_is_not_installed_is_not_reported(engine_for):
    caps = engine_for(js_runtimes="quickjs").capabilities()
    assert [r.name for r in caps.js_runtimes] == []


@pytest.mark.parametrize("field, value", [
    ("js_runtimes", "deno,rhino"), ("pot_provider_url", "ftp://x:4416"), ("pot_provider_url", "http://x:4416/?a=1"),
])
def test_bad_settings_are_refused(tmp_path, field, value):
    with pytest.raises(pydantic.ValidationError):
        DlpSettings(data_dir=tmp_path, **{field: value})


def token_for(binding: str) -> str:
    return base64.urlsafe_b64encode(f"token-for-{binding}".encode()).decode()


class _Provider(BaseHTTPRequestHandler):
    """bgutil's provider server, as far as its plugin sees it."""

    def log_message(self, *args) -> None:
        pass

    def _reply(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.server.seen.append(("GET", self.path))
        self._reply({"version": "2.0.2"} if self.path == "/ping" else {"admin": "secrets"})

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.seen.append(("POST", self.path))
        self._reply({"poToken": token_for(body["content_binding"])})


@pytest.fixture
def provider():
    """On 127.0.0.2: loopback, but outside the tests' allowed 127.0.0.1/32."""
    server = ThreadingHTTPServer(("127.0.0.2", 0), _Provider)
    server.seen = []
    with serving(server):
        yield server


def _base(provider) -> str:
    return f"http://127.0.0.2:{provider.server_address[1]}"


@pytest.mark.skipif(not pot_plugin_installed(), reason="the dlp-pot extra (bgutil plugin) is not installed")
def test_the_pot_plugin_gets_its_token_from_the_provider_past_the_guard(engine_for, provider):
    from yt_dlp.extractor.youtube.pot._director import initialize_pot_director
    from yt_dlp.extractor.youtube.pot.provider import PoTokenContext, PoTokenRequest

    engine = engine_for(pot_provider_url=_base(provider))
    assert engine.capabilities().pot_provider_set and engine.capabilities().pot_plugin_installed
    with engine._ydl(FetchHandle(), engine._params(skip_download=True)) as ydl:
        director = initialize_pot_director(ydl.get_info_extractor("Youtube"))
        token = director.get_po_token(PoTokenRequest(
            context=PoTokenContext.GVS, innertube_context={"client": {"clientName": "WEB", "clientVersion": "2.0"}},
            visitor_data="visitor-1", video_id="vid-1", bypass_cache=True))
    assert token == token_for("visitor-1")
    assert provider.seen == [("GET", "/ping"), ("POST", "/get_pot")]


@pytest.mark.parametrize("path", ["ping", "get_pot", "admin", "ping?x=1"])
def test_clients_cannot_reach_the_provider(engine_for, site, provider, path):
    """A client's URL for the provider is refused like any other non-public
    one. Through a redirect or a page, yt-dlp may reach the provider's two
    plugin URLs only (a version, a token request: nothing to take away),
    never another path of that server."""
    engine = engine_for(pot_provider_url=_base(provider))
    target = f"{_base(provider)}/{path}"
    for url in (target, site.url(f"redirect?to={urllib.parse.quote(target)}"),
                site.url(f"embed.html?src={urllib.parse.quote(target)}")):
        with pytest.raises(Exception) as err:
            engine.download(url, None, FetchHandle())
        if path in ("admin", "ping?x=1") or url == target:
            assert isinstance(err.value, PermissionDenied) and err.value.reason == "ADDRESS_NOT_ALLOWED", url
    assert all(p in ("/ping", "/get_pot") for _, p in provider.seen)
