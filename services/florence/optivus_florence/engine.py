"""VisionEngine: Florence-2 and/or RapidOCR, loaded once per process.
Model-facing only: plain Python types, no transport, no media. Decides
which engine serves each task, and what a request that names no task
gets. It is given what it needs (EngineConfig), not the service settings."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image

from optivus_common.devices import pick_device
from optivus_common.errors import FailedPrecondition, InvalidArgument, still_loading

from .config import FlorenceSettings
from .florence2 import Florence2
from .model_files import ModelUnavailable, resolve_model
from .ocr import RapidOcr
from .results import DEFAULT_TASK, Description, Engine, Task

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineConfig:
    model: str
    model_cache: Path
    download: bool = True
    device: str = "auto"
    # Images per generate() call.
    batch_size: int = 4
    num_beams: int = 3
    max_new_tokens: int = 1024
    ocr_engine: str = "auto"

    @classmethod
    def from_settings(cls, settings: FlorenceSettings) -> EngineConfig:
        return cls(model=settings.model, model_cache=settings.model_cache, download=settings.download,
                   device=settings.device, batch_size=settings.batch_size, num_beams=settings.num_beams,
                   max_new_tokens=settings.max_new_tokens, ocr_engine=settings.ocr_engine)


@dataclass(frozen=True)
class Plan:
    """How one request runs: the task, its engine, and a warning when the
    task is not what the request asked for."""

    task: Task
    engine: Engine
    phrase: str = ""
    warning: str = ""


class VisionEngine:
    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self._florence: Florence2 | None = None
        self._ocr: RapidOcr | None = None
        self.florence_reason = "the model is still loading"
        self.device = ""
        self._loaded = False
        self._load_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: FlorenceSettings) -> VisionEngine:
        return cls(EngineConfig.from_settings(settings))

    @property
    def loaded(self) -> bool:
        return self._loaded

    @property
    def batch_size(self) -> int:
        """Images the model takes per call; callers group work by it."""
        return self.config.batch_size

    @property
    def florence_model(self) -> str:
        return self._florence.name if self._florence else ""

    def load(self) -> None:
        config = self.config
        with self._load_lock:
            if self._loaded:
                return
            try:
                path = resolve_model(config.model, config.model_cache, config.download)
                self.device = pick_device(config.device)
                self._florence = Florence2.load(path, config.model, self.device, config.num_beams,
                                                config.max_new_tokens)
                self.florence_reason = ""
            except ModelUnavailable as exc:
                self.florence_reason = str(exc)
            except Exception as exc:  # noqa: BLE001 - unusable weights: serve what we can without them
                log.error("florence-2 failed to load", exc_info=exc)
                self.florence_reason = f"loading {config.model} failed: {type(exc).__name__}: {str(exc)[:200]}"
            if self._florence is None or config.ocr_engine == "rapidocr":
                self._ocr = RapidOcr()
            self.device = self.device or "cpu"
            self._loaded = True
            if self.florence_reason:
                log.warning("florence-2 unavailable; caption tasks answer FAILED_PRECONDITION",
                            extra={"reason": self.florence_reason})
            log.info("vision engine ready", extra={"tasks": {t.name: e.value for t, e in self.capabilities().items()},
                                                   "default_task": self.default_task().name})

    def capabilities(self) -> dict[Task, Engine]:
        served = {}
        for task in Task:
            if task.is_ocr and (self._ocr is not None and (self._florence is None
                                                           or self.config.ocr_engine == "rapidocr")):
                served[task] = Engine.RAPIDOCR
            elif self._florence is not None:
                served[task] = Engine.FLORENCE2
        return served

    def default_task(self) -> Task:
        return DEFAULT_TASK if self._florence is not None else Task.OCR

    def plan(self, task: Task | None, phrase: str = "") -> Plan:
        """Raises FailedPrecondition for a task this instance cannot serve."""
        if not self._loaded:
            raise still_loading("vision model")
        served = self.capabilities()
        warning = ""
        if task is None:
            task = self.default_task()
            if task is not DEFAULT_TASK:
                warning = (f"Florence-2 is not available on this server ({self.florence_reason}), so this is "
                           f"OCR text rather than a caption; set AI_FLORENCE_MODEL to get captions")
        if task not in served:
            raise FailedPrecondition(
                f"the {task.name} task needs Florence-2, which this server could not load: {self.florence_reason}. "
                "Set AI_FLORENCE_MODEL to a local Florence-2 folder or a hub id the server can download.",
                reason="FLORENCE_UNAVAILABLE", setting="AI_FLORENCE_MODEL", task=task.name)
        if task is Task.CAPTION_TO_PHRASE_GROUNDING and not phrase.strip():
            raise InvalidArgument("CAPTION_TO_PHRASE_GROUNDING needs a phrase to ground", reason="PHRASE_MISSING")
        return Plan(task, served[task], phrase.strip(), warning)

    def describe(self, images: list[Image.Image], plan: Plan) -> list[Description]:
        """Runs `plan` on `images`, in generate() batches of batch_size."""
        results: list[Description] = []
        if plan.engine is Engine.RAPIDOCR:
            results = [self._ocr.describe(image, plan.task) for image in images]
        else:
            size = self.config.batch_size
            for i in range(0, len(images), size):
                results.extend(self._florence.describe(images[i:i + size], plan.task, plan.phrase))
        if plan.warning:
            results = [replace(r, warning=plan.warning) for r in results]
        return results
