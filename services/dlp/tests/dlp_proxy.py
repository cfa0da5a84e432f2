"""A forward HTTP proxy the tests own, on a loopback address: it relays
GET requests in absolute form (what a client sends to an HTTP proxy for
http:// URLs) and records every request it gets, so a test can tell
which connections went through it and which did not."""

from __future__ import annotations

import http.client
import shutil
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from optivus_testing.http_server import serving


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server: "_Server"

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.server.proxy.record(self.command, self.path)
        target = urllib.parse.urlsplit(self.path)
        if target.scheme != "http" or not target.hostname:
            # Not a proxy request (origin form: someone took the proxy for a web server).
            self.send_error(400, "not a proxy request")
            return
        upstream = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("proxy-connection", "proxy-authorization", "connection")}
            path = target.path or "/"
            try:
                upstream.request("GET", path + (f"?{target.query}" if target.query else ""), headers=headers)
                reply = upstream.getresponse()
            except OSError:
                self.send_error(502, "the proxy could not reach the server")
                return
            self.send_response(reply.status, reply.reason)
            for key, value in reply.getheaders():
                if key.lower() not in ("connection", "transfer-encoding"):
                    self.send_header(key, value)
            self.end_headers()
            shutil.copyfileobj(reply, self.wfile)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            upstream.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: "ForwardProxy"


class ForwardProxy:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server = _Server((host, 0), _Handler)
        self._server.proxy = self
        self.host = host
        self.port = self._server.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self._serving = serving(self._server)

    def __enter__(self) -> "ForwardProxy":
        self._serving.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._serving.__exit__(*exc)

    def record(self, method: str, target: str) -> None:
        with self._lock:
            self.requests.append((method, target))
