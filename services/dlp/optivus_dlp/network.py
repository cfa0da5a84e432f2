"""yt-dlp's HTTP stack with the address guard built in.

Every request yt-dlp makes (webpages, manifests, fragments, media) goes
through YoutubeDL.urlopen -> RequestDirector -> a RequestHandler. The
guarded YoutubeDL (ytdl.py) gives its director one handler only,
OptivusGuardedRH: yt-dlp's urllib handler with
- http and https only (no ftp, file or data, also not after a redirect),
- sockets connected only to addresses the policy allows, taken from the
  same DNS answer that was checked (no window for DNS rebinding); the
  exceptions: a request that urllib really sends through a configured
  proxy, for its socket to that proxy's host and port (the operator chose
  it, it may be private), with the target checked by name instead; and a
  request for one of the PO-token provider's two URLs
  (OPTIVUS_DLP_POT_PROVIDER_URL), for the same reason,
- every socket registered with the fetch handle, so that cancelling it can shut
  down a read blocked on a stalled server,
- response bodies decoded as they are read and capped at
  OPTIVUS_DLP_MAX_PAGE_MB, except the media the downloaders read in
  chunks (bodies.py)."""

from __future__ import annotations

import functools
import http.client
import socket
import threading
import urllib.parse
import urllib.request
import urllib.response
from urllib.request import HTTPCookieProcessor, HTTPDefaultErrorHandler, HTTPErrorProcessor, UnknownHandler

from yt_dlp.networking import _helper
from yt_dlp.networking._urllib import HTTPHandler, ProxyHandler, RedirectHandler, UrllibRH
from yt_dlp.networking.exceptions import RequestError

from optivus_common.errors import Cancelled, InvalidArgument, OptivusError, ResourceExhausted

from .bodies import DECODABLE, BoundedBody
from .fetch_handle import FetchHandle
from .guard import AddressPolicy, check_url, parse_url


class AddressRefused(RequestError):
    """The guard refused a request or a response; the reason is on the fetch handle."""


class Network:
    """The guard as one YoutubeDL instance uses it. `page_limit`: the most
    bytes read from one response, media read by the downloaders aside
    (None: no cap)."""

    def __init__(self, policy: AddressPolicy, handle: FetchHandle, page_limit: int | None = None,
                 pot_provider: str | None = None) -> None:
        self.policy = policy
        self.handle = handle
        self.page_limit = page_limit
        self._pot_provider = urllib.parse.urlsplit(pot_provider) if pot_provider else None

    def pot_provider_endpoint(self, url: str) -> tuple[str, int] | None:
        """The PO-token provider's (host, port) when `url` is one of the two
        URLs its yt-dlp plugin asks (<base>/ping, <base>/get_pot): the one
        place the guard lets yt-dlp connect to unchecked, as for a proxy,
        because the operator named it (OPTIVUS_DLP_POT_PROVIDER_URL)."""
        base = self._pot_provider
        if base is None:
            return None
        try:
            parts = urllib.parse.urlsplit(url)
            port, base_port = parts.port, base.port
        except ValueError:
            return None
        default = {"http": 80, "https": 443}
        same_origin = (parts.scheme.lower() == base.scheme.lower() and parts.hostname == base.hostname
                       and (port or default.get(parts.scheme.lower())) == (base_port or default.get(base.scheme)))
        if not same_origin or parts.query or parts.path not in (f"{base.path}/ping", f"{base.path}/get_pot"):
            return None
        return base.hostname.lower(), base_port or default[base.scheme]

    def refuse(self, error: OptivusError) -> AddressRefused:
        return AddressRefused(self.handle.refuse(error).message)

    def check_target(self, url: str) -> None:
        """Before a request or a redirect: the URL's form. The address is
        checked when the connection is made (create_connection), or, for a
        request sent through a proxy, by check_proxied."""
        if self.handle.cancelled.is_set():
            raise self.refuse(Cancelled("the download was cancelled", reason="DOWNLOAD_CANCELLED"))
        try:
            parse_url(url)
        except OptivusError as exc:
            raise self.refuse(exc) from None

    def check_proxied(self, url: str) -> None:
        """A request that goes through a proxy, which connects for us: the
        name is resolved and checked here, as well as we can."""
        try:
            check_url(url, self.policy)
        except InvalidArgument as exc:
            # Behind a proxy only the proxy may be able to resolve names.
            if exc.reason != "HOST_NOT_FOUND":
                raise self.refuse(exc) from None
        except OptivusError as exc:
            raise self.refuse(exc) from None

    def too_large(self, limit: int) -> AddressRefused:
        return self.refuse(ResourceExhausted(
            f"a page, playlist or other response that is not media was larger than this server reads "
            f"({limit / (1024 * 1024):.1f} MB)", reason="RESPONSE_TOO_LARGE", limit_bytes=limit))

    def body(self, response: http.client.HTTPResponse) -> BoundedBody:
        encoding = ", ".join(response.headers.get_all("Content-Encoding") or [])
        return BoundedBody(response, encoding, self.page_limit, lambda: self.handle.reading_media, self.too_large)

    def create_connection(self, address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None, *,
                          proxy: tuple[str, int] | None = None, pot_provider: tuple[str, int] | None = None):
        """http.client's socket factory. `proxy`: the (host, port) of the
        proxy the request is sent through, connected to without the check;
        `pot_provider`: likewise for a request to the PO-token provider."""
        if self.handle.cancelled.is_set():
            raise self.refuse(Cancelled("the download was cancelled", reason="DOWNLOAD_CANCELLED"))
        host, port = address
        if (host.lower(), port) in (proxy, pot_provider):
            return _helper.create_connection(address, timeout, source_address)
        try:
            infos = self.policy.resolve(host, port)
        except OptivusError as exc:
            raise self.refuse(exc) from None
        if source_address is not None:
            family = socket.AF_INET6 if ":" in source_address[0] else socket.AF_INET
            infos = [info for info in infos if info[0] == family]
        error: OSError = OSError(f"no usable address for {host}")
        for family, socktype, proto, _, sockaddr in infos:
            sock = socket.socket(family, socktype, proto)
            try:
                if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)  # the checked address itself, not the name again
                return sock
            except OSError as exc:
                sock.close()
                error = exc
        raise error


