"""An in-process MediaService on a loopback port, built with the shared
bootstrap (so the error interceptor, health and reflection are the
production ones), over the real application layer and a given engine."""

from __future__ import annotations

import contextlib

import grpc
from google.rpc import error_details_pb2

from optivus.media.v1 import media_ref_pb2
from optivus.media.v1 import media_service_pb2_grpc as pb_grpc
from optivus_common.registry import DLP
from optivus_common.server import Registration, start_server
from optivus_dlp.app import DlpApp, running_app
from optivus_dlp.engine import DlpEngine
from optivus_dlp.servicer import MediaServicer


@contextlib.asynccontextmanager
async def serving(settings, app: DlpApp):
    """A MediaServiceStub of a server whose servicer runs over `app`."""
    registration = Registration(pb_grpc.add_MediaServiceServicer_to_server, MediaServicer(app), DLP.grpc_service)
    running = await start_server(settings, [registration], domain=DLP.domain, address="127.0.0.1:0")
    await running.set_serving(True)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            yield pb_grpc.MediaServiceStub(channel)
    finally:
        await running.stop(None)


@contextlib.asynccontextmanager
async def media_stub(settings, engine=None):
    """The service as it runs: the real engine unless one is given, and the
    object store when the settings name a NATS server."""
    if engine is None:
        engine = DlpEngine(settings)
        engine.prepare()
    async with running_app(settings, engine) as app, serving(settings, app) as stub:
        yield stub


def url_refs(urls: list[str]) -> list[media_ref_pb2.MediaRef]:
    return [media_ref_pb2.MediaRef(url=url) for url in urls]


def reason_of(status) -> str:
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            assert info.domain == DLP.domain
            return info.reason
    return ""
