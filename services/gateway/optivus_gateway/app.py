"""socket.io (event `message`, the first server's protocol) plus HTTP
(probes here; the page, uploads and the OpenAI-compatible API in web/),
served as one ASGI app, and gRPC (UploadService; JobService with NATS)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import urllib.parse
import logging
import time

import socketio
from opentelemetry import trace

from optivus.gateway.v1 import job_service_pb2_grpc, upload_service_pb2_grpc
from optivus_common.errors import OptivusError
from optivus_common.registry import GATEWAY, SERVICES
from optivus_common.server import Registration, RunningServer, start_server
from optivus_common.statuses import code_of

from .access import Access, LimitReached, Principal, Unauthorized, bearer
from .access.grpc_guard import Guarded
from .backends import Backends
from .config import GatewaySettings
from .envelope import RequestError, echo_of, envelope, status_for_code
from .handlers import HANDLERS, KNOWN_TYPES, Context
from .inflight import InFlight, TooManyInFlight
from .job_service import JobServicer
from . import observability
from .media_status import media_status
from .origins import origin_policy
from .pipeline import Pipeline
from .upload_service import SERVICE_NAME as UPLOAD_SERVICE
from .upload_service import UploadServicer
from .uploads import Uploads, resolve_media
from .web import WEB_PATHS, build_web_app
from .wire import BoundedServer

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)
STATUS_TTL_S = 2.0


def _type_of(data: dict) -> object:
    if data.get("v_conv") is True:
        return "video"
    kind = data.get("type")
    return "whisp" if kind is None else kind


def _socket_token(environ: dict, auth: object) -> str | None:
    """The API key a socket.io client sent: auth {"token": ...} (or a bare
    string), ?token= (or ?api_key=) in the query string, or an
    Authorization: Bearer header."""
    if isinstance(auth, dict):
        value = auth.get("token", auth.get("api_key"))
        if isinstance(value, str):
            return value
    elif isinstance(auth, str):
        return auth
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    for name in ("token", "api_key"):
        if query.get(name):
            return query[name][0]
    return bearer(environ.get("HTTP_AUTHORIZATION"))


class Gateway:
    def __init__(self, settings: GatewaySettings, backends: Backends | None = None) -> None:
        self.settings = settings
        self.backends = backends or Backends(settings)
        self.inflight = InFlight(settings.max_inflight_per_connection)
        self.pipeline = Pipeline(settings)
        self.access = Access(settings)
        self.uploads: Uploads | None = None
        self.principals: dict[str, Principal] = {}
        self._resources = contextlib.AsyncExitStack()
        self._grpc: RunningServer | None = None
        self._status_cache: tuple[float, dict] | None = None
        message_bytes = settings.max_message_mb * 1024 * 1024
        self.sio = BoundedServer(
            async_mode="asgi", cors_allowed_origins=origin_policy(settings.cors_allowed_origins),
            max_http_buffer_size=message_bytes, max_attachments=settings.max_attachments,
            max_message_bytes=message_bytes, on_refused=self._refused, logger=False, engineio_logger=False,
        )
        self.sio.on("connect", self._connect)
        self.sio.on("disconnect", self._disconnect)
        self.sio.on("message", self._message)
        self.sio.on("disconnect_request", self._disconnect_request)
        self.web = build_web_app(self)
        routes = observability.route_matcher(("/healthz", "/readyz", "/status"), self.web.routes)
        self.asgi = socketio.ASGIApp(self.sio, other_asgi_app=observability.observed_http(self._http, routes))

    async def _connect(self, sid, environ, auth=None):
        try:
            principal = self.access.identify(_socket_token(environ, auth))
        except Unauthorized as exc:
            log.info("client refused", extra={"sid": sid, "error": exc.message})
            raise socketio.exceptions.ConnectionRefusedError(exc.message) from None
        self.principals[sid] = principal
        observability.CONNECTIONS.inc()
        log.info("client connected", extra={"sid": sid, "key": principal.id})

    async def _disconnect(self, sid, reason=None):
        if self.principals.pop(sid, None) is not None:
            observability.CONNECTIONS.dec()
        cancelled = self.inflight.cancel(sid)
        log.info("client disconnected", extra={"sid": sid, "reason": str(reason), "cancelled": cancelled})

    async def _refused(self, sid: str, message: str) -> None:
        await self.sio.emit("message", envelope("400", {"error": message}), to=sid)

    async def _disconnect_request(self, sid, data=None):
        await self.sio.disconnect(sid)

    async def _message(self, sid, data, *extra):
        started = time.monotonic()
        kind = str(_type_of(data)) if isinstance(data, dict) else None
        with observability.message(kind) as answered:
            try:
                with self.inflight.track(sid), self.access.hold(self.principal(sid)):
                    # One trace per client message; the gRPC client spans and
                    # a job's NATS publish spans hang below it.
                    with tracer.start_as_current_span("socket.io message", kind=trace.SpanKind.SERVER,
                                                      attributes={"optivus.message_type": kind or ""}) as span:
                        reply = await self.handle(sid, data)
                        span.set_attribute("optivus.status", reply["status"])
                        await self.sio.emit("message", reply, to=sid)
            except TooManyInFlight:
                reply = envelope("429", {**echo_of(data), "error": (
                    f"this connection already has {self.inflight.per_connection} requests in flight "
                    "(OPTIVUS_GATEWAY_MAX_INFLIGHT_PER_CONNECTION): wait for a reply before sending more")})
                await self.sio.emit("message", reply, to=sid)
            except LimitReached as exc:
                reply = envelope("429", {**echo_of(data), "error": exc.message})
                await self.sio.emit("message", reply, to=sid)
            answered(reply["status"])
        log.info("message answered", extra={"sid": sid, "type": kind, "status": reply["status"],
                                             "wall_s": round(time.monotonic() - started, 3)})

    async def handle(self, sid: str, data: object) -> dict:
        if not isinstance(data, dict):
            return envelope("400", {"error": "the message must be a JSON object such as "
                                             "{\"type\": \"whisp\", \"file\": \"/path/to/audio.mp3\"}"})
        kind = _type_of(data)
        handler = HANDLERS.get(kind) if isinstance(kind, str) else None
        if handler is None:
            if kind in KNOWN_TYPES:
                return envelope("503", {**echo_of(data), "error": f"type {kind!r} is not available on this server yet"})
            return envelope("400", {**echo_of(data), "error": f"unknown type {kind!r}; expected one of "
                                                           + ", ".join(KNOWN_TYPES)})

        async def emit(event: dict) -> None:
            await self.sio.emit("message", event, to=sid)

        try:
            await resolve_media(data, self.uploads, self.principal(sid))
            return await handler(data, Context(sid, self.backends, self.settings, emit, self.pipeline))
        except RequestError as exc:
            return envelope(exc.status, {**echo_of(data), "error": exc.message})
        except OptivusError as exc:
            return envelope(status_for_code(code_of(exc)), {**echo_of(data), "error": exc.message})
        except Exception:
            log.exception("handler failed", extra={"type": kind})
            return envelope("500", {**echo_of(data), "error": "internal error"})

    async def _http(self, scope, receive, send):
        if scope["type"] == "lifespan":
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                if message["type"] == "lifespan.startup":
                    try:
                        await self.start()
                    except Exception as exc:  # noqa: BLE001 - reported to uvicorn, which exits
                        log.exception("gateway failed to start")
                        await send({"type": "lifespan.startup.failed", "message": str(exc)})
                        return
                await send({"type": message["type"] + ".complete"})
                message = await receive()
            await self.stop()
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path == "/" or path.startswith(WEB_PATHS):
            await self.web(scope, receive, send)
            return
        if path not in ("/healthz", "/readyz", "/status"):
            status, body = 404, {"error": "not found"}
        elif scope["method"] not in ("GET", "HEAD"):
            status, body = 405, {"error": f"{scope['method']} is not allowed here; use GET"}
        elif path == "/status":
            status, body = 200, await self._status()
        else:
            status, body = 200, {"status": "ok"}
        payload = json.dumps(body).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        if status == 405:
            headers.append((b"allow", b"GET, HEAD"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload if scope["method"] != "HEAD" else b""})

    def principal(self, sid: str) -> Principal:
        return self.principals.get(sid) or self.access.keys.anonymous

    async def start(self) -> None:
        """NATS and the job side (when OPTIVUS_NATS_URL is set), uploads
        (blobs with NATS, else the upload folder), then the gRPC port:
        UploadService, and JobService with NATS; both behind the API keys."""
        await self.pipeline.start()
        self.uploads = await Uploads.open(self.settings, self.pipeline.js if self.pipeline.available else None)
        if self.uploads.blobs is None:
            await self._resources.enter_async_context(self.uploads.sweeping())
        services = [Registration(upload_service_pb2_grpc.add_UploadServiceServicer_to_server,
                                 Guarded(UploadServicer(self.uploads, self.access.keys.anonymous), self.access),
                                 UPLOAD_SERVICE)]
        if self.pipeline.available:
            services.append(Registration(job_service_pb2_grpc.add_JobServiceServicer_to_server,
                                         Guarded(JobServicer(self.pipeline), self.access), GATEWAY.grpc_service))
        self._grpc = await start_server(
            self.settings, services, domain=GATEWAY.domain, address=f"{self.settings.host}:{self.settings.grpc_port}",
            max_concurrent_rpcs=self.settings.grpc_max_concurrent_rpcs or None)
        await self._grpc.set_serving(True)

    @property
    def grpc_port(self) -> int | None:
        return self._grpc.port if self._grpc is not None else None

    async def stop(self) -> None:
        if self._grpc is not None:
            await self._grpc.stop(self.settings.shutdown_grace_s)
        await self._resources.aclose()
        await self.pipeline.stop()
        await self.backends.close()

    async def _status(self) -> dict:
        """Every service's health (and the media service's capabilities),
        asked at once and kept for STATUS_TTL_S, so that a client polling
        /status cannot multiply calls to the services."""
        now = time.monotonic()
        if self._status_cache is None or now - self._status_cache[0] > STATUS_TTL_S:
            *states, media = await asyncio.gather(*(self.backends.health(spec.name) for spec in SERVICES),
                                                  media_status(self.backends))
            self._status_cache = (now, {"services": {spec.name: state for spec, state in zip(SERVICES, states)},
                                        "media": media})
        return self._status_cache[1]
