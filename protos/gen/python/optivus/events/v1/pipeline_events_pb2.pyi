import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from optivus.media.v1 import media_ref_pb2 as _media_ref_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JobEvent(_message.Message):
    __slots__ = ("job_id", "sequence", "time", "queued", "started", "progress", "succeeded", "failed", "cancelled", "video_downloaded", "audio_transcribed", "video_described", "speech_synthesized", "video_indexed")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    SUCCEEDED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    VIDEO_DOWNLOADED_FIELD_NUMBER: _ClassVar[int]
    AUDIO_TRANSCRIBED_FIELD_NUMBER: _ClassVar[int]
    VIDEO_DESCRIBED_FIELD_NUMBER: _ClassVar[int]
    SPEECH_SYNTHESIZED_FIELD_NUMBER: _ClassVar[int]
    VIDEO_INDEXED_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    sequence: int
    time: _timestamp_pb2.Timestamp
    queued: JobQueued
    started: JobStarted
    progress: JobProgress
    succeeded: JobSucceeded
    failed: JobFailed
    cancelled: JobCancelled
    video_downloaded: VideoDownloaded
    audio_transcribed: AudioTranscribed
    video_described: VideoDescribed
    speech_synthesized: SpeechSynthesized
    video_indexed: VideoIndexed
    def __init__(self, job_id: _Optional[str] = ..., sequence: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., queued: _Optional[_Union[JobQueued, _Mapping]] = ..., started: _Optional[_Union[JobStarted, _Mapping]] = ..., progress: _Optional[_Union[JobProgress, _Mapping]] = ..., succeeded: _Optional[_Union[JobSucceeded, _Mapping]] = ..., failed: _Optional[_Union[JobFailed, _Mapping]] = ..., cancelled: _Optional[_Union[JobCancelled, _Mapping]] = ..., video_downloaded: _Optional[_Union[VideoDownloaded, _Mapping]] = ..., audio_transcribed: _Optional[_Union[AudioTranscribed, _Mapping]] = ..., video_described: _Optional[_Union[VideoDescribed, _Mapping]] = ..., speech_synthesized: _Optional[_Union[SpeechSynthesized, _Mapping]] = ..., video_indexed: _Optional[_Union[VideoIndexed, _Mapping]] = ...) -> None: ...

