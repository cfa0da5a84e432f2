"""The application layer's plain types -> optivus.media.v1 messages."""

from __future__ import annotations

import mimetypes

from optivus.media.v1 import media_ref_pb2
from optivus.media.v1 import media_service_pb2 as pb
from optivus_common.convert import duration

from .app import DownloadedFile
from .fetch_handle import Progress
from .metadata import MediaMetadata
from .runtimes import Capabilities

_OPTIONAL = ("uploader", "view_count", "like_count", "dislike_count", "repost_count", "average_rating",
             "comment_count", "age_limit", "media_type", "fulltitle", "description")


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
                                   bytes_per_second=p.speed or 0.0)
    if p.eta is not None:
        progress.eta.CopyFrom(duration(p.eta))
    return progress


def file_to_proto(file: DownloadedFile) -> pb.DownloadedFile:
    name = file.path.name
    mime = mimetypes.guess_type(name)[0] or ""
    ref = (media_ref_pb2.MediaRef(blob_key=file.blob_key, mime_type=mime, filename=name) if file.blob_key
           else media_ref_pb2.MediaRef(path=str(file.path), mime_type=mime, filename=name))
    return pb.DownloadedFile(media=ref, size_bytes=file.size_bytes, info=info_to_proto(file.metadata),
                             path=str(file.path), warning=file.warning)


def capabilities_to_proto(caps: Capabilities) -> pb.GetCapabilitiesResponse:
    return pb.GetCapabilitiesResponse(
        yt_dlp_version=caps.yt_dlp_version,
        js_runtimes=[pb.JsRuntime(name=r.name, version=r.version, supported=r.supported) for r in caps.js_runtimes],
        ejs_version=caps.ejs_version, cookies_file_set=caps.cookies_file_set,
        pot_provider_set=caps.pot_provider_set, pot_plugin_installed=caps.pot_plugin_installed)
