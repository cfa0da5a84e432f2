from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from optivus_common.settings import CommonSettings


class WhisperSettings(CommonSettings):
    service_name: str = "optivus-whisper"
    host: str = Field("127.0.0.1", validation_alias="OPTIVUS_WHISPER_HOST")
    port: int = Field(50052, validation_alias="OPTIVUS_WHISPER_PORT")
    # A size name ("base", "tiny.en", "large-v3"), a hub id, the seed's
    # "openai/whisper-<size>", or a local CTranslate2 folder. "base" and
    # "tiny.en" come from packaged weights and work offline.
    model: str = Field("base", validation_alias="AI_WHISPER_MODEL")
    # Transcriptions that run at once (the seed's batch size).
    batch_workers: int = Field(4, ge=1, validation_alias="AI_WHISPER_BATCH_WORKER")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", validation_alias="OPTIVUS_WHISPER_DEVICE")
    # "auto" is int8 on CPU and float16 on CUDA.
    compute_type: str = Field("auto", validation_alias="OPTIVUS_WHISPER_COMPUTE_TYPE")
    # Threads per transcription on CPU; 0 lets CTranslate2 choose.
    cpu_threads: int = Field(0, ge=0, validation_alias="OPTIVUS_WHISPER_CPU_THREADS")
    default_beam_size: int = Field(5, ge=1, le=20, validation_alias="OPTIVUS_WHISPER_BEAM_SIZE")
    # Longer audio is refused with RESOURCE_EXHAUSTED before decoding.
    max_audio_seconds: float = Field(4 * 3600, gt=0, validation_alias="OPTIVUS_WHISPER_MAX_AUDIO_SECONDS")
    # Transcribe: "auto" decodes in batches (batched.py) except clips
    # shorter than batched_min_seconds, which go sequentially
    # (sequential.py); "sequential" or "batched" always. A request may ask
    # for either (RecognitionConfig.decoding).
    decoding: Literal["auto", "sequential", "batched"] = Field("auto", validation_alias="OPTIVUS_WHISPER_DECODING")
    # Pieces of up to 30 s decoded together, from any requests, and how
    # long the oldest waiting piece may wait for a batch to fill. Measured
    # on 2 CPU cores (base, beam 5): 2 is within 10 % of the speed of 4 or 8
    # and keeps a long file within 300 MB of the idle process; 4 and 8 take
    # about 500 MB. On a GPU, 8 or more.
    batch_size: int = Field(2, ge=1, le=64, validation_alias="OPTIVUS_WHISPER_BATCH_SIZE")
    batch_wait_ms: float = Field(100.0, ge=0, le=60_000, validation_alias="OPTIVUS_WHISPER_BATCH_WAIT_MS")
    batched_min_seconds: float = Field(0.0, ge=0, le=30, validation_alias="OPTIVUS_WHISPER_BATCHED_MIN_SECONDS")
    # StreamingTranscribe: the longest window of live audio transcribed at
    # once (what is older is made final), the longest session, and how much
    # faster than real time the audio may arrive (after a head start of one
    # window).
    live_window_seconds: float = Field(30.0, ge=5, le=120, validation_alias="OPTIVUS_WHISPER_LIVE_WINDOW_SECONDS")
    live_max_seconds: float = Field(4 * 3600, gt=0, validation_alias="OPTIVUS_WHISPER_LIVE_MAX_SECONDS")
    live_max_speed: float = Field(2.0, gt=0, validation_alias="OPTIVUS_WHISPER_LIVE_MAX_SPEED")
    # Diarization (RecognitionConfig.diarize): the speaker encoder
    # ("resemblyzer", about 400 MB with torch and 10 s to load on 2 cores,
    # so it loads on the first request that diarizes unless preloaded at
    # start; "none" refuses such requests), the cosine distance under which the average-linkage
    # clustering joins voices (the estimated number of speakers), and the
    # most speakers a transcript may have (a request's max_speakers too).
    diarizer: Literal["resemblyzer", "none"] = Field("resemblyzer", validation_alias="OPTIVUS_WHISPER_DIARIZER")
    diarizer_preload: bool = Field(False, validation_alias="OPTIVUS_WHISPER_DIARIZER_PRELOAD")
    diarize_threshold: float = Field(0.3, gt=0, lt=2, validation_alias="OPTIVUS_WHISPER_DIARIZE_THRESHOLD")
    diarize_max_speakers: int = Field(10, ge=1, le=50, validation_alias="OPTIVUS_WHISPER_DIARIZE_MAX_SPEAKERS")
    # Known speakers (EnrollSpeaker): their folder without NATS (default:
    # data_dir/speakers), the key-value bucket every replica shares with
    # OPTIVUS_NATS_URL, how many may be enrolled (in all replicas), and the cosine similarity of voice prints
    # from which a transcript's speaker takes an enrolled name.
    speakers_dir: Path | None = Field(None, validation_alias="OPTIVUS_WHISPER_SPEAKERS_DIR")
    speaker_bucket: str = Field("optivus-whisper-speakers", pattern=r"^[A-Za-z0-9_-]{1,64}$",
                                validation_alias="OPTIVUS_WHISPER_SPEAKER_BUCKET")
    max_known_speakers: int = Field(100, ge=1, le=10_000, validation_alias="OPTIVUS_WHISPER_MAX_KNOWN_SPEAKERS")
    speaker_match: float = Field(0.8, gt=0, le=1, validation_alias="OPTIVUS_WHISPER_SPEAKER_MATCH")
    # Torch threads of the speaker encoder; 0 lets torch choose. Its small
    # LSTM batches run slower on more threads when the cores are busy
    # (measured on 2 shared cores: 1 thread about 6 times faster than 2).
    diarize_threads: int = Field(1, ge=0, le=64, validation_alias="OPTIVUS_WHISPER_DIARIZE_THREADS")