class JobQueued(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class JobStarted(_message.Message):
    __slots__ = ("stage", "worker")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    WORKER_FIELD_NUMBER: _ClassVar[int]
    stage: str
    worker: str
    def __init__(self, stage: _Optional[str] = ..., worker: _Optional[str] = ...) -> None: ...

class JobProgress(_message.Message):
    __slots__ = ("stage", "fraction", "message")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    FRACTION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    stage: str
    fraction: float
    message: str
    def __init__(self, stage: _Optional[str] = ..., fraction: _Optional[float] = ..., message: _Optional[str] = ...) -> None: ...

class JobSucceeded(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: JobResult
    def __init__(self, result: _Optional[_Union[JobResult, _Mapping]] = ...) -> None: ...

class JobFailed(_message.Message):
    __slots__ = ("error", "stage")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    error: _status_pb2.Status
    stage: str
    def __init__(self, error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., stage: _Optional[str] = ...) -> None: ...

class JobCancelled(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class JobResult(_message.Message):
    __slots__ = ("downloads", "transcripts", "descriptions", "speech", "indexed")
    DOWNLOADS_FIELD_NUMBER: _ClassVar[int]
    TRANSCRIPTS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    SPEECH_FIELD_NUMBER: _ClassVar[int]
    INDEXED_FIELD_NUMBER: _ClassVar[int]
    downloads: _containers.RepeatedCompositeFieldContainer[VideoDownloaded]
    transcripts: _containers.RepeatedCompositeFieldContainer[AudioTranscribed]
    descriptions: _containers.RepeatedCompositeFieldContainer[VideoDescribed]
    speech: _containers.RepeatedCompositeFieldContainer[SpeechSynthesized]
    indexed: _containers.RepeatedCompositeFieldContainer[VideoIndexed]
    def __init__(self, downloads: _Optional[_Iterable[_Union[VideoDownloaded, _Mapping]]] = ..., transcripts: _Optional[_Iterable[_Union[AudioTranscribed, _Mapping]]] = ..., descriptions: _Optional[_Iterable[_Union[VideoDescribed, _Mapping]]] = ..., speech: _Optional[_Iterable[_Union[SpeechSynthesized, _Mapping]]] = ..., indexed: _Optional[_Iterable[_Union[VideoIndexed, _Mapping]]] = ...) -> None: ...

class VideoDownloaded(_message.Message):
    __slots__ = ("job_id", "url", "media", "size_bytes", "info_json")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    INFO_JSON_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    url: str
    media: _media_ref_pb2.MediaRef
    size_bytes: int
    info_json: str
    def __init__(self, job_id: _Optional[str] = ..., url: _Optional[str] = ..., media: _Optional[_Union[_media_ref_pb2.MediaRef, _Mapping]] = ..., size_bytes: _Optional[int] = ..., info_json: _Optional[str] = ...) -> None: ...

class TranscriptSegment(_message.Message):
    __slots__ = ("start", "end", "text")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    start: _duration_pb2.Duration
    end: _duration_pb2.Duration
    text: str
    def __init__(self, start: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., end: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., text: _Optional[str] = ...) -> None: ...

class AudioTranscribed(_message.Message):
    __slots__ = ("job_id", "media", "language_code", "text", "segments", "duration")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    media: _media_ref_pb2.MediaRef
    language_code: str
    text: str
    segments: _containers.RepeatedCompositeFieldContainer[TranscriptSegment]
    duration: _duration_pb2.Duration
    def __init__(self, job_id: _Optional[str] = ..., media: _Optional[_Union[_media_ref_pb2.MediaRef, _Mapping]] = ..., language_code: _Optional[str] = ..., text: _Optional[str] = ..., segments: _Optional[_Iterable[_Union[TranscriptSegment, _Mapping]]] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class SceneDescription(_message.Message):
    __slots__ = ("start", "end", "text")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    start: _duration_pb2.Duration
    end: _duration_pb2.Duration
    text: str
    def __init__(self, start: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., end: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., text: _Optional[str] = ...) -> None: ...

class VideoDescribed(_message.Message):
    __slots__ = ("job_id", "media", "scenes", "image_text")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    SCENES_FIELD_NUMBER: _ClassVar[int]
    IMAGE_TEXT_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    media: _media_ref_pb2.MediaRef
    scenes: _containers.RepeatedCompositeFieldContainer[SceneDescription]
    image_text: str
    def __init__(self, job_id: _Optional[str] = ..., media: _Optional[_Union[_media_ref_pb2.MediaRef, _Mapping]] = ..., scenes: _Optional[_Iterable[_Union[SceneDescription, _Mapping]]] = ..., image_text: _Optional[str] = ...) -> None: ...

class SpeechSynthesized(_message.Message):
    __slots__ = ("job_id", "audio", "duration", "engine")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    audio: _media_ref_pb2.MediaRef
    duration: _duration_pb2.Duration
    engine: str
    def __init__(self, job_id: _Optional[str] = ..., audio: _Optional[_Union[_media_ref_pb2.MediaRef, _Mapping]] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., engine: _Optional[str] = ...) -> None: ...

class VideoIndexed(_message.Message):
    __slots__ = ("job_id", "video_id", "collection", "clip_count")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    VIDEO_ID_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    CLIP_COUNT_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    video_id: str
    collection: str
    clip_count: int
    def __init__(self, job_id: _Optional[str] = ..., video_id: _Optional[str] = ..., collection: _Optional[str] = ..., clip_count: _Optional[int] = ...) -> None: ...
