"""`job` (follow a job again, e.g. after a reconnect: the events it missed,
then the rest and the result) and `cancel` (stop a job)."""

from __future__ import annotations

from optivus_common.errors import OptivusError
from optivus_common.jobs import progression

from ..envelope import RequestError, echo_of, envelope
from ..pipeline import check_job_id
from .context import Context
from .job_replies import follow
from .options import option


def _job_id(request: dict) -> str:
    try:
        return check_job_id(request.get("job_id"))
    except OptivusError as exc:
        raise RequestError(exc.message) from None


def _require(ctx: Context, echo: dict) -> dict | None:
    if ctx.pipeline is None or not ctx.pipeline.available:
        return envelope("503", {**echo, "error": "jobs need NATS JetStream, which this gateway is not connected to"})
    return None


async def follow_job(request: dict, ctx: Context) -> dict:
    echo = echo_of(request)
    if (refused := _require(ctx, echo)) is not None:
        return refused
    job_id = _job_id(request)
    after = option(request, {}, "after", int, "a whole number (the sequence of the last event you got)") or 0
    if after < 0:
        raise RequestError("`after` must not be negative")
    await ctx.pipeline.store.get(job_id)  # 404 for an unknown job
    return await follow(ctx, job_id, echo, after)


async def cancel_job(request: dict, ctx: Context) -> dict:
    echo = echo_of(request)
    if (refused := _require(ctx, echo)) is not None:
        return refused
    record = await progression.cancel(ctx.pipeline.nc, ctx.pipeline.store, _job_id(request))
    return envelope("200", {**echo, "state": record.state})
