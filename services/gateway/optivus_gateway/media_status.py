"""The media (DLP) service's part of /status: which yt-dlp it runs and the
JavaScript runtimes that yt-dlp finds (MediaService.GetCapabilities), so
that an operator sees at a glance whether YouTube extraction can work and
whether yt-dlp needs an update."""

from __future__ import annotations

import grpc

from optivus.media.v1 import media_service_pb2 as media_pb
from optivus.media.v1 import media_service_pb2_grpc as media_grpc

from .backends import Backends


async def media_status(backends: Backends, timeout: float = 2.0) -> dict | None:
    """None when the service is not deployed or does not answer."""
    if not backends.configured("dlp"):
        return None
    stub = media_grpc.MediaServiceStub(backends.channel("dlp"))
    try:
        caps = await stub.GetCapabilities(media_pb.GetCapabilitiesRequest(), timeout=timeout)
    except grpc.aio.AioRpcError:
        return None
    return {"yt_dlp_version": caps.yt_dlp_version,
            "js_runtimes": [{"name": r.name, "version": r.version, "supported": r.supported}
                            for r in caps.js_runtimes],
            "ejs_version": caps.ejs_version, "cookies_file_set": caps.cookies_file_set,
            "pot_provider_set": caps.pot_provider_set, "pot_plugin_installed": caps.pot_plugin_installed}
