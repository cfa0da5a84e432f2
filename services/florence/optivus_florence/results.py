"""Engine-level types: tasks, regions and descriptions (no protobuf here)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Task(enum.Enum):
    """Florence-2 tasks; the value is the model's task token."""

    CAPTION = "<CAPTION>"
    DETAILED_CAPTION = "<DETAILED_CAPTION>"
    MORE_DETAILED_CAPTION = "<MORE_DETAILED_CAPTION>"
    OCR = "<OCR>"
    OCR_WITH_REGION = "<OCR_WITH_REGION>"
    OD = "<OD>"
    DENSE_REGION_CAPTION = "<DENSE_REGION_CAPTION>"
    CAPTION_TO_PHRASE_GROUNDING = "<CAPTION_TO_PHRASE_GROUNDING>"

    @property
    def is_ocr(self) -> bool:
        return self in (Task.OCR, Task.OCR_WITH_REGION)


DEFAULT_TASK = Task.MORE_DETAILED_CAPTION


class Engine(enum.Enum):
    FLORENCE2 = "florence2"
    RAPIDOCR = "rapidocr"


@dataclass(frozen=True)
class Region:
    label: str
    box: tuple[float, float, float, float] | None = None  # x1, y1, x2, y2
    quad: tuple[float, ...] | None = None  # 4 corners, x y pairs, clockwise from top-left
    score: float | None = None


@dataclass(frozen=True)
class Description:
    task: Task
    engine: Engine
    text: str
    width: int
    height: int
    regions: list[Region] = field(default_factory=list)
    warning: str = ""
