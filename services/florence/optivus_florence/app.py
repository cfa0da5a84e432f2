"""The florence application layer: plain Python types in and out, no
transport. It resolves media, decodes and checks images, groups a batch
into model batches by (task, phrase), holds the concurrency slots and the
memory budgets (decoded pixels, inline bytes) and raises domain errors.
The gRPC servicer adapts it; a JetStream worker can adapt the same object.
Each call is a span with its cost (engine, model, frames) and counts in the
frames and media-seconds metrics (optivus_common.metrics)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

from PIL import Image

from optivus_common import metrics
from optivus_common.errors import InvalidArgument, ResourceExhausted, still_loading
from optivus_common.media import MediaResolver, MediaSource
from optivus_common.safe_av import duration_of
from optivus_common.telemetry import attributes, work_span
from optivus_common.threads import call_in_thread, iterate_in_thread

from .budget import ByteBudget
from .config import FlorenceSettings
from .engine import Plan, VisionEngine
from .images import BYTES_PER_PIXEL, image_size, open_image, use_own_pixel_limit
from .memory import trim_after
from .results import Description, Engine, Task
from .video_pipeline import SceneResult, VideoConfig, VideoOptions, VideoSummary, describe_video

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImageRequest:
    source: MediaSource
    task: Task | None = None  # None: the service default
    phrase: str = ""


@dataclass(frozen=True)
class ImageOutcome:
    """One image of a batch: its position in the batch, and its result or
    the error that stopped it (the other images are unaffected)."""

    index: int
    result: Description | None = None
    error: Exception | None = None


@dataclass(frozen=True)
class Capabilities:
    tasks: dict[Task, Engine]
    default_task: Task
    florence_model: str
    florence_unavailable_reason: str
    device: str


@dataclass(frozen=True)
class ImageLimits:
    workers: int = 2  # requests (batch steps) that run at once
    max_pixels: int = 50_000_000
    max_batch_images: int = 256
    # Decoded images held at once, all requests together (BYTES_PER_PIXEL each pixel).
    decode_budget_bytes: int = 1024 * 2**20
    # Inline media (MediaSource.content) held at once by calls in progress.
    max_inline_bytes: int = 128 * 2**20

    @classmethod
    def from_settings(cls, settings: FlorenceSettings) -> ImageLimits:
        return cls(workers=settings.workers, max_pixels=settings.max_image_pixels,
                   max_batch_images=settings.max_batch_images, decode_budget_bytes=settings.decode_budget_mb * 2**20,
                   max_inline_bytes=settings.max_inline_mb * 2**20)


@dataclass
class _Decoded:
    index: int
    image: Image.Image
    cost: int  # bytes of the decode budget it holds


def check_video_options(options: VideoOptions) -> None:
    if not 0 <= options.sample_fps <= 30:
        raise InvalidArgument("sample_fps must be between 0 (the default) and 30", reason="BAD_SAMPLE_FPS")
    if not 0 <= options.scene_threshold <= 1:
        raise InvalidArgument("scene_threshold must be between 0 (the default) and 1", reason="BAD_SCENE_THRESHOLD")


class VisionApp:
    def __init__(self, engine: VisionEngine, media: MediaResolver, limits: ImageLimits, video: VideoConfig) -> None:
        self._engine = engine
        self._media = media
        self._limits = limits
        self._video = video
        if limits.max_pixels * BYTES_PER_PIXEL > limits.decode_budget_bytes:
            raise ValueError("the decode budget must hold one image of the largest size allowed")
        self._slots = asyncio.Semaphore(limits.workers)
        self._decode_budget = ByteBudget(limits.decode_budget_bytes)
        self._inline_budget = ByteBudget(limits.max_inline_bytes)
        use_own_pixel_limit()

    @classmethod
    def from_settings(cls, settings: FlorenceSettings, engine: VisionEngine, media: MediaResolver) -> VisionApp:
        return cls(engine, media, ImageLimits.from_settings(settings), VideoConfig.from_settings(settings))

    def _cost(self, plan: Plan) -> dict:
        """What a plan runs on, for its span."""
        model = self._engine.florence_model if plan.engine is Engine.FLORENCE2 else plan.engine.value
        return {"engine": plan.engine.value, "model": model, "task": plan.task.name, "device": self._engine.device}

    def _require_loaded(self) -> None:
        if not self._engine.loaded:
            raise still_loading("vision model")

    def capabilities(self) -> Capabilities:
        self._require_loaded()
        engine = self._engine
        return Capabilities(tasks=engine.capabilities(), default_task=engine.default_task(),
                            florence_model=engine.florence_model,
                            florence_unavailable_reason=engine.florence_reason, device=engine.device)

    @contextlib.asynccontextmanager
    async def _inline(self, sources: Sequence[MediaSource]) -> AsyncIterator[None]:
        """Counts the call's inline media against OPTIVUS_FLORENCE_MAX_INLINE_MB
        while it runs; refuses it at once when that is spent, so that calls
        carrying large messages do not pile up waiting for a slot."""
        size = sum(len(source.content) for source in sources if source.content is not None)
        if size > self._inline_budget.limit:
            raise ResourceExhausted(f"this call carries {size} bytes of inline media; at most "
                                    f"{self._inline_budget.limit} (OPTIVUS_FLORENCE_MAX_INLINE_MB)",
                                    reason="INLINE_MEDIA_TOO_LARGE", limit_bytes=self._inline_budget.limit)
        if not self._inline_budget.try_take(size):
            raise ResourceExhausted("the server holds all the inline media it accepts at once "
                                    "(OPTIVUS_FLORENCE_MAX_INLINE_MB); try again shortly, or send a path or a blob key",
                                    reason="INLINE_MEDIA_BUSY", retryable=True)
        try:
            yield
        finally:
            self._inline_budget.give(size)

    async def _decode(self, source: str | bytes, cost: int, pixels: int) -> Image.Image:
        """Decodes an image whose budget (`cost`) is already taken; gives it
        back when decoding fails. `pixels` is what the header said, so a
        file that changes in between cannot decode larger than was taken."""
        try:
            return await call_in_thread(lambda: open_image(source, min(pixels, self._limits.max_pixels)))
        except BaseException:
            self._release(cost)
            raise

    def _release(self, cost: int) -> None:
        self._decode_budget.give(cost)
        trim_after(cost)

    async def _size(self, source: str | bytes) -> tuple[int, int]:
        return await call_in_thread(lambda: image_size(source, self._limits.max_pixels))

    async def describe_image(self, request: ImageRequest) -> Description:
        self._require_loaded()
        plan = self._engine.plan(request.task, request.phrase)
        started = time.monotonic()
        async with self._inline([request.source]), self._media.open(request.source, "image") as media, self._slots:
            width, height = await self._size(media.source)
            cost = width * height * BYTES_PER_PIXEL
            await self._decode_budget.take(cost)
            image = await self._decode(media.source, cost, width * height)
            try:
                with self._span("florence.describe_image", plan, images=1):
                    [result] = await call_in_thread(lambda: self._engine.describe([image], plan))
            finally:
                del image
                self._release(cost)
        log.info("described image", extra={"media": media.name, "task": plan.task.name, "engine": plan.engine.value,
                                           "wall_s": round(time.monotonic() - started, 3)})
        return result

    @contextlib.contextmanager
    def _span(self, name: str, plan: Plan, **more):
        with work_span(name, **self._cost(plan), **more) as span:
            yield span

    async def describe_images(self, items: Sequence[ImageRequest | Exception]) -> AsyncIterator[ImageOutcome]:
        """One outcome per item, in order. An item may already be the error
        that stopped the adapter from reading it; it is answered as such.
        Images with the same (task, phrase) run together in model batches,
        taken in the order of the first image still waiting, so that
        answers stream in order while batches stay full."""
        self._require_loaded()
        if not items:
            raise InvalidArgument("`requests` is empty", reason="NO_IMAGES")
        limit = self._limits.max_batch_images
        if len(items) > limit:
            raise InvalidArgument(f"at most {limit} images per batch (OPTIVUS_FLORENCE_MAX_BATCH_IMAGES)",
                                  reason="BATCH_TOO_LARGE", limit=limit)
        done: dict[int, ImageOutcome] = {}
        groups: dict[tuple[Task, str], list[tuple[int, ImageRequest, Plan]]] = {}
        group_of: dict[int, tuple[Task, str]] = {}
        for i, item in enumerate(items):
            if isinstance(item, Exception):
                done[i] = ImageOutcome(i, error=item)
                continue
            try:
                plan = self._engine.plan(item.task, item.phrase)
            except Exception as exc:  # noqa: BLE001 - one image's failure is its own answer
                done[i] = ImageOutcome(i, error=exc)
                continue
            group_of[i] = (plan.task, plan.phrase)
            groups.setdefault(group_of[i], []).append((i, item, plan))
        started = time.monotonic()
        async with self._inline([item.source for item in items if isinstance(item, ImageRequest)]):
            for next_index in range(len(items)):
                if next_index not in done:
                    waiting = groups[group_of[next_index]]
                    batch, waiting[:] = waiting[:self._engine.batch_size], waiting[self._engine.batch_size:]
                    async with self._slots:
                        done.update(await self._describe_batch(batch))
                yield done.pop(next_index)
        log.info("described images", extra={"images": len(items), "wall_s": round(time.monotonic() - started, 3)})

    async def _describe_batch(self, batch: list[tuple[int, ImageRequest, Plan]]) -> dict[int, ImageOutcome]:
        """Decodes each image (its own error on failure) and runs those that
        decoded as one model batch. When the decode budget cannot take the
        next image while this batch already holds some, the model runs on
        those first and gives their memory back: a batch never waits for
        memory it holds itself."""
        outcomes: dict[int, ImageOutcome] = {}
        plan = batch[0][2]
        pending = list(batch)
        while pending:
            decoded: list[_Decoded] = []
            try:
                while pending:
                    i, request, _ = pending[0]
                    try:
                        async with self._media.open(request.source, "image") as media:
                            width, height = await self._size(media.source)
                            cost = width * height * BYTES_PER_PIXEL
                            if not self._decode_budget.try_take(cost):
                                if decoded:
                                    break
                                await self._decode_budget.take(cost)
                            decoded.append(_Decoded(i, await self._decode(media.source, cost, width * height), cost))
                    except Exception as exc:  # noqa: BLE001 - one image's failure is its own answer
                        outcomes[i] = ImageOutcome(i, error=exc)
                    pending.pop(0)
                if decoded:
                    outcomes.update(await self._run_model(decoded, plan))
            finally:
                held = sum(item.cost for item in decoded)
                decoded.clear()
                self._release(held)
        return outcomes

    async def _run_model(self, decoded: list[_Decoded], plan: Plan) -> dict[int, ImageOutcome]:
        images = [item.image for item in decoded]
        try:
            with self._span("florence.describe_batch", plan, images=len(images)):
                results = await call_in_thread(lambda: self._engine.describe(images, plan))
        except Exception as exc:  # noqa: BLE001 - the batch's failure is each of its images' answer
            return {item.index: ImageOutcome(item.index, error=exc) for item in decoded}
        return {item.index: ImageOutcome(item.index, result=r) for item, r in zip(decoded, results)}

    async def describe_video(self, source: MediaSource, options: VideoOptions,
                             progress: Callable[[float], Awaitable[None]] | None = None,
                             ) -> AsyncIterator[SceneResult | VideoSummary]:
        """Each scene as it is described, then the summary. The slot is held
        until the decoding thread has ended, even when the caller stops early
        (close this iterator: contextlib.aclosing). `progress` is told the
        fraction of the video described (by the media's stated length)."""
        self._require_loaded()
        check_video_options(options)
        plan = self._engine.plan(options.task, options.phrase)  # a task this instance cannot serve fails first
        started = time.monotonic()
        summary = None
        async with self._inline([source]), self._media.open(source, "video") as media, self._slots:
            total = await asyncio.to_thread(duration_of, media.source) if progress is not None else None
            began = time.monotonic()
            with self._span("florence.describe_video", plan) as span:
                async for item in iterate_in_thread(
                        lambda stop: describe_video(self._engine, media.source, options, self._video, stop)):
                    if isinstance(item, VideoSummary):
                        summary = item
                        span.set_attributes(attributes(
                            video_seconds=item.duration, scenes=item.scene_count, frames_decoded=item.decoded_frames,
                            frames_sampled=item.sampled_frames, frames_described=item.described_frames))
                    elif total:
                        await progress(min(1.0, item.end / total))
                    yield item
        if summary is not None:
            for kind, count in (("decoded", summary.decoded_frames), ("sampled", summary.sampled_frames),
                                ("described", summary.described_frames)):
                metrics.FRAMES.labels("describe_video", kind).inc(count)
            metrics.observe_media("describe_video", summary.duration, time.monotonic() - began)
            log.info("described video", extra={"media": media.name, "scenes": summary.scene_count,
                                               "decoded_frames": summary.decoded_frames,
                                               "described_frames": summary.described_frames,
                                               "wall_s": round(time.monotonic() - started, 3)})
