"""Engine types -> optivus.media.v1 messages."""

from __future__ import annotations

import mimetypes

import grpc
from google.protobuf import any_pb2
from google.protobuf.duration_pb2 import Duration
from google.rpc import error_details_pb2, status_pb2

from optivus.media.v1 import media_ref_pb2
from optivus.media.v1 import media_service_pb2 as pb
from optivus_common.errors import OptivusError

from .engine import DownloadResult
from .jobs import Progress
from .metadata import MediaMetadata

DOMAIN = "media.optivus"
_OPTIONAL = ("uploader", "view_count", "like_count", "dislike_count", "repost_count", "average_rating",
             "comment_count", "age_limit", "media_type", "fulltitle", "description")


def duration(seconds: float) -> Duration:
    d = Duration()
    d.FromNanoseconds(round(seconds * 1e9))
    return d


def info_to_proto(meta: MediaMetadata) -> pb.MediaInfo:
    info = pb.MediaInfo(webpage_url=meta.webpage_url, extractor=meta.extractor, id=meta.id,
                        tags=meta.tags, categories=meta.categories)
    for name in _OPTIONAL:
        value = getattr(meta, name)
        if value is not None:
            setattr(info, name, value)
    if meta.duration is not None:
        info.duration.CopyFrom(duration(meta.duration))
    return info


def progress_to_proto(p: Progress) -> pb.DownloadProgress:
    progress = pb.DownloadProgress(downloaded_bytes=p.downloaded_bytes, total_bytes=p.total_bytes or 0,
                                   speed=p.speed or 0.0)
    if p.eta is not None:
        progress.eta.CopyFrom(duration(p.eta))
    return progress


def file_to_proto(result: DownloadResult, blob_key: str | None) -> pb.DownloadedFile:
    mime = mimetypes.guess_type(result.path.name)[0] or ""
    ref = (media_ref_pb2.MediaRef(blob_key=blob_key, mime_type=mime, filename=result.path.name) if blob_key
           else media_ref_pb2.MediaRef(path=str(result.path), mime_type=mime, filename=result.path.name))
    return pb.DownloadedFile(media=ref, size_bytes=result.size_bytes, info=info_to_proto(result.metadata),
                             path=str(result.path))


def status_of(exc: OptivusError) -> status_pb2.Status:
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.ErrorInfo(reason=exc.reason, domain=DOMAIN, metadata=exc.metadata))
    return status_pb2.Status(code=exc.code.value[0], message=exc.message, details=[detail])


def internal_status() -> status_pb2.Status:
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.ErrorInfo(reason="INTERNAL", domain=DOMAIN))
    return status_pb2.Status(code=grpc.StatusCode.INTERNAL.value[0], message="internal error", details=[detail])
