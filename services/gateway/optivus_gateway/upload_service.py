"""UploadService (optivus.gateway.v1): a client-streamed upload into the
blob store or the upload folder (uploads/), for the caller's API key."""

from __future__ import annotations

from datetime import datetime, timezone

from optivus.gateway.v1 import upload_service_pb2 as pb
from optivus.gateway.v1 import upload_service_pb2_grpc as pb_grpc
from optivus_common.convert import timestamp
from optivus_common.errors import InvalidArgument

from .access.grpc_guard import current_principal
from .uploads import Uploads

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["UploadService"].full_name


class UploadServicer(pb_grpc.UploadServiceServicer):
    def __init__(self, uploads: Uploads, anonymous) -> None:
        self._uploads = uploads
        self._anonymous = anonymous

    async def UploadMedia(self, request_iterator, context):
        principal = current_principal.get() or self._anonymous
        first = await anext(aiter(request_iterator), None)
        if first is None or first.WhichOneof("request") != "metadata":
            raise InvalidArgument("the first message of an upload carries `metadata`", reason="METADATA_FIRST")
        meta = first.metadata
        if meta.size_bytes < 0:
            raise InvalidArgument("size_bytes must not be negative", reason="INVALID_SIZE")
        receiver = await self._uploads.receiver(principal, meta.filename, meta.mime_type, meta.size_bytes or None)
        try:
            async for request in request_iterator:
                if request.WhichOneof("request") != "chunk":
                    raise InvalidArgument("only the first message carries `metadata`; later ones carry `chunk`",
                                          reason="METADATA_TWICE")
                receiver.write(request.chunk)
            if meta.size_bytes and receiver.size != meta.size_bytes:
                raise InvalidArgument(f"{receiver.size} bytes arrived, not the {meta.size_bytes} announced",
                                      reason="SIZE_MISMATCH")
        except BaseException:
            receiver.abort()
            raise
        record = await receiver.finish()
        expires = datetime.fromtimestamp(record.created + self._uploads.ttl_s, timezone.utc)
        return pb.UploadMediaResponse(media=self._uploads.ref(record), size_bytes=record.size_bytes,
                                      sha256=record.sha256, media_id=record.media_id, expire_time=timestamp(expires))
