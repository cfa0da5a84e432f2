"""The single and batch forms every file-based type shares:
{"file": ...} is one item; {"data": [{"file": ...}, ...]} is a batch whose
reply carries data.data, one result per item in order, each with its own
error. Item fields override the request's own options."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from ..envelope import RequestError, envelope
from .context import Context

# process(item, defaults) -> (status, fields merged into the item's echo)
Process = Callable[[object, dict], Awaitable[tuple[str, dict]]]


async def single_or_batch(request: dict, ctx: Context, process: Process) -> dict:
    items = request.get("data")
    if not isinstance(items, list):
        status, fields = await process(request, {})
        return envelope(status, {**request, **fields})
    if not items:
        raise RequestError("`data` is an empty list: send at least one item")
    limit = ctx.settings.max_batch_items
    if len(items) > limit:
        raise RequestError(f"`data` holds {len(items)} items; a batch may hold at most {limit} "
                           "(OPTIVUS_GATEWAY_MAX_BATCH_ITEMS)")
    defaults = {k: v for k, v in request.items() if k not in ("data", "type", "id")}
    slots = asyncio.Semaphore(ctx.settings.batch_concurrency)

    async def one(item: object) -> dict:
        async with slots:
            _, fields = await process(item, defaults)
        return {**item, **fields} if isinstance(item, dict) else fields

    results = await asyncio.gather(*(one(item) for item in items))
    return envelope("200", {**request, "data": list(results)})
