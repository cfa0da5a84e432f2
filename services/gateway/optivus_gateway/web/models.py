"""GET /v1/models: what the audio routes serve, by the names they accept
(any `model` is accepted; these are the ones listed)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..access import Principal

MODELS = {"whisper": ("whisper-1",), "fish": ("tts-1", "tts-1-hd")}


def routes(gateway):
    async def models(request: Request, principal: Principal) -> JSONResponse:
        data = [{"id": name, "object": "model", "created": 0, "owned_by": "optivus"}
                for service, names in MODELS.items() if gateway.backends.configured(service) for name in names]
        return JSONResponse({"object": "list", "data": data})

    return models
