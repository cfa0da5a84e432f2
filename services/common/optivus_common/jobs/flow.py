"""Which stages an input goes through and what each one hands to the next:
a URL is downloaded first; then the file is transcribed and/or described,
in parallel. The job record decides, under compare-and-set, which stages
are due, so a redelivered message never queues anything twice."""

from __future__ import annotations

from optivus.events.v1 import pipeline_events_pb2 as events_pb

from .names import STAGES
from .records import DONE, FAILED, QUEUED, ItemRecord, StageRecord

DOWNLOAD, TRANSCRIBE, DESCRIBE, INDEX = "download", "transcribe", "describe", "index"


def plan(inputs: list[dict], transcribe: bool, describe: bool, index: bool = False) -> list[ItemRecord]:
    """The items of a new job: each input's stages, all queued."""
    after = [name for name, wanted in ((TRANSCRIBE, transcribe), (DESCRIBE, describe), (INDEX, index)) if wanted]
    items = []
    for source in inputs:
        stages = ([DOWNLOAD] if "url" in source else []) + after
        media = None if "url" in source else source
        items.append(ItemRecord(input=source, stages={s: StageRecord() for s in stages}, media=media))
    return items


def ready(item: ItemRecord) -> list[str]:
    """Stages of `item` that may start now: queued, and every stage they
    follow ended (a download goes before the rest; the index waits for the
    transcribe and describe stages, and needs one of them done)."""
    if item.ended:
        return []
    if DOWNLOAD in item.stages and item.stages[DOWNLOAD].state != DONE:
        return [DOWNLOAD] if item.stages[DOWNLOAD].state == QUEUED else []
    due = [n for n in item.stages if n not in (DOWNLOAD, INDEX) and item.stages[n].state == QUEUED]
    index = item.stages.get(INDEX)
    if index is not None and index.state == QUEUED:
        before = [s for n, s in item.stages.items() if n in (TRANSCRIBE, DESCRIBE)]
        if all(s.state in (DONE, FAILED) for s in before) and any(s.state == DONE for s in before):
            due.append(INDEX)
    return due


def settle(item: ItemRecord) -> bool:
    """Marks the item done or failed once its stages allow; True if it
    ended now. A failed download fails the item at once (nothing follows
    it); otherwise the item waits for every stage, and fails only when all
    of them failed (a video without sound still gets its scenes)."""
    if item.ended:
        return False
    download = item.stages.get(DOWNLOAD)
    if download is not None and download.state == FAILED:
        item.state, item.error = FAILED, download.error
        for stage in item.stages.values():  # what never started will not
            if stage.state == QUEUED:
                stage.state, stage.error = FAILED, download.error
        return True
    index = item.stages.get(INDEX)
    if index is not None and index.state == QUEUED:
        before = [s for n, s in item.stages.items() if n in (TRANSCRIBE, DESCRIBE)]
        if before and all(s.state == FAILED for s in before):  # nothing to index
            index.state, index.error = FAILED, before[0].error
    if any(s.state not in (DONE, FAILED) for s in item.stages.values()):
        return False
    failed = [s for s in item.stages.values() if s.state == FAILED]
    if failed and len(failed) == len(item.stages):
        item.state, item.error = FAILED, failed[0].error
    else:
        item.state = DONE
    return True


def stage_value(name: str) -> int:
    return {v: k for k, v in STAGES.items()}[name]


def work_for(job_id: str, index: int, item: ItemRecord, stage: str, options: events_pb.StageOptions,
             media_ref) -> events_pb.StageWork:
    return events_pb.StageWork(job_id=job_id, item_index=index, stage=stage_value(stage), media=media_ref,
                               options=options)