class _GuardedHTTPHandler(HTTPHandler):
    def __init__(self, net: Network, **kwargs) -> None:
        super().__init__(**kwargs)
        self._net = net

    def _connection(self, conn_class, proxied: bool, pot_provider: tuple[str, int] | None, *args, **kwargs):
        conn = conn_class(*args, **kwargs)
        # Through an HTTP proxy, urllib has made the proxy the connection's host.
        proxy = (conn.host.lower(), conn.port) if proxied else None
        conn._create_connection = functools.partial(self._net.create_connection, proxy=proxy,
                                                    pot_provider=None if proxied else pot_provider)
        if self._source_address is not None:
            conn.source_address = (self._source_address, 0)
        connect = conn.connect

        def connect_and_track():
            connect()
            self._net.handle.track(conn.sock)  # after TLS wrapping: the socket reads happen on

        conn.connect = connect_and_track
        return conn

    def _open(self, base, req, **kwargs):
        """Whether a request goes through a proxy is read off the request
        as urllib's proxy handler left it (it may skip a proxy yt-dlp
        selected: NO_PROXY), not from the proxy settings."""
        socks = req.get_header("Ytdl-socks-proxy") is not None  # popped by _make_conn_class
        conn_class = self._make_conn_class(base, req)
        http_proxy = req.has_proxy() or req._tunnel_host is not None  # set by Request.set_proxy
        if socks or http_proxy:
            self._net.check_proxied(req.full_url)
        # (yt-dlp's SOCKS connection class opens its socket to the proxy
        # itself, never through _create_connection.)
        pot_provider = self._net.pot_provider_endpoint(req.full_url)
        return self.do_open(functools.partial(self._connection, conn_class, http_proxy, pot_provider), req, **kwargs)

    def http_open(self, req):
        return self._open(http.client.HTTPConnection, req)

    def https_open(self, req):
        return self._open(http.client.HTTPSConnection, req, context=self._context)

    def http_response(self, req, resp):
        """Instead of yt-dlp's, which decompresses the whole body in memory
        here, before any size check: the body is decoded and capped as it
        is read. Error and redirect bodies come this way too."""
        wrapped = urllib.response.addinfourl(self._net.body(resp), resp.headers, resp.url, resp.code)
        wrapped.msg = resp.msg
        wrapped.reason = resp.reason
        return wrapped

    https_response = http_response


class _GuardedRedirectHandler(RedirectHandler):
    def __init__(self, net: Network) -> None:
        super().__init__()
        self._net = net

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        self._net.check_target(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_ssl_contexts: dict[tuple, object] = {}
_ssl_lock = threading.Lock()


class OptivusGuardedRH(UrllibRH):
    _SUPPORTED_URL_SCHEMES = ("http", "https")
    RH_NAME = "optivus-guarded-urllib"
    # Set by the guarded YoutubeDL right after it builds its director.
    net: Network | None = None

    def __init__(self, **kwargs) -> None:
        kwargs.pop("enable_file_urls", None)
        super().__init__(**kwargs)

    def _prepare_headers(self, request, headers):
        # Only what bodies.py decodes as a stream (yt-dlp adds br when brotli is installed).
        _helper.add_accept_encoding_header(headers, DECODABLE)

    def _make_sslcontext(self, legacy_ssl_support=None):
        """One SSL context per configuration and process: loading the CA
        bundle costs tens of milliseconds, and there is a handler per URL."""
        key = (self.verify, legacy_ssl_support, self.legacy_ssl_support, self.prefer_system_certs,
               tuple(sorted(self._client_cert.items())))
        with _ssl_lock:
            if key not in _ssl_contexts:
                _ssl_contexts[key] = super()._make_sslcontext(legacy_ssl_support)
            return _ssl_contexts[key]

    def _create_instance(self, proxies, cookiejar, legacy_ssl_support=None):
        opener = urllib.request.OpenerDirector()
        handlers = [
            ProxyHandler(proxies),
            _GuardedHTTPHandler(self.net, debuglevel=int(bool(self.verbose)),
                                context=self._make_sslcontext(legacy_ssl_support=legacy_ssl_support),
                                source_address=self.source_address),
            HTTPCookieProcessor(cookiejar),
            UnknownHandler(),
            HTTPDefaultErrorHandler(),
            HTTPErrorProcessor(),
            _GuardedRedirectHandler(self.net),
        ]
        for handler in handlers:
            opener.add_handler(handler)
        opener.addheaders = []
        return opener

    def _send(self, request):
        if self.net is None:
            raise RequestError("the address guard is not configured")
        self.net.check_target(request.url)
        return super()._send(request)
