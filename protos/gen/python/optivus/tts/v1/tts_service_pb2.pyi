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

class AudioFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUDIO_FORMAT_UNSPECIFIED: _ClassVar[AudioFormat]
    AUDIO_FORMAT_WAV: _ClassVar[AudioFormat]
    AUDIO_FORMAT_PCM_S16LE: _ClassVar[AudioFormat]

class TtsEngine(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TTS_ENGINE_UNSPECIFIED: _ClassVar[TtsEngine]
    TTS_ENGINE_FISH: _ClassVar[TtsEngine]
    TTS_ENGINE_PIPER: _ClassVar[TtsEngine]
AUDIO_FORMAT_UNSPECIFIED: AudioFormat
AUDIO_FORMAT_WAV: AudioFormat
AUDIO_FORMAT_PCM_S16LE: AudioFormat
TTS_ENGINE_UNSPECIFIED: TtsEngine
TTS_ENGINE_FISH: TtsEngine
TTS_ENGINE_PIPER: TtsEngine

class ReferenceAudio(_message.Message):
    __slots__ = ("audio", "text")
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    audio: _media_ref_pb2.MediaRef
    text: str
    def __init__(self, audio: _Optional[_Union[_media_ref_pb2.MediaRef, _Mapping]] = ..., text: _Optional[str] = ...) -> None: ...

class SynthesisParams(_message.Message):
    __slots__ = ("temperature", "top_p", "repetition_penalty", "max_new_tokens", "chunk_length", "seed")
    TEMPERATURE_FIELD_NUMBER: _ClassVar[int]
    TOP_P_FIELD_NUMBER: _ClassVar[int]
    REPETITION_PENALTY_FIELD_NUMBER: _ClassVar[int]
    MAX_NEW_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CHUNK_LENGTH_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    temperature: float
    top_p: float
    repetition_penalty: float
    max_new_tokens: int
    chunk_length: int
    seed: int
    def __init__(self, temperature: _Optional[float] = ..., top_p: _Optional[float] = ..., repetition_penalty: _Optional[float] = ..., max_new_tokens: _Optional[int] = ..., chunk_length: _Optional[int] = ..., seed: _Optional[int] = ...) -> None: ...

class SynthesizeRequest(_message.Message):
    __slots__ = ("text", "reference_id", "references", "format", "engine", "params", "store")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCES_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    STORE_FIELD_NUMBER: _ClassVar[int]
    text: str
    reference_id: str
    references: _containers.RepeatedCompositeFieldContainer[ReferenceAudio]
    format: AudioFormat
    engine: TtsEngine
    params: SynthesisParams
    store: bool
    def __init__(self, text: _Optional[str] = ..., reference_id: _Optional[str] = ..., references: _Optional[_Iterable[_Union[ReferenceAudio, _Mapping]]] = ..., format: _Optional[_Union[AudioFormat, str]] = ..., engine: _Optional[_Union[TtsEngine, str]] = ..., params: _Optional[_Union[SynthesisParams, _Mapping]] = ..., store: _Optional[bool] = ...) -> None: ...

class SynthesisHeader(_message.Message):
    __slots__ = ("sample_rate_hertz", "channels", "format", "engine", "model")
    SAMPLE_RATE_HERTZ_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    sample_rate_hertz: int
    channels: int
    format: AudioFormat
    engine: TtsEngine
    model: str
    def __init__(self, sample_rate_hertz: _Optional[int] = ..., channels: _Optional[int] = ..., format: _Optional[_Union[AudioFormat, str]] = ..., engine: _Optional[_Union[TtsEngine, str]] = ..., model: _Optional[str] = ...) -> None: ...

class AudioChunk(_message.Message):
    __slots__ = ("data", "sentence_index")
    DATA_FIELD_NUMBER: _ClassVar[int]
    SENTENCE_INDEX_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    sentence_index: int
    def __init__(self, data: _Optional[bytes] = ..., sentence_index: _Optional[int] = ...) -> None: ...

class SynthesisSummary(_message.Message):
    __slots__ = ("audio_duration", "sentence_count", "stored")
    AUDIO_DURATION_FIELD_NUMBER: _ClassVar[int]
    SENTENCE_COUNT_FIELD_NUMBER: _ClassVar[int]
    STORED_FIELD_NUMBER: _ClassVar[int]
    audio_duration: _duration_pb2.Duration
    sentence_count: int
    stored: _media_ref_pb2.MediaRef
    def __init__(self, audio_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., sentence_count: _Optional[int] = ..., stored: _Optional[_Union[_media_ref_pb2.MediaRef, _Mapping]] = ...) -> None: ...

class SynthesizeResponse(_message.Message):
    __slots__ = ("header", "chunk", "summary")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    header: SynthesisHeader
    chunk: AudioChunk
    summary: SynthesisSummary
    def __init__(self, header: _Optional[_Union[SynthesisHeader, _Mapping]] = ..., chunk: _Optional[_Union[AudioChunk, _Mapping]] = ..., summary: _Optional[_Union[SynthesisSummary, _Mapping]] = ...) -> None: ...

class AddReferenceRequest(_message.Message):
    __slots__ = ("reference", "display_name")
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    reference: ReferenceAudio
    display_name: str
    def __init__(self, reference: _Optional[_Union[ReferenceAudio, _Mapping]] = ..., display_name: _Optional[str] = ...) -> None: ...

class Reference(_message.Message):
    __slots__ = ("reference_id", "display_name", "text", "duration", "create_time")
    REFERENCE_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    reference_id: str
    display_name: str
    text: str
    duration: _duration_pb2.Duration
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, reference_id: _Optional[str] = ..., display_name: _Optional[str] = ..., text: _Optional[str] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AddReferenceResponse(_message.Message):
    __slots__ = ("reference",)
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    reference: Reference
    def __init__(self, reference: _Optional[_Union[Reference, _Mapping]] = ...) -> None: ...

class ListReferencesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListReferencesResponse(_message.Message):
    __slots__ = ("references", "next_page_token")
    REFERENCES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    references: _containers.RepeatedCompositeFieldContainer[Reference]
    next_page_token: str
    def __init__(self, references: _Optional[_Iterable[_Union[Reference, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteReferenceRequest(_message.Message):
    __slots__ = ("reference_id",)
    REFERENCE_ID_FIELD_NUMBER: _ClassVar[int]
    reference_id: str
    def __init__(self, reference_id: _Optional[str] = ...) -> None: ...

class DeleteReferenceResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
