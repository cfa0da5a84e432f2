from __future__ import annotations

from typing import Literal

from pydantic import Field

from optivus_common.settings import CommonSettings


class WhisperSettings(CommonSettings):
    service_name: str = "optivus-whisper"
    host: str = Field("0.0.0.0", validation_alias="OPTIVUS_WHISPER_HOST")
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
