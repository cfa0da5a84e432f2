"""RapidOCR (PP-OCRv4 detection and recognition on ONNX Runtime; the
weights ship in the rapidocr-onnxruntime wheel) for the OCR tasks."""

from __future__ import annotations

import threading

from PIL import Image

from .results import Description, Engine, Region, Task


class RapidOcr:
    def __init__(self) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self._engine = RapidOCR()
        # RapidOCR keeps per-call state on the instance.
        self._lock = threading.Lock()

    def describe(self, image: Image.Image, task: Task) -> Description:
        with self._lock:
            found, _ = self._engine(image)
        regions = [Region(str(text).strip(), quad=tuple(float(v) for point in box for v in point), score=float(score))
                   for box, text, score in found or [] if str(text).strip()]
        text = "\n".join(r.label for r in regions)
        return Description(task, Engine.RAPIDOCR, text, image.width, image.height,
                           regions if task is Task.OCR_WITH_REGION else [])
