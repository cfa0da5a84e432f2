"""Conversions every gRPC adapter shares: protobuf Duration and
Timestamp, and MediaRef <-> the plain MediaSource the application layers
take. Transport-side code only (servicers, convert modules)."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from optivus.media.v1 import media_ref_pb2

from .media import MediaSource


def duration(seconds: float) -> Duration:
    d = Duration()
    d.FromNanoseconds(round(seconds * 1e9))
    return d


def seconds(d: Duration) -> float:
    return d.seconds + d.nanos / 1e9


def timestamp(when: datetime) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(when)
    return t


def media_source(ref: media_ref_pb2.MediaRef) -> MediaSource:
    kind = ref.WhichOneof("source")
    return MediaSource(path=ref.path if kind == "path" else None,
                       blob_key=ref.blob_key if kind == "blob_key" else None,
                       url=ref.url if kind == "url" else None,
                       content=ref.content if kind == "content" else None,
                       filename=ref.filename, mime_type=ref.mime_type)


def media_ref(source: MediaSource) -> media_ref_pb2.MediaRef:
    ref = media_ref_pb2.MediaRef(filename=source.filename, mime_type=source.mime_type)
    if source.path is not None:
        ref.path = source.path
    elif source.blob_key is not None:
        ref.blob_key = source.blob_key
    elif source.url is not None:
        ref.url = source.url
    elif source.content is not None:
        ref.content = source.content
    return ref
