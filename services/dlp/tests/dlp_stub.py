"""An in-process MediaService on a loopback port, built with the shared
bootstrap (so the error interceptor, health and reflection are the
production ones)."""

from __future__ import annotations

import contextlib

import grpc
from google.rpc import error_details_pb2

from optivus.media.v1 import media_service_pb2_grpc as pb_grpc
from optivus_common.server import start_server
from optivus_dlp.engine import DlpEngine
from optivus_dlp.server import DOMAIN, registration


@contextlib.asynccontextmanager
async def media_stub(settings, blobs=None):
    engine = DlpEngine(settings)
    engine.prepare()
    running = await start_server(settings, [registration(engine, settings, blobs)], domain=DOMAIN,
                                 address="127.0.0.1:0")
    await running.set_serving(True)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            yield pb_grpc.MediaServiceStub(channel)
    finally:
        await running.stop(None)


def reason_of(status) -> str:
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            assert info.domain == DOMAIN
            return info.reason
    return ""
