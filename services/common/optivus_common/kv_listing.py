"""Every live entry of a JetStream key-value bucket, read once.

A pull consumer with deliver policy "last per subject", not a KV watch:
its pending count, known before any delivery, says when every entry has
come (a watch can report "done" before an entry it already received, so a
listing could miss one)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import nats.errors
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

# One wait for entries the consumer still counts as pending.
FETCH_WAIT_S = 0.5


@dataclass(frozen=True)
class Entry:
    key: str
    value: bytes
    # The bucket's order of writes (the entry's stream sequence).
    revision: int


async def entries(js, bucket: str, keys: str = ">", timeout_s: float = 10.0) -> list[Entry]:
    """The live (not deleted) entries whose keys match `keys` (a NATS
    subject filter), in the bucket's order of writes. Raises NATS errors
    (nats.errors.TimeoutError when they do not all come in timeout_s)."""
    found: list[Entry] = []
    prefix = f"$KV.{bucket}."
    config = ConsumerConfig(deliver_policy=DeliverPolicy.LAST_PER_SUBJECT, ack_policy=AckPolicy.NONE,
                            inactive_threshold=timeout_s * 6)
    reader = await js.pull_subscribe(prefix + keys, stream=f"KV_{bucket}", config=config)
    name = None
    try:
        info = await reader.consumer_info()
        name, left = info.name, info.num_pending
        deadline = asyncio.get_running_loop().time() + timeout_s
        while left > 0:
            try:
                batch = await reader.fetch(min(left, 256), timeout=FETCH_WAIT_S)
            except (nats.errors.TimeoutError, asyncio.TimeoutError):
                # An entry counted as pending may have been removed since.
                left = (await reader.consumer_info()).num_pending
                if left and asyncio.get_running_loop().time() > deadline:
                    raise
                continue
            for msg in batch:
                left -= 1
                if msg.headers and msg.headers.get("KV-Operation") in ("DEL", "PURGE"):
                    continue
                found.append(Entry(msg.subject.removeprefix(prefix), msg.data, msg.metadata.sequence.stream))
    finally:
        with contextlib.suppress(Exception):  # else it goes by itself once inactive
            await reader.unsubscribe()
            if name:
                await js.delete_consumer(f"KV_{bucket}", name)
    return sorted(found, key=lambda e: e.revision)
