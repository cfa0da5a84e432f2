import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from optivus.media.v1 import media_ref_pb2 as _media_ref_pb2
from optivus.media.v1 import media_service_pb2 as _media_service_pb2
from optivus.speech.v1 import speech_service_pb2 as _speech_service_pb2
from optivus.vision.v1 import vision_service_pb2 as _vision_service_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Stage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STAGE_UNSPECIFIED: _ClassVar[Stage]
    STAGE_DOWNLOAD: _ClassVar[Stage]
    STAGE_TRANSCRIBE: _ClassVar[Stage]
    STAGE_DESCRIBE: _ClassVar[Stage]
    STAGE_INDEX: _ClassVar[Stage]
STAGE_UNSPECIFIED: Stage
STAGE_DOWNLOAD: Stage
STAGE_TRANSCRIBE: Stage
STAGE_DESCRIBE: Stage
STAGE_INDEX: Stage

class IndexOptions(_message.Message):
    __slots__ = ("collection", "clip_length", "title", "video_id")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    CLIP_LENGTH_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    VIDEO_ID_FIELD_NUMBER: _ClassVar[int]
    collection: str
    clip_length: _duration_pb2.Duration
    title: str
    video_id: str
    def __init__(self, collection: _Optional[str] = ..., clip_length: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., title: _Optional[str] = ..., video_id: _Optional[str] = ...) -> None: ...

class DescribeOptions(_message.Message):
    __slots__ = ("task", "sample_fps", "include_ocr")
    TASK_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_FPS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_OCR_FIELD_NUMBER: _ClassVar[int]
    task: _vision_service_pb2.VisionTask
    sample_fps: float
    include_ocr: bool
    def __init__(self, task: _Optional[_Union[_vision_service_pb2.VisionTask, str]] = ..., sample_fps: _Optional[float] = ..., include_ocr: _Optional[bool] = ...) -> None: ...

class StageOptions(_message.Message):
    __slots__ = ("recognition", "describe", "download_format", "index")
    RECOGNITION_FIELD_NUMBER: _ClassVar[int]
    DESCRIBE_FIELD_NUMBER: _ClassVar[int]
    DOWNLOAD_FORMAT_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    recognition: _speech_service_pb2.RecognitionConfig
    describe: DescribeOptions
    download_format: str
    index: IndexOptions
    def __init__(self, recognition: _Optional[_Union[_speech_service_pb2.RecognitionConfig, _Mapping]] = ..., describe: _Optional[_Union[DescribeOptions, _Mapping]] = ..., download_format: _Optional[str] = ..., index: _Optional[_Union[IndexOptions, _Mapping]] = ...) -> None: ...

class StageWork(_message.Message):
    __slots__ = ("job_id", "item_index", "stage", "media", "options")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_INDEX_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    item_index: int
    stage: Stage
    media: _media_ref_pb2.MediaRef
    options: StageOptions
    def __init__(self, job_id: _Optional[str] = ..., item_index: _Optional[int] = ..., stage: _Optional[_Union[Stage, str]] = ..., media: _Optional[_Union[_media_ref_pb2.MediaRef, _Mapping]] = ..., options: _Optional[_Union[StageOptions, _Mapping]] = ...) -> None: ...

