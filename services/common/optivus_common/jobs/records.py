"""A job as the key-value bucket holds it: small JSON, advanced with
compare-and-set. Stage results are not in it (they can be megabytes):
they are in the results object store under names.result_key."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
SUCCEEDED, CANCELLED = "succeeded", "cancelled"
JOB_ENDED = {SUCCEEDED, FAILED, CANCELLED}
STAGE_ENDED = {DONE, FAILED}


@dataclass
class StageRecord:
    state: str = QUEUED
    # Deliveries of the work so far.
    attempts: int = 0
    # {"code", "message", "reason"} when it failed.
    error: dict | None = None


@dataclass
class ItemRecord:
    # The input: {"url": ...}, {"path": ...} or {"blob_key": ...}, and "filename".
    input: dict
    # The stages this input goes through, by name, in order.
    stages: dict[str, StageRecord] = field(default_factory=dict)
    state: str = RUNNING
    error: dict | None = None
    # The media later stages read, once known (a download's file).
    media: dict | None = None

    @property
    def ended(self) -> bool:
        return self.state in (DONE, FAILED)


@dataclass
class JobRecord:
    job_id: str
    # The JobSpec protobuf, base64.
    spec: str
    create_time: float
    update_time: float
    items: list[ItemRecord]
    state: str = QUEUED
    request_id: str = ""

    @property
    def ended(self) -> bool:
        return self.state in JOB_ENDED

    def progress(self) -> float:
        stages = [s for item in self.items for s in item.stages.values()]
        if not stages:
            return 1.0
        return sum(1 for s in stages if s.state in STAGE_ENDED) / len(stages)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes) -> JobRecord:
        raw = json.loads(data)
        items = [ItemRecord(input=i["input"], stages={k: StageRecord(**v) for k, v in i["stages"].items()},
                            state=i["state"], error=i["error"], media=i["media"]) for i in raw.pop("items")]
        return cls(items=items, **raw)
