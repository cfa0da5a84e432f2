"""The gateway's HTTP side beyond the probes: the page at /, uploads at
/v1/media, and the OpenAI-compatible audio API (Starlette, mounted as
python-socketio's other ASGI app by app.Gateway)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from ..origins import origin_policy
from . import media, models, pages, speech, transcriptions
from .guard import guarded

# Paths (besides "/") that app.Gateway hands to this app.
WEB_PATHS = ("/v1/", "/static/")


def build_web_app(gateway) -> Starlette:
    origins = origin_policy(gateway.settings.cors_allowed_origins)
    guard = guarded(gateway.access, origins)
    upload, show, delete = media.routes(gateway)
    transcribe, translate = transcriptions.routes(gateway)
    return Starlette(routes=[
        Route("/", pages.index, methods=["GET", "HEAD"]),
        Route("/static/{name}", pages.static, methods=["GET", "HEAD"]),
        Route("/v1/media", guard(upload), methods=["POST"]),
        Route("/v1/media/{media_id}", guard(show), methods=["GET"]),
        Route("/v1/media/{media_id}", guard(delete), methods=["DELETE"]),
        Route("/v1/audio/transcriptions", guarded(gateway.access, origins, "whisper")(transcribe), methods=["POST"]),
        Route("/v1/audio/translations", guarded(gateway.access, origins, "whisper")(translate), methods=["POST"]),
        Route("/v1/audio/speech", guarded(gateway.access, origins, "fish")(speech.routes(gateway)), methods=["POST"]),
        Route("/v1/models", guard(models.routes(gateway)), methods=["GET"]),
    ])
