from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from optivus_common.settings import CommonSettings

from .images import BYTES_PER_PIXEL


class FlorenceSettings(CommonSettings):
    service_name: str = "optivus-florence"
    host: str = Field("127.0.0.1", validation_alias="OPTIVUS_FLORENCE_HOST")
    port: int = Field(50053, validation_alias="OPTIVUS_FLORENCE_PORT")
    # A hub id or a local folder saved with save_pretrained. The seed's
    # microsoft/Florence-2-* ids (remote code) are read as their
    # transformers-native florence-community/Florence-2-* conversions.
    model: str = Field("microsoft/Florence-2-base", validation_alias="AI_FLORENCE_MODEL")
    # Fetch a hub id that is not in the model cache. HF_HUB_OFFLINE=1 also
    # turns this off; either way the service then starts without Florence-2.
    download: bool = Field(True, validation_alias="OPTIVUS_FLORENCE_DOWNLOAD")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", validation_alias="OPTIVUS_FLORENCE_DEVICE")
    # Images (video key frames) per generate() call.
    batch_size: int = Field(4, ge=1, le=64, validation_alias="OPTIVUS_FLORENCE_BATCH_SIZE")
    num_beams: int = Field(3, ge=1, le=10, validation_alias="OPTIVUS_FLORENCE_NUM_BEAMS")
    max_new_tokens: int = Field(1024, ge=1, le=4096, validation_alias="OPTIVUS_FLORENCE_MAX_NEW_TOKENS")
    # "auto": OCR tasks run on Florence-2 when it is loaded, else RapidOCR;
    # "rapidocr": always RapidOCR for the OCR tasks.
    ocr_engine: Literal["auto", "rapidocr"] = Field("auto", validation_alias="OPTIVUS_FLORENCE_OCR_ENGINE")
    # Requests that run at once (the model itself runs one batch at a time).
    workers: int = Field(2, ge=1, validation_alias="OPTIVUS_FLORENCE_WORKERS")
    # Larger images (width x height, read from the header) are refused with
    # RESOURCE_EXHAUSTED before they are decoded; video frames too.
    max_image_pixels: int = Field(50_000_000, ge=1, validation_alias="OPTIVUS_FLORENCE_MAX_IMAGE_PIXELS")
    max_batch_images: int = Field(256, ge=1, validation_alias="OPTIVUS_FLORENCE_MAX_BATCH_IMAGES")
    # Memory for decoded images across all requests at once; an image takes
    # 8 bytes per pixel of it (images.BYTES_PER_PIXEL) from its decoding
    # until its description ends. Others wait their turn.
    decode_budget_mb: int = Field(1024, ge=1, validation_alias="OPTIVUS_FLORENCE_DECODE_BUDGET_MB")
    # Inline media (MediaRef.content) held at once by calls in progress;
    # a call that would go over is refused (RESOURCE_EXHAUSTED, retryable).
    max_inline_mb: int = Field(128, ge=1, validation_alias="OPTIVUS_FLORENCE_MAX_INLINE_MB")
    # Video: frames taken per second for scene detection.
    sample_fps: float = Field(1.0, gt=0, le=30, validation_alias="OPTIVUS_FLORENCE_SAMPLE_FPS")
    # Histogram distance in [0, 1] between consecutive samples that starts
    # a new scene.
    scene_threshold: float = Field(0.35, gt=0, le=1, validation_alias="OPTIVUS_FLORENCE_SCENE_THRESHOLD")
    keyframes_per_scene: int = Field(1, ge=1, le=8, validation_alias="OPTIVUS_FLORENCE_KEYFRAMES_PER_SCENE")
    # A scene longer than this is cut, so that a long static shot still
    # streams descriptions; 0 never cuts.
    max_scene_seconds: float = Field(300.0, ge=0, validation_alias="OPTIVUS_FLORENCE_MAX_SCENE_SECONDS")
    # Scene changes closer than this to the scene's start are merged into it.
    min_scene_seconds: float = Field(1.0, ge=0, validation_alias="OPTIVUS_FLORENCE_MIN_SCENE_SECONDS")
    # Scenes described per video at most: a longer video gets longer
    # scenes (at least duration / max_scenes), and past the cap nothing is cut.
    max_scenes: int = Field(1000, ge=1, validation_alias="OPTIVUS_FLORENCE_MAX_SCENES")
    max_video_seconds: float = Field(4 * 3600, gt=0, validation_alias="OPTIVUS_FLORENCE_MAX_VIDEO_SECONDS")
    # Every frame is decoded: a video of more frames per second than this
    # is refused as it decodes, since its length alone bounds no work.
    max_video_fps: float = Field(240.0, gt=0, validation_alias="OPTIVUS_FLORENCE_MAX_VIDEO_FPS")

    @model_validator(mode="after")
    def _budgets_fit(self) -> FlorenceSettings:
        need_mb = self.max_image_pixels * BYTES_PER_PIXEL / 2**20
        if need_mb > self.decode_budget_mb:
            raise ValueError(f"OPTIVUS_FLORENCE_DECODE_BUDGET_MB ({self.decode_budget_mb}) must hold one image of "
                             f"OPTIVUS_FLORENCE_MAX_IMAGE_PIXELS ({self.max_image_pixels}): {need_mb:.0f} MB")
        if self.max_inline_mb < self.grpc_max_message_mb:
            raise ValueError(f"OPTIVUS_FLORENCE_MAX_INLINE_MB ({self.max_inline_mb}) must be at least "
                             f"OPTIVUS_GRPC_MAX_MESSAGE_MB ({self.grpc_max_message_mb})")
        return self
