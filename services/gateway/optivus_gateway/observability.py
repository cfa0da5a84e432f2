"""The gateway's own metrics and HTTP spans: socket.io messages by type and
reply status (duration, in flight, clients connected) and HTTP requests by
route template (never the raw path: a client cannot make up label values).
An HTTP request continues the caller's trace when it sends a traceparent
header. Probes (/healthz, /readyz) are counted but not traced."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence

from opentelemetry import propagate, trace
from prometheus_client import Counter, Gauge, Histogram

from optivus_common.metrics import LATENCY_BUCKETS

from .handlers import KNOWN_TYPES

tracer = trace.get_tracer(__name__)

MESSAGES = Counter("optivus_gateway_messages", "socket.io messages answered, by type and reply status",
                   ["type", "status"])
MESSAGE_SECONDS = Histogram("optivus_gateway_message_seconds", "Time from a socket.io message to its reply "
                            "(a video job: to its result)", ["type"], buckets=LATENCY_BUCKETS)
MESSAGES_IN_FLIGHT = Gauge("optivus_gateway_messages_in_flight", "socket.io messages not answered yet", ["type"])
CONNECTIONS = Gauge("optivus_gateway_socketio_connections", "socket.io clients connected")
HTTP_REQUESTS = Counter("optivus_gateway_http_requests", "HTTP requests answered, by route, method and status",
                        ["route", "method", "status"])
HTTP_SECONDS = Histogram("optivus_gateway_http_request_seconds", "HTTP request duration, until the body's end",
                         ["route"], buckets=LATENCY_BUCKETS)
HTTP_IN_FLIGHT = Gauge("optivus_gateway_http_in_flight", "HTTP requests being answered", ["route"])

PROBES = ("/healthz", "/readyz")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def type_label(kind: object) -> str:
    """A message type as a label value: a type the gateway knows, else "other"."""
    return kind if isinstance(kind, str) and kind in KNOWN_TYPES else "other"


@contextlib.contextmanager
def message(kind: object) -> Iterator[Callable[[str], None]]:
    """Counts one socket.io message; call the yielded function with the
    reply's status once it is answered."""
    label = type_label(kind)
    MESSAGES_IN_FLIGHT.labels(label).inc()
    started = time.perf_counter()
    status = ["500"]
    try:
        yield lambda value: status.__setitem__(0, str(value))
    finally:
        MESSAGES_IN_FLIGHT.labels(label).dec()
        MESSAGE_SECONDS.labels(label).observe(time.perf_counter() - started)
        MESSAGES.labels(label, status[0]).inc()


def route_matcher(fixed: Sequence[str], routes: Sequence) -> Callable[[str], str]:
    """path -> its route template ("/v1/media/{media_id}"), "other" when none matches."""
    patterns = [(route.path, route.path_regex) for route in routes if hasattr(route, "path_regex")]

    def route_of(path: str) -> str:
        if path in fixed:
            return path
        for template, regex in patterns:
            if regex.match(path):
                return template
        return "other"

    return route_of


def observed_http(app, route_of: Callable[[str], str]):
    """Wraps an ASGI app: a server span per HTTP request (but the probes),
    and the HTTP metrics."""

    async def wrapped(scope, receive, send):
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        route = route_of(scope["path"])
        method = scope["method"] if scope["method"] in METHODS else "other"
        status = [500]

        async def send_watching(message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        HTTP_IN_FLIGHT.labels(route).inc()
        started = time.perf_counter()
        try:
            if route in PROBES:
                await app(scope, receive, send_watching)
                return
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", ())}
            with tracer.start_as_current_span(f"{method} {route}", context=propagate.extract(headers),
                                              kind=trace.SpanKind.SERVER,
                                              attributes={"http.request.method": method, "http.route": route,
                                                          "url.path": scope["path"]}) as span:
                try:
                    await app(scope, receive, send_watching)
                finally:
                    span.set_attribute("http.response.status_code", status[0])
                    if status[0] >= 500:
                        span.set_status(trace.Status(trace.StatusCode.ERROR))
        finally:
            HTTP_IN_FLIGHT.labels(route).dec()
            HTTP_SECONDS.labels(route).observe(time.perf_counter() - started)
            HTTP_REQUESTS.labels(route, method, str(status[0])).inc()

    return wrapped
