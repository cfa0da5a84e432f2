import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from optivus.media.v1 import media_ref_pb2 as _media_ref_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class IndexState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INDEX_STATE_UNSPECIFIED: _ClassVar[IndexState]
    INDEX_STATE_QUEUED: _ClassVar[IndexState]
    INDEX_STATE_RUNNING: _ClassVar[IndexState]
    INDEX_STATE_READY: _ClassVar[IndexState]
    INDEX_STATE_FAILED: _ClassVar[IndexState]
INDEX_STATE_UNSPECIFIED: IndexState
INDEX_STATE_QUEUED: IndexState
INDEX_STATE_RUNNING: IndexState
INDEX_STATE_READY: IndexState
INDEX_STATE_FAILED: IndexState

class IndexVideoRequest(_message.Message):
    __slots__ = ("video", "collection", "clip_length", "title")
    VIDEO_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    CLIP_LENGTH_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    video: _media_ref_pb2.MediaRef
    collection: str
    clip_length: _duration_pb2.Duration
    title: str
    def __init__(self, video: _Optional[_Union[_media_ref_pb2.MediaRef, _Mapping]] = ..., collection: _Optional[str] = ..., clip_length: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., title: _Optional[str] = ...) -> None: ...

class IndexVideoResponse(_message.Message):
    __slots__ = ("video_id", "job_id", "existing")
    VIDEO_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    EXISTING_FIELD_NUMBER: _ClassVar[int]
    video_id: str
    job_id: str
    existing: bool
    def __init__(self, video_id: _Optional[str] = ..., job_id: _Optional[str] = ..., existing: _Optional[bool] = ...) -> None: ...

class Video(_message.Message):
    __slots__ = ("video_id", "collection", "title", "state", "duration", "clip_count", "create_time", "error", "job_id", "chunk_count", "entity_count", "relation_count")
    VIDEO_ID_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    CLIP_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    CHUNK_COUNT_FIELD_NUMBER: _ClassVar[int]
    ENTITY_COUNT_FIELD_NUMBER: _ClassVar[int]
    RELATION_COUNT_FIELD_NUMBER: _ClassVar[int]
    video_id: str
    collection: str
    title: str
    state: IndexState
    duration: _duration_pb2.Duration
    clip_count: int
    create_time: _timestamp_pb2.Timestamp
    error: str
    job_id: str
    chunk_count: int
    entity_count: int
    relation_count: int
    def __init__(self, video_id: _Optional[str] = ..., collection: _Optional[str] = ..., title: _Optional[str] = ..., state: _Optional[_Union[IndexState, str]] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., clip_count: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error: _Optional[str] = ..., job_id: _Optional[str] = ..., chunk_count: _Optional[int] = ..., entity_count: _Optional[int] = ..., relation_count: _Optional[int] = ...) -> None: ...

class GetVideoRequest(_message.Message):
    __slots__ = ("video_id",)
    VIDEO_ID_FIELD_NUMBER: _ClassVar[int]
    video_id: str
    def __init__(self, video_id: _Optional[str] = ...) -> None: ...

class GetVideoResponse(_message.Message):
    __slots__ = ("video",)
    VIDEO_FIELD_NUMBER: _ClassVar[int]
    video: Video
    def __init__(self, video: _Optional[_Union[Video, _Mapping]] = ...) -> None: ...