class ItemResult(_message.Message):
    __slots__ = ("item_index", "input", "download", "segments", "transcript", "scenes", "video_summary", "image", "error", "stage_errors", "indexed")
    ITEM_INDEX_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    DOWNLOAD_FIELD_NUMBER: _ClassVar[int]
    SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    TRANSCRIPT_FIELD_NUMBER: _ClassVar[int]
    SCENES_FIELD_NUMBER: _ClassVar[int]
    VIDEO_SUMMARY_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    STAGE_ERRORS_FIELD_NUMBER: _ClassVar[int]
    INDEXED_FIELD_NUMBER: _ClassVar[int]
    item_index: int
    input: str
    download: _media_service_pb2.DownloadedFile
    segments: _containers.RepeatedCompositeFieldContainer[_speech_service_pb2.Segment]
    transcript: _speech_service_pb2.TranscriptionResult
    scenes: _containers.RepeatedCompositeFieldContainer[_vision_service_pb2.Scene]
    video_summary: _vision_service_pb2.VideoSummary
    image: _vision_service_pb2.VisionResult
    error: _status_pb2.Status
    stage_errors: _containers.RepeatedCompositeFieldContainer[StageError]
    indexed: IndexedVideo
    def __init__(self, item_index: _Optional[int] = ..., input: _Optional[str] = ..., download: _Optional[_Union[_media_service_pb2.DownloadedFile, _Mapping]] = ..., segments: _Optional[_Iterable[_Union[_speech_service_pb2.Segment, _Mapping]]] = ..., transcript: _Optional[_Union[_speech_service_pb2.TranscriptionResult, _Mapping]] = ..., scenes: _Optional[_Iterable[_Union[_vision_service_pb2.Scene, _Mapping]]] = ..., video_summary: _Optional[_Union[_vision_service_pb2.VideoSummary, _Mapping]] = ..., image: _Optional[_Union[_vision_service_pb2.VisionResult, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., stage_errors: _Optional[_Iterable[_Union[StageError, _Mapping]]] = ..., indexed: _Optional[_Union[IndexedVideo, _Mapping]] = ...) -> None: ...

class IndexedVideo(_message.Message):
    __slots__ = ("video_id", "collection", "clip_count")
    VIDEO_ID_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    CLIP_COUNT_FIELD_NUMBER: _ClassVar[int]
    video_id: str
    collection: str
    clip_count: int
    def __init__(self, video_id: _Optional[str] = ..., collection: _Optional[str] = ..., clip_count: _Optional[int] = ...) -> None: ...

class StageError(_message.Message):
    __slots__ = ("stage", "error")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    stage: Stage
    error: _status_pb2.Status
    def __init__(self, stage: _Optional[_Union[Stage, str]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class JobResult(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[ItemResult]
    def __init__(self, items: _Optional[_Iterable[_Union[ItemResult, _Mapping]]] = ...) -> None: ...

class JobEvent(_message.Message):
    __slots__ = ("job_id", "sequence", "event_time", "queued", "stage_started", "stage_progress", "stage_finished", "item_finished", "finished", "cancelled")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    STAGE_STARTED_FIELD_NUMBER: _ClassVar[int]
    STAGE_PROGRESS_FIELD_NUMBER: _ClassVar[int]
    STAGE_FINISHED_FIELD_NUMBER: _ClassVar[int]
    ITEM_FINISHED_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    sequence: int
    event_time: _timestamp_pb2.Timestamp
    queued: JobQueued
    stage_started: StageStarted
    stage_progress: StageProgress
    stage_finished: StageFinished
    item_finished: ItemFinished
    finished: JobFinished
    cancelled: JobCancelled
    def __init__(self, job_id: _Optional[str] = ..., sequence: _Optional[int] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., queued: _Optional[_Union[JobQueued, _Mapping]] = ..., stage_started: _Optional[_Union[StageStarted, _Mapping]] = ..., stage_progress: _Optional[_Union[StageProgress, _Mapping]] = ..., stage_finished: _Optional[_Union[StageFinished, _Mapping]] = ..., item_finished: _Optional[_Union[ItemFinished, _Mapping]] = ..., finished: _Optional[_Union[JobFinished, _Mapping]] = ..., cancelled: _Optional[_Union[JobCancelled, _Mapping]] = ...) -> None: ...

class JobQueued(_message.Message):
    __slots__ = ("item_count",)
    ITEM_COUNT_FIELD_NUMBER: _ClassVar[int]
    item_count: int
    def __init__(self, item_count: _Optional[int] = ...) -> None: ...

class StageStarted(_message.Message):
    __slots__ = ("item_index", "stage", "worker", "attempt")
    ITEM_INDEX_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    WORKER_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    item_index: int
    stage: Stage
    worker: str
    attempt: int
    def __init__(self, item_index: _Optional[int] = ..., stage: _Optional[_Union[Stage, str]] = ..., worker: _Optional[str] = ..., attempt: _Optional[int] = ...) -> None: ...

class StageProgress(_message.Message):
    __slots__ = ("item_index", "stage", "fraction")
    ITEM_INDEX_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    FRACTION_FIELD_NUMBER: _ClassVar[int]
    item_index: int
    stage: Stage
    fraction: float
    def __init__(self, item_index: _Optional[int] = ..., stage: _Optional[_Union[Stage, str]] = ..., fraction: _Optional[float] = ...) -> None: ...

class StageFinished(_message.Message):
    __slots__ = ("item_index", "stage", "error")
    ITEM_INDEX_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    item_index: int
    stage: Stage
    error: _status_pb2.Status
    def __init__(self, item_index: _Optional[int] = ..., stage: _Optional[_Union[Stage, str]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class ItemFinished(_message.Message):
    __slots__ = ("item_index", "error")
    ITEM_INDEX_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    item_index: int
    error: _status_pb2.Status
    def __init__(self, item_index: _Optional[int] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class JobFinished(_message.Message):
    __slots__ = ("succeeded_items", "failed_items")
    SUCCEEDED_ITEMS_FIELD_NUMBER: _ClassVar[int]
    FAILED_ITEMS_FIELD_NUMBER: _ClassVar[int]
    succeeded_items: int
    failed_items: int
    def __init__(self, succeeded_items: _Optional[int] = ..., failed_items: _Optional[int] = ...) -> None: ...

class JobCancelled(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
