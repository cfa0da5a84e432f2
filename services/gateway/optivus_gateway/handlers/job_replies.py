"""Following a job for a socket.io client: its events as "102" replies,
then the final reply. Shared by `video` and `job` (a reconnect)."""

from __future__ import annotations

from optivus_common.jobs import results

from ..envelope import envelope, status_for_code
from ..job_views import progress_event, seed_item
from ..pipeline import relay
from .context import Context


async def follow(ctx: Context, job_id: str, echo: dict, after_sequence: int = 0) -> dict:
    pipeline = ctx.pipeline
    small = {k: echo[k] for k in ("type", "id") if k in echo}
    async for event in relay(pipeline, job_id, after_sequence):
        if event.WhichOneof("event") in ("finished", "cancelled"):
            break
        await ctx.emit(envelope("102", {**small, **progress_event(event)}))
    record = await pipeline.store.get(job_id)
    if record.state == "cancelled":
        return envelope("410", {**echo, "job_id": job_id, "state": "cancelled", "error": "the job was cancelled"})
    if not record.ended:  # the relay stopped early: say where things stand
        return envelope("503", {**echo, "job_id": job_id, "state": record.state,
                                "error": "the job's events stopped; ask again with {\"type\": \"job\"}"})
    result = await results.job_result(pipeline.store, record)
    items = [seed_item(item, record.items[item.item_index].input) for item in result.items]
    if record.state == "failed":  # every input failed: the first one's error is the reply's
        first = result.items[0].error
        return envelope(status_for_code(first.code), {**echo, "job_id": job_id, "error": first.message, "data": items})
    return envelope("200", {**echo, "job_id": job_id, "data": items})
