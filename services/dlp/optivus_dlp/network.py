"""yt-dlp's HTTP stack with the address guard built in.

Every request yt-dlp makes (webpages, manifests, fragments, media) goes
through YoutubeDL.urlopen -> RequestDirector -> a RequestHandler. The
guarded YoutubeDL (ytdl.py) gives its director one handler only,
OptivusGuardedRH: yt-dlp's urllib handler with
- http and https only (no ftp, file or data, also not after a redirect),
- the client's host checked before each request, redirect targets
  checked before they are followed,
- sockets connected only to addresses the policy allows, taken from the
  same DNS answer that was checked (no window for DNS rebinding),
- every socket registered with the job, so that cancelling it can shut
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
from yt_dlp.utils.networking import select_proxy

from optivus_common.errors import Cancelled, InvalidArgument, OptivusError, ResourceExhausted

from .bodies import DECODABLE, BoundedBody
from .guard import AddressPolicy, check_url, parse_url
from .jobs import Job


class AddressRefused(RequestError):
    """The guard refused a request or a response; the reason is on the job."""


class Network:
    """The guard as one YoutubeDL instance uses it. `page_limit`: the most
    bytes read from one response, media read by the downloaders aside
    (None: no cap)."""

    def __init__(self, policy: AddressPolicy, job: Job, page_limit: int | None = None) -> None:
        self.policy = policy
        self.job = job
        self.page_limit = page_limit
        # Hosts of configured proxies: the operator chose them, so they may
        # be private. Requests through them are checked by name instead.
        self.proxy_hosts: set[str] = set()

    def refuse(self, error: OptivusError) -> AddressRefused:
        return AddressRefused(self.job.refuse(error).message)

    def check_target(self, url: str, proxied: bool) -> None:
        """Before a request or a redirect. Direct connections get their
        address checked when they connect (create_connection), so only the
        URL's form is checked here; behind a proxy, which connects for us,
        the name is resolved and checked here as well as we can."""
        if self.job.cancelled.is_set():
            raise self.refuse(Cancelled("the download was cancelled", reason="DOWNLOAD_CANCELLED"))
        try:
            if proxied:
                check_url(url, self.policy)
            else:
                parse_url(url)
        except InvalidArgument as exc:
            # Behind a proxy only the proxy may be able to resolve names.
            if not (proxied and exc.reason == "HOST_NOT_FOUND"):
                raise self.refuse(exc) from None
        except OptivusError as exc:
            raise self.refuse(exc) from None

    def too_large(self, limit: int) -> AddressRefused:
        return self.refuse(ResourceExhausted(
            f"a page, playlist or other response that is not media was larger than this server reads "
            f"({limit / (1024 * 1024):.1f} MB)", reason="RESPONSE_TOO_LARGE", limit_bytes=limit))

    def body(self, response: http.client.HTTPResponse) -> BoundedBody:
        encoding = ", ".join(response.headers.get_all("Content-Encoding") or [])
        return BoundedBody(response, encoding, self.page_limit, lambda: self.job.reading_media, self.too_large)

    def create_connection(self, address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None):
        if self.job.cancelled.is_set():
            raise self.refuse(Cancelled("the download was cancelled", reason="DOWNLOAD_CANCELLED"))
        host, port = address
        if host.lower() in self.proxy_hosts:
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

    def _connection(self, conn_class, *args, **kwargs):
        conn = conn_class(*args, **kwargs)
        conn._create_connection = self._net.create_connection
        if self._source_address is not None:
            conn.source_address = (self._source_address, 0)
        connect = conn.connect

        def connect_and_track():
            connect()
            self._net.job.track(conn.sock)  # after TLS wrapping: the socket reads happen on

        conn.connect = connect_and_track
        return conn

    def http_open(self, req):
        conn_class = self._make_conn_class(http.client.HTTPConnection, req)
        return self.do_open(functools.partial(self._connection, conn_class), req)

    def https_open(self, req):
        conn_class = self._make_conn_class(http.client.HTTPSConnection, req)
        return self.do_open(functools.partial(self._connection, conn_class), req, context=self._context)

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
    def __init__(self, net: Network, proxies: dict) -> None:
        super().__init__()
        self._net = net
        self._proxies = proxies

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        self._net.check_target(newurl, proxied=select_proxy(newurl, self._proxies) is not None)
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
            _GuardedRedirectHandler(self.net, proxies),
        ]
        for handler in handlers:
            opener.add_handler(handler)
        opener.addheaders = []
        return opener

    def _send(self, request):
        if self.net is None:
            raise RequestError("the address guard is not configured")
        proxied = select_proxy(request.url, self._get_proxies(request)) is not None
        self.net.check_target(request.url, proxied)
        return super()._send(request)


def proxy_hosts(proxies: dict) -> set[str]:
    hosts = set()
    for key, url in proxies.items():
        if key == "no" or not url or url == "__noproxy__":
            continue
        host = urllib.parse.urlsplit(url if "://" in url else f"http://{url}").hostname
        if host:
            hosts.add(host.lower())
    return hosts
