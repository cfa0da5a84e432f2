"""socket.io (event `message`, the first server's protocol) plus a small
HTTP app for probes, served as one ASGI app."""

from __future__ import annotations

import json
import logging
import time

import socketio
from opentelemetry import trace

from .backends import SERVICES, Backends
from .config import GatewaySettings
from .envelope import RequestError, envelope
from .handlers import HANDLERS, KNOWN_TYPES, Context

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


def _type_of(data: dict) -> object:
    if data.get("v_conv") is True:
        return "video"
    kind = data.get("type")
    return "whisp" if kind is None else kind


class Gateway:
    def __init__(self, settings: GatewaySettings, backends: Backends | None = None) -> None:
        self.settings = settings
        self.backends = backends or Backends(settings)
        origins = settings.cors_allowed_origins
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            cors_allowed_origins="*" if origins == "*" else [o.strip() for o in origins.split(",")],
            max_http_buffer_size=settings.max_message_mb * 1024 * 1024,
            logger=False, engineio_logger=False,
        )
        self.sio.on("connect", self._connect)
        self.sio.on("disconnect", self._disconnect)
        self.sio.on("message", self._message)
        self.sio.on("disconnect_request", self._disconnect_request)
        self.asgi = socketio.ASGIApp(self.sio, other_asgi_app=self._http)

    async def _connect(self, sid, environ, auth=None):
        log.info("client connected", extra={"sid": sid})

    async def _disconnect(self, sid, reason=None):
        log.info("client disconnected", extra={"sid": sid, "reason": str(reason)})

    async def _disconnect_request(self, sid, data=None):
        await self.sio.disconnect(sid)

    async def _message(self, sid, data):
        started = time.monotonic()
        kind = str(_type_of(data)) if isinstance(data, dict) else None
        # One trace per client message; the gRPC client spans hang below it.
        with tracer.start_as_current_span("socket.io message", kind=trace.SpanKind.SERVER,
                                          attributes={"optivus.message_type": kind or ""}) as span:
            reply = await self.handle(sid, data)
            span.set_attribute("optivus.status", reply["status"])
            await self.sio.emit("message", reply, to=sid)
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
                return envelope("503", {**data, "error": f"type {kind!r} is not available on this server yet"})
            return envelope("400", {**data, "error": f"unknown type {kind!r}; expected one of "
                                                     + ", ".join(KNOWN_TYPES)})

        async def emit(event: dict) -> None:
            await self.sio.emit("message", event, to=sid)

        try:
            return await handler(data, Context(sid, self.backends, self.settings, emit))
        except RequestError as exc:
            return envelope(exc.status, {**data, "error": exc.message})
        except Exception:
            log.exception("handler failed", extra={"type": kind})
            return envelope("500", {**data, "error": "internal error"})

    async def _http(self, scope, receive, send):
        if scope["type"] == "lifespan":
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                await send({"type": message["type"] + ".complete"})
                message = await receive()
            await self.backends.close()
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path in ("/healthz", "/readyz"):
            status, body = 200, {"status": "ok"}
        elif path == "/status":
            status, body = 200, {"services": {name: await self.backends.health(name) for name in SERVICES}}
        else:
            status, body = 404, {"error": "not found"}
        payload = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})
