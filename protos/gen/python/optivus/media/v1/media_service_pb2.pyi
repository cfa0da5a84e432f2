import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.rpc import status_pb2 as _status_pb2
from optivus.media.v1 import media_ref_pb2 as _media_ref_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetCapabilitiesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class JsRuntime(_message.Message):
    __slots__ = ("name", "version", "supported")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SUPPORTED_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    supported: bool
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ..., supported: _Optional[bool] = ...) -> None: ...

class GetCapabilitiesResponse(_message.Message):
    __slots__ = ("yt_dlp_version", "js_runtimes", "ejs_version", "cookies_file_set", "pot_provider_set", "pot_plugin_installed")
    YT_DLP_VERSION_FIELD_NUMBER: _ClassVar[int]
    JS_RUNTIMES_FIELD_NUMBER: _ClassVar[int]
    EJS_VERSION_FIELD_NUMBER: _ClassVar[int]
    COOKIES_FILE_SET_FIELD_NUMBER: _ClassVar[int]
    POT_PROVIDER_SET_FIELD_NUMBER: _ClassVar[int]
    POT_PLUGIN_INSTALLED_FIELD_NUMBER: _ClassVar[int]
    yt_dlp_version: str
    js_runtimes: _containers.RepeatedCompositeFieldContainer[JsRuntime]
    ejs_version: str
    cookies_file_set: bool
    pot_provider_set: bool
    pot_plugin_installed: bool
    def __init__(self, yt_dlp_version: _Optional[str] = ..., js_runtimes: _Optional[_Iterable[_Union[JsRuntime, _Mapping]]] = ..., ejs_version: _Optional[str] = ..., cookies_file_set: _Optional[bool] = ..., pot_provider_set: _Optional[bool] = ..., pot_plugin_installed: _Optional[bool] = ...) -> None: ...

class GetInfoRequest(_message.Message):
    __slots__ = ("sources",)
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    sources: _containers.RepeatedCompositeFieldContainer[_media_ref_pb2.MediaRef]
    def __init__(self, sources: _Optional[_Iterable[_Union[_media_ref_pb2.MediaRef, _Mapping]]] = ...) -> None: ...

class GetInfoResponse(_message.Message):
    __slots__ = ("source_index", "url", "info", "error")
    SOURCE_INDEX_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    source_index: int
    url: str
    info: MediaInfo
    error: _status_pb2.Status
    def __init__(self, source_index: _Optional[int] = ..., url: _Optional[str] = ..., info: _Optional[_Union[MediaInfo, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class MediaInfo(_message.Message):
    __slots__ = ("uploader", "duration", "view_count", "like_count", "dislike_count", "repost_count", "average_rating", "comment_count", "age_limit", "media_type", "fulltitle", "tags", "categories", "description", "webpage_url", "extractor", "id")
    UPLOADER_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    VIEW_COUNT_FIELD_NUMBER: _ClassVar[int]
    LIKE_COUNT_FIELD_NUMBER: _ClassVar[int]
    DISLIKE_COUNT_FIELD_NUMBER: _ClassVar[int]
    REPOST_COUNT_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_RATING_FIELD_NUMBER: _ClassVar[int]
    COMMENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    AGE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    FULLTITLE_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    WEBPAGE_URL_FIELD_NUMBER: _ClassVar[int]
    EXTRACTOR_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    uploader: str
    duration: _duration_pb2.Duration
    view_count: int
    like_count: int
    dislike_count: int
    repost_count: int
    average_rating: float
    comment_count: int
    age_limit: int
    media_type: str
    fulltitle: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    categories: _containers.RepeatedScalarFieldContainer[str]
    description: str
    webpage_url: str
    extractor: str
    id: str
    def __init__(self, uploader: _Optional[str] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., view_count: _Optional[int] = ..., like_count: _Optional[int] = ..., dislike_count: _Optional[int] = ..., repost_count: _Optional[int] = ..., average_rating: _Optional[float] = ..., comment_count: _Optional[int] = ..., age_limit: _Optional[int] = ..., media_type: _Optional[str] = ..., fulltitle: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., categories: _Optional[_Iterable[str]] = ..., description: _Optional[str] = ..., webpage_url: _Optional[str] = ..., extractor: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class DownloadRequest(_message.Message):
    __slots__ = ("sources", "format")
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    sources: _containers.RepeatedCompositeFieldContainer[_media_ref_pb2.MediaRef]
    format: str
    def __init__(self, sources: _Optional[_Iterable[_Union[_media_ref_pb2.MediaRef, _Mapping]]] = ..., format: _Optional[str] = ...) -> None: ...

class DownloadResponse(_message.Message):
    __slots__ = ("source_index", "url", "progress", "file", "error")
    SOURCE_INDEX_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    source_index: int
    url: str
    progress: DownloadProgress
    file: DownloadedFile
    error: _status_pb2.Status
    def __init__(self, source_index: _Optional[int] = ..., url: _Optional[str] = ..., progress: _Optional[_Union[DownloadProgress, _Mapping]] = ..., file: _Optional[_Union[DownloadedFile, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class DownloadProgress(_message.Message):
    __slots__ = ("downloaded_bytes", "total_bytes", "bytes_per_second", "eta")
    DOWNLOADED_BYTES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    BYTES_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    ETA_FIELD_NUMBER: _ClassVar[int]
    downloaded_bytes: int
    total_bytes: int
    bytes_per_second: float
    eta: _duration_pb2.Duration
    def __init__(self, downloaded_bytes: _Optional[int] = ..., total_bytes: _Optional[int] = ..., bytes_per_second: _Optional[float] = ..., eta: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class DownloadedFile(_message.Message):
    __slots__ = ("media", "size_bytes", "info", "path", "warning")
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    WARNING_FIELD_NUMBER: _ClassVar[int]
    media: _media_ref_pb2.MediaRef
    size_bytes: int
    info: MediaInfo
    path: str
    warning: str
    def __init__(self, media: _Optional[_Union[_media_ref_pb2.MediaRef, _Mapping]] = ..., size_bytes: _Optional[int] = ..., info: _Optional[_Union[MediaInfo, _Mapping]] = ..., path: _Optional[str] = ..., warning: _Optional[str] = ...) -> None: ...
