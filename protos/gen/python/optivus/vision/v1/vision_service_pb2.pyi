import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.rpc import status_pb2 as _status_pb2
from optivus.media.v1 import media_ref_pb2 as _media_ref_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class VisionTask(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VISION_TASK_UNSPECIFIED: _ClassVar[VisionTask]
    VISION_TASK_CAPTION: _ClassVar[VisionTask]
    VISION_TASK_DETAILED_CAPTION: _ClassVar[VisionTask]
    VISION_TASK_MORE_DETAILED_CAPTION: _ClassVar[VisionTask]
    VISION_TASK_OCR: _ClassVar[VisionTask]
    VISION_TASK_OCR_WITH_REGION: _ClassVar[VisionTask]
    VISION_TASK_OD: _ClassVar[VisionTask]
    VISION_TASK_DENSE_REGION_CAPTION: _ClassVar[VisionTask]
    VISION_TASK_CAPTION_TO_PHRASE_GROUNDING: _ClassVar[VisionTask]

class VisionEngine(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VISION_ENGINE_UNSPECIFIED: _ClassVar[VisionEngine]
    VISION_ENGINE_FLORENCE2: _ClassVar[VisionEngine]
    VISION_ENGINE_RAPIDOCR: _ClassVar[VisionEngine]
VISION_TASK_UNSPECIFIED: VisionTask
VISION_TASK_CAPTION: VisionTask
VISION_TASK_DETAILED_CAPTION: VisionTask
VISION_TASK_MORE_DETAILED_CAPTION: VisionTask
VISION_TASK_OCR: VisionTask
VISION_TASK_OCR_WITH_REGION: VisionTask
VISION_TASK_OD: VisionTask
VISION_TASK_DENSE_REGION_CAPTION: VisionTask
VISION_TASK_CAPTION_TO_PHRASE_GROUNDING: VisionTask
VISION_ENGINE_UNSPECIFIED: VisionEngine
VISION_ENGINE_FLORENCE2: VisionEngine
VISION_ENGINE_RAPIDOCR: VisionEngine

class BoundingBox(_message.Message):
    __slots__ = ("x1", "y1", "x2", "y2")
    X1_FIELD_NUMBER: _ClassVar[int]
    Y1_FIELD_NUMBER: _ClassVar[int]
    X2_FIELD_NUMBER: _ClassVar[int]
    Y2_FIELD_NUMBER: _ClassVar[int]
    x1: float
    y1: float
    x2: float
    y2: float
    def __init__(self, x1: _Optional[float] = ..., y1: _Optional[float] = ..., x2: _Optional[float] = ..., y2: _Optional[float] = ...) -> None: ...

class QuadBox(_message.Message):
    __slots__ = ("points",)
    POINTS_FIELD_NUMBER: _ClassVar[int]
    points: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, points: _Optional[_Iterable[float]] = ...) -> None: ...

class Region(_message.Message):
    __slots__ = ("label", "box", "quad", "score")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    BOX_FIELD_NUMBER: _ClassVar[int]
    QUAD_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    label: str
    box: BoundingBox
    quad: QuadBox
    score: float
    def __init__(self, label: _Optional[str] = ..., box: _Optional[_Union[BoundingBox, _Mapping]] = ..., quad: _Optional[_Union[QuadBox, _Mapping]] = ..., score: _Optional[float] = ...) -> None: ...

class VisionResult(_message.Message):
    __slots__ = ("task", "engine", "text", "regions", "image_width", "image_height", "warning")
    TASK_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    REGIONS_FIELD_NUMBER: _ClassVar[int]
    IMAGE_WIDTH_FIELD_NUMBER: _ClassVar[int]
    IMAGE_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    WARNING_FIELD_NUMBER: _ClassVar[int]
    task: VisionTask
    engine: VisionEngine
    text: str
    regions: _containers.RepeatedCompositeFieldContainer[Region]
    image_width: int
    image_height: int
    warning: str
    def __init__(self, task: _Optional[_Union[VisionTask, str]] = ..., engine: _Optional[_Union[VisionEngine, str]] = ..., text: _Optional[str] = ..., regions: _Optional[_Iterable[_Union[Region, _Mapping]]] = ..., image_width: _Optional[int] = ..., image_height: _Optional[int] = ..., warning: _Optional[str] = ...) -> None: ...

class DescribeImageRequest(_message.Message):
    __slots__ = ("image", "task", "phrase")
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    PHRASE_FIELD_NUMBER: _ClassVar[int]
    image: _media_ref_pb2.MediaRef
    task: VisionTask
    phrase: str
    def __init__(self, image: _Optional[_Union[_media_ref_pb2.MediaRef, _Mapping]] = ..., task: _Optional[_Union[VisionTask, str]] = ..., phrase: _Optional[str] = ...) -> None: ...

class DescribeImageResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: VisionResult
    def __init__(self, result: _Optional[_Union[VisionResult, _Mapping]] = ...) -> None: ...

class BatchDescribeImagesRequest(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[DescribeImageRequest]
    def __init__(self, requests: _Optional[_Iterable[_Union[DescribeImageRequest, _Mapping]]] = ...) -> None: ...

class BatchDescribeImagesResponse(_message.Message):
    __slots__ = ("request_index", "result", "error")
    REQUEST_INDEX_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    request_index: int
    result: VisionResult
    error: _status_pb2.Status
    def __init__(self, request_index: _Optional[int] = ..., result: _Optional[_Union[VisionResult, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class DescribeVideoRequest(_message.Message):
    __slots__ = ("video", "task", "phrase", "sample_fps", "include_ocr", "scene_threshold")
    VIDEO_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    PHRASE_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_FPS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_OCR_FIELD_NUMBER: _ClassVar[int]
    SCENE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    video: _media_ref_pb2.MediaRef
    task: VisionTask
    phrase: str
    sample_fps: float
    include_ocr: bool
    scene_threshold: float
    def __init__(self, video: _Optional[_Union[_media_ref_pb2.MediaRef, _Mapping]] = ..., task: _Optional[_Union[VisionTask, str]] = ..., phrase: _Optional[str] = ..., sample_fps: _Optional[float] = ..., include_ocr: _Optional[bool] = ..., scene_threshold: _Optional[float] = ...) -> None: ...

class Scene(_message.Message):
    __slots__ = ("index", "start", "end", "text", "keyframe_time", "ocr_text", "result")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    KEYFRAME_TIME_FIELD_NUMBER: _ClassVar[int]
    OCR_TEXT_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    index: int
    start: _duration_pb2.Duration
    end: _duration_pb2.Duration
    text: str
    keyframe_time: _duration_pb2.Duration
    ocr_text: str
    result: VisionResult
    def __init__(self, index: _Optional[int] = ..., start: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., end: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., text: _Optional[str] = ..., keyframe_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., ocr_text: _Optional[str] = ..., result: _Optional[_Union[VisionResult, _Mapping]] = ...) -> None: ...

class VideoSummary(_message.Message):
    __slots__ = ("duration", "scene_count", "decoded_frames", "described_frames", "task", "engine", "sampled_frames", "warning")
    DURATION_FIELD_NUMBER: _ClassVar[int]
    SCENE_COUNT_FIELD_NUMBER: _ClassVar[int]
    DECODED_FRAMES_FIELD_NUMBER: _ClassVar[int]
    DESCRIBED_FRAMES_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    SAMPLED_FRAMES_FIELD_NUMBER: _ClassVar[int]
    WARNING_FIELD_NUMBER: _ClassVar[int]
    duration: _duration_pb2.Duration
    scene_count: int
    decoded_frames: int
    described_frames: int
    task: VisionTask
    engine: VisionEngine
    sampled_frames: int
    warning: str
    def __init__(self, duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., scene_count: _Optional[int] = ..., decoded_frames: _Optional[int] = ..., described_frames: _Optional[int] = ..., task: _Optional[_Union[VisionTask, str]] = ..., engine: _Optional[_Union[VisionEngine, str]] = ..., sampled_frames: _Optional[int] = ..., warning: _Optional[str] = ...) -> None: ...

class DescribeVideoResponse(_message.Message):
    __slots__ = ("scene", "summary")
    SCENE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    scene: Scene
    summary: VideoSummary
    def __init__(self, scene: _Optional[_Union[Scene, _Mapping]] = ..., summary: _Optional[_Union[VideoSummary, _Mapping]] = ...) -> None: ...

class GetCapabilitiesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TaskSupport(_message.Message):
    __slots__ = ("task", "engine")
    TASK_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    task: VisionTask
    engine: VisionEngine
    def __init__(self, task: _Optional[_Union[VisionTask, str]] = ..., engine: _Optional[_Union[VisionEngine, str]] = ...) -> None: ...

class GetCapabilitiesResponse(_message.Message):
    __slots__ = ("tasks", "default_task", "florence_model", "florence_unavailable_reason", "device")
    TASKS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_TASK_FIELD_NUMBER: _ClassVar[int]
    FLORENCE_MODEL_FIELD_NUMBER: _ClassVar[int]
    FLORENCE_UNAVAILABLE_REASON_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[TaskSupport]
    default_task: VisionTask
    florence_model: str
    florence_unavailable_reason: str
    device: str
    def __init__(self, tasks: _Optional[_Iterable[_Union[TaskSupport, _Mapping]]] = ..., default_task: _Optional[_Union[VisionTask, str]] = ..., florence_model: _Optional[str] = ..., florence_unavailable_reason: _Optional[str] = ..., device: _Optional[str] = ...) -> None: ...
