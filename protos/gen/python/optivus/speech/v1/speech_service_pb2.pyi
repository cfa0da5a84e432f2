import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from optivus.media.v1 import media_ref_pb2 as _media_ref_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Task(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_UNSPECIFIED: _ClassVar[Task]
    TASK_TRANSCRIBE: _ClassVar[Task]
    TASK_TRANSLATE: _ClassVar[Task]

class OutputFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OUTPUT_FORMAT_UNSPECIFIED: _ClassVar[OutputFormat]
    OUTPUT_FORMAT_SEGMENTS: _ClassVar[OutputFormat]
    OUTPUT_FORMAT_TEXT: _ClassVar[OutputFormat]
    OUTPUT_FORMAT_SRT: _ClassVar[OutputFormat]
    OUTPUT_FORMAT_VTT: _ClassVar[OutputFormat]

class Decoding(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECODING_UNSPECIFIED: _ClassVar[Decoding]
    DECODING_SEQUENTIAL: _ClassVar[Decoding]
    DECODING_BATCHED: _ClassVar[Decoding]

class AudioEncoding(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUDIO_ENCODING_UNSPECIFIED: _ClassVar[AudioEncoding]
    AUDIO_ENCODING_LINEAR16: _ClassVar[AudioEncoding]
    AUDIO_ENCODING_FLOAT32: _ClassVar[AudioEncoding]
TASK_UNSPECIFIED: Task
TASK_TRANSCRIBE: Task
TASK_TRANSLATE: Task
OUTPUT_FORMAT_UNSPECIFIED: OutputFormat
OUTPUT_FORMAT_SEGMENTS: OutputFormat
OUTPUT_FORMAT_TEXT: OutputFormat
OUTPUT_FORMAT_SRT: OutputFormat
OUTPUT_FORMAT_VTT: OutputFormat
DECODING_UNSPECIFIED: Decoding
DECODING_SEQUENTIAL: Decoding
DECODING_BATCHED: Decoding
AUDIO_ENCODING_UNSPECIFIED: AudioEncoding
AUDIO_ENCODING_LINEAR16: AudioEncoding
AUDIO_ENCODING_FLOAT32: AudioEncoding

class RecognitionConfig(_message.Message):
    __slots__ = ("language_code", "task", "word_timestamps", "vad_filter", "beam_size", "initial_prompt", "output_format", "decoding", "diarize", "min_speakers", "max_speakers")
    LANGUAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    WORD_TIMESTAMPS_FIELD_NUMBER: _ClassVar[int]
    VAD_FILTER_FIELD_NUMBER: _ClassVar[int]
    BEAM_SIZE_FIELD_NUMBER: _ClassVar[int]
    INITIAL_PROMPT_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FORMAT_FIELD_NUMBER: _ClassVar[int]
    DECODING_FIELD_NUMBER: _ClassVar[int]
    DIARIZE_FIELD_NUMBER: _ClassVar[int]
    MIN_SPEAKERS_FIELD_NUMBER: _ClassVar[int]
    MAX_SPEAKERS_FIELD_NUMBER: _ClassVar[int]
    language_code: str
    task: Task
    word_timestamps: bool
    vad_filter: bool
    beam_size: int
    initial_prompt: str
    output_format: OutputFormat
    decoding: Decoding
    diarize: bool
    min_speakers: int
    max_speakers: int
    def __init__(self, language_code: _Optional[str] = ..., task: _Optional[_Union[Task, str]] = ..., word_timestamps: _Optional[bool] = ..., vad_filter: _Optional[bool] = ..., beam_size: _Optional[int] = ..., initial_prompt: _Optional[str] = ..., output_format: _Optional[_Union[OutputFormat, str]] = ..., decoding: _Optional[_Union[Decoding, str]] = ..., diarize: _Optional[bool] = ..., min_speakers: _Optional[int] = ..., max_speakers: _Optional[int] = ...) -> None: ...

class TranscribeRequest(_message.Message):
    __slots__ = ("audio", "config")
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    audio: _media_ref_pb2.MediaRef
    config: RecognitionConfig
    def __init__(self, audio: _Optional[_Union[_media_ref_pb2.MediaRef, _Mapping]] = ..., config: _Optional[_Union[RecognitionConfig, _Mapping]] = ...) -> None: ...

class TranscribeResponse(_message.Message):
    __slots__ = ("segment", "result")
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    segment: Segment
    result: TranscriptionResult
    def __init__(self, segment: _Optional[_Union[Segment, _Mapping]] = ..., result: _Optional[_Union[TranscriptionResult, _Mapping]] = ...) -> None: ...

class Word(_message.Message):
    __slots__ = ("start", "end", "word", "probability", "speaker")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    WORD_FIELD_NUMBER: _ClassVar[int]
    PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    SPEAKER_FIELD_NUMBER: _ClassVar[int]
    start: _duration_pb2.Duration
    end: _duration_pb2.Duration
    word: str
    probability: float
    speaker: str
    def __init__(self, start: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., end: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., word: _Optional[str] = ..., probability: _Optional[float] = ..., speaker: _Optional[str] = ...) -> None: ...

class Segment(_message.Message):
    __slots__ = ("index", "start", "end", "text", "words", "avg_logprob", "no_speech_prob", "speaker")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    WORDS_FIELD_NUMBER: _ClassVar[int]
    AVG_LOGPROB_FIELD_NUMBER: _ClassVar[int]
    NO_SPEECH_PROB_FIELD_NUMBER: _ClassVar[int]
    SPEAKER_FIELD_NUMBER: _ClassVar[int]
    index: int
    start: _duration_pb2.Duration
    end: _duration_pb2.Duration
    text: str
    words: _containers.RepeatedCompositeFieldContainer[Word]
    avg_logprob: float
    no_speech_prob: float
    speaker: str
    def __init__(self, index: _Optional[int] = ..., start: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., end: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., text: _Optional[str] = ..., words: _Optional[_Iterable[_Union[Word, _Mapping]]] = ..., avg_logprob: _Optional[float] = ..., no_speech_prob: _Optional[float] = ..., speaker: _Optional[str] = ...) -> None: ...

class TranscriptionResult(_message.Message):
    __slots__ = ("language_code", "language_probability", "duration", "text", "segment_count", "output_format", "formatted", "model", "decoding", "speakers")
    LANGUAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FORMAT_FIELD_NUMBER: _ClassVar[int]
    FORMATTED_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    DECODING_FIELD_NUMBER: _ClassVar[int]
    SPEAKERS_FIELD_NUMBER: _ClassVar[int]
    language_code: str
    language_probability: float
    duration: _duration_pb2.Duration
    text: str
    segment_count: int
    output_format: OutputFormat
    formatted: str
    model: str
    decoding: Decoding
    speakers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, language_code: _Optional[str] = ..., language_probability: _Optional[float] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., text: _Optional[str] = ..., segment_count: _Optional[int] = ..., output_format: _Optional[_Union[OutputFormat, str]] = ..., formatted: _Optional[str] = ..., model: _Optional[str] = ..., decoding: _Optional[_Union[Decoding, str]] = ..., speakers: _Optional[_Iterable[str]] = ...) -> None: ...

class StreamingRecognitionConfig(_message.Message):
    __slots__ = ("config", "encoding", "sample_rate_hertz", "interim_results")
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    ENCODING_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_HERTZ_FIELD_NUMBER: _ClassVar[int]
    INTERIM_RESULTS_FIELD_NUMBER: _ClassVar[int]
    config: RecognitionConfig
    encoding: AudioEncoding
    sample_rate_hertz: int
    interim_results: bool
    def __init__(self, config: _Optional[_Union[RecognitionConfig, _Mapping]] = ..., encoding: _Optional[_Union[AudioEncoding, str]] = ..., sample_rate_hertz: _Optional[int] = ..., interim_results: _Optional[bool] = ...) -> None: ...

class StreamingTranscribeRequest(_message.Message):
    __slots__ = ("config", "audio_chunk")
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    AUDIO_CHUNK_FIELD_NUMBER: _ClassVar[int]
    config: StreamingRecognitionConfig
    audio_chunk: bytes
    def __init__(self, config: _Optional[_Union[StreamingRecognitionConfig, _Mapping]] = ..., audio_chunk: _Optional[bytes] = ...) -> None: ...

class StreamingTranscribeResponse(_message.Message):
    __slots__ = ("segments", "is_final", "result")
    SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    IS_FINAL_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    segments: _containers.RepeatedCompositeFieldContainer[Segment]
    is_final: bool
    result: TranscriptionResult
    def __init__(self, segments: _Optional[_Iterable[_Union[Segment, _Mapping]]] = ..., is_final: _Optional[bool] = ..., result: _Optional[_Union[TranscriptionResult, _Mapping]] = ...) -> None: ...

class EnrollSpeakerRequest(_message.Message):
    __slots__ = ("audio", "name")
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    audio: _media_ref_pb2.MediaRef
    name: str
    def __init__(self, audio: _Optional[_Union[_media_ref_pb2.MediaRef, _Mapping]] = ..., name: _Optional[str] = ...) -> None: ...

class EnrollSpeakerResponse(_message.Message):
    __slots__ = ("speaker",)
    SPEAKER_FIELD_NUMBER: _ClassVar[int]
    speaker: KnownSpeaker
    def __init__(self, speaker: _Optional[_Union[KnownSpeaker, _Mapping]] = ...) -> None: ...

class KnownSpeaker(_message.Message):
    __slots__ = ("speaker_id", "name", "duration", "encoder")
    SPEAKER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    ENCODER_FIELD_NUMBER: _ClassVar[int]
    speaker_id: str
    name: str
    duration: _duration_pb2.Duration
    encoder: str
    def __init__(self, speaker_id: _Optional[str] = ..., name: _Optional[str] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., encoder: _Optional[str] = ...) -> None: ...

class ListSpeakersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSpeakersResponse(_message.Message):
    __slots__ = ("speakers",)
    SPEAKERS_FIELD_NUMBER: _ClassVar[int]
    speakers: _containers.RepeatedCompositeFieldContainer[KnownSpeaker]
    def __init__(self, speakers: _Optional[_Iterable[_Union[KnownSpeaker, _Mapping]]] = ...) -> None: ...

class DeleteSpeakerRequest(_message.Message):
    __slots__ = ("speaker_id",)
    SPEAKER_ID_FIELD_NUMBER: _ClassVar[int]
    speaker_id: str
    def __init__(self, speaker_id: _Optional[str] = ...) -> None: ...

class DeleteSpeakerResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