class ListVideosRequest(_message.Message):
    __slots__ = ("collection", "page_size", "page_token")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    collection: str
    page_size: int
    page_token: str
    def __init__(self, collection: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListVideosResponse(_message.Message):
    __slots__ = ("videos", "next_page_token")
    VIDEOS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    videos: _containers.RepeatedCompositeFieldContainer[Video]
    next_page_token: str
    def __init__(self, videos: _Optional[_Iterable[_Union[Video, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteVideoRequest(_message.Message):
    __slots__ = ("video_id",)
    VIDEO_ID_FIELD_NUMBER: _ClassVar[int]
    video_id: str
    def __init__(self, video_id: _Optional[str] = ...) -> None: ...

class DeleteVideoResponse(_message.Message):
    __slots__ = ("removed_rows",)
    REMOVED_ROWS_FIELD_NUMBER: _ClassVar[int]
    removed_rows: int
    def __init__(self, removed_rows: _Optional[int] = ...) -> None: ...

class ListCollectionsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Collection(_message.Message):
    __slots__ = ("name", "video_count")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VIDEO_COUNT_FIELD_NUMBER: _ClassVar[int]
    name: str
    video_count: int
    def __init__(self, name: _Optional[str] = ..., video_count: _Optional[int] = ...) -> None: ...

class ListCollectionsResponse(_message.Message):
    __slots__ = ("collections",)
    COLLECTIONS_FIELD_NUMBER: _ClassVar[int]
    collections: _containers.RepeatedCompositeFieldContainer[Collection]
    def __init__(self, collections: _Optional[_Iterable[_Union[Collection, _Mapping]]] = ...) -> None: ...

class QueryVideosRequest(_message.Message):
    __slots__ = ("question", "collection", "top_k", "video_ids")
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    VIDEO_IDS_FIELD_NUMBER: _ClassVar[int]
    question: str
    collection: str
    top_k: int
    video_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, question: _Optional[str] = ..., collection: _Optional[str] = ..., top_k: _Optional[int] = ..., video_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class Citation(_message.Message):
    __slots__ = ("video_id", "start", "end", "text", "score", "number", "title", "sources")
    VIDEO_ID_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    video_id: str
    start: _duration_pb2.Duration
    end: _duration_pb2.Duration
    text: str
    score: float
    number: int
    title: str
    sources: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, video_id: _Optional[str] = ..., start: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., end: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., text: _Optional[str] = ..., score: _Optional[float] = ..., number: _Optional[int] = ..., title: _Optional[str] = ..., sources: _Optional[_Iterable[str]] = ...) -> None: ...

class QueryVideosResponse(_message.Message):
    __slots__ = ("retrieved", "answer_delta", "citations")
    RETRIEVED_FIELD_NUMBER: _ClassVar[int]
    ANSWER_DELTA_FIELD_NUMBER: _ClassVar[int]
    CITATIONS_FIELD_NUMBER: _ClassVar[int]
    retrieved: Citation
    answer_delta: str
    citations: CitationList
    def __init__(self, retrieved: _Optional[_Union[Citation, _Mapping]] = ..., answer_delta: _Optional[str] = ..., citations: _Optional[_Union[CitationList, _Mapping]] = ...) -> None: ...

class CitationList(_message.Message):
    __slots__ = ("citations",)
    CITATIONS_FIELD_NUMBER: _ClassVar[int]
    citations: _containers.RepeatedCompositeFieldContainer[Citation]
    def __init__(self, citations: _Optional[_Iterable[_Union[Citation, _Mapping]]] = ...) -> None: ...

class GetCapabilitiesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetCapabilitiesResponse(_message.Message):
    __slots__ = ("embedding_model", "embedding_dim", "keyword_search", "visual_search", "visual_model", "visual_unavailable_reason", "entity_extractor", "answer_engine", "milvus")
    EMBEDDING_MODEL_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_DIM_FIELD_NUMBER: _ClassVar[int]
    KEYWORD_SEARCH_FIELD_NUMBER: _ClassVar[int]
    VISUAL_SEARCH_FIELD_NUMBER: _ClassVar[int]
    VISUAL_MODEL_FIELD_NUMBER: _ClassVar[int]
    VISUAL_UNAVAILABLE_REASON_FIELD_NUMBER: _ClassVar[int]
    ENTITY_EXTRACTOR_FIELD_NUMBER: _ClassVar[int]
    ANSWER_ENGINE_FIELD_NUMBER: _ClassVar[int]
    MILVUS_FIELD_NUMBER: _ClassVar[int]
    embedding_model: str
    embedding_dim: int
    keyword_search: bool
    visual_search: bool
    visual_model: str
    visual_unavailable_reason: str
    entity_extractor: str
    answer_engine: str
    milvus: str
    def __init__(self, embedding_model: _Optional[str] = ..., embedding_dim: _Optional[int] = ..., keyword_search: _Optional[bool] = ..., visual_search: _Optional[bool] = ..., visual_model: _Optional[str] = ..., visual_unavailable_reason: _Optional[str] = ..., entity_extractor: _Optional[str] = ..., answer_engine: _Optional[str] = ..., milvus: _Optional[str] = ...) -> None: ...
