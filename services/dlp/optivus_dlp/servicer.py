"""MediaService: the gRPC adapter over the application layer (app.py):
MediaRef sources -> URLs, the app's plain events -> stream messages, a
URL's failure -> that URL's google.rpc.Status."""

from __future__ import annotations

import contextlib

from optivus.media.v1 import media_service_pb2 as pb
from optivus.media.v1 import media_service_pb2_grpc as pb_grpc
from optivus_common.convert import media_source
from optivus_common.registry import DLP
from optivus_common.statuses import status_of

from .app import DlpApp, Downloaded, Failed, InfoFound, Progressed, urls_of
from .convert import capabilities_to_proto, file_to_proto, info_to_proto, progress_to_proto


def _urls(request) -> list[str]:
    return urls_of([media_source(ref) for ref in request.sources])


class MediaServicer(pb_grpc.MediaServiceServicer):
    def __init__(self, app: DlpApp) -> None:
        self._app = app

    async def GetInfo(self, request: pb.GetInfoRequest, context):
        async with contextlib.aclosing(self._app.info(_urls(request))) as events:
            async for event in events:
                reply = pb.GetInfoResponse(source_index=event.index, url=event.url)
                if isinstance(event, InfoFound):
                    reply.info.CopyFrom(info_to_proto(event.metadata))
                else:
                    reply.error.CopyFrom(status_of(event.error, DLP.domain, "GetInfo"))
                yield reply

    async def Download(self, request: pb.DownloadRequest, context):
        async with contextlib.aclosing(self._app.download(_urls(request), request.format)) as events:
            async for event in events:
                reply = pb.DownloadResponse(source_index=event.index, url=event.url)
                if isinstance(event, Progressed):
                    reply.progress.CopyFrom(progress_to_proto(event.progress))
                elif isinstance(event, Downloaded):
                    reply.file.CopyFrom(file_to_proto(event.file))
                elif isinstance(event, Failed):
                    reply.error.CopyFrom(status_of(event.error, DLP.domain, "Download"))
                yield reply

    async def GetCapabilities(self, request: pb.GetCapabilitiesRequest, context):
        return capabilities_to_proto(await self._app.capabilities())
