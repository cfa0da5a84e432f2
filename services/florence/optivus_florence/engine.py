"""VisionEngine: Florence-2 and/or RapidOCR, loaded once per process.
Model-facing only: no gRPC here. Decides which engine serves each task,
and what a request that names no task gets."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace

from PIL import Image

from optivus_common.errors import FailedPrecondition, InvalidArgument, Unavailable

from .config import FlorenceSettings
from .florence2 import Florence2, pick_device
from .images import open_image, use_own_pixel_limit
from .model_files import ModelUnavailable, resolve_model
from .ocr import RapidOcr
from .results import DEFAULT_TASK, Description, Engine, Task

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Plan:
    """How one request runs: the task, its engine, and a warning when the
    task is not what the request asked for."""

    task: Task
    engine: Engine
    phrase: str = ""
    warning: str = ""


class VisionEngine:
    def __init__(self, settings: FlorenceSettings) -> None:
        self.settings = settings
        self._florence: Florence2 | None = None
        self._ocr: RapidOcr | None = None
        self.florence_reason = "the model is still loading"
        self.device = ""
        self._loaded = False
        self._load_lock = threading.Lock()
        use_own_pixel_limit()

    @property
    def loaded(self) -> bool:
        return self._loaded

    @property
    def florence_model(self) -> str:
        return self._florence.name if self._florence else ""

    def load(self) -> None:
        with self._load_lock:
            if self._loaded:
                return
            spec = self.settings.model
            try:
                path = resolve_model(spec, self.settings.model_cache, self.settings.download)
                self.device = pick_device(self.settings.device)
                self._florence = Florence2.load(path, spec, self.device, self.settings.num_beams,
                                                self.settings.max_new_tokens)
                self.florence_reason = ""
            except ModelUnavailable as exc:
                self.florence_reason = str(exc)
            except Exception as exc:  # noqa: BLE001 - unusable weights: serve what we can without them
                log.error("florence-2 failed to load", exc_info=exc)
                self.florence_reason = f"loading {spec} failed: {type(exc).__name__}: {str(exc)[:200]}"
            if self._florence is None or self.settings.ocr_engine == "rapidocr":
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
                                                           or self.settings.ocr_engine == "rapidocr")):
                served[task] = Engine.RAPIDOCR
            elif self._florence is not None:
                served[task] = Engine.FLORENCE2
        return served

    def default_task(self) -> Task:
        return DEFAULT_TASK if self._florence is not None else Task.OCR

    def plan(self, task: Task | None, phrase: str = "") -> Plan:
        """Raises FailedPrecondition for a task this instance cannot serve."""
        if not self._loaded:
            raise Unavailable("the vision models are still loading", reason="MODEL_NOT_LOADED")
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

    def ocr_plan(self) -> Plan:
        return self.plan(Task.OCR)

    def describe(self, images: list[Image.Image], plan: Plan) -> list[Description]:
        """Runs `plan` on `images`, in generate() batches of the configured size."""
        results: list[Description] = []
        if plan.engine is Engine.RAPIDOCR:
            results = [self._ocr.describe(image, plan.task) for image in images]
        else:
            size = self.settings.batch_size
            for i in range(0, len(images), size):
                results.extend(self._florence.describe(images[i:i + size], plan.task, plan.phrase))
        if plan.warning:
            results = [replace(r, warning=plan.warning) for r in results]
        return results

    def describe_image(self, source: str | bytes, plan: Plan) -> Description:
        image = open_image(source, self.settings.max_image_pixels)
        return self.describe([image], plan)[0]
