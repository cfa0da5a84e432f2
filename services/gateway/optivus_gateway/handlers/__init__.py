"""Message handlers, one module per message type. A handler takes the
client's message and a Context and returns the reply envelope; it never
raises for a bad request (it answers with an error status instead)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from . import dlp, fish, fish_references, flrnc, jobs, rag, video, whisp, whisp_speakers
from .context import Context

Handler = Callable[[dict, Context], Awaitable[dict]]

HANDLERS: dict[str, Handler] = {
    "whisp": whisp.handle,
    "whisp_speakers": whisp_speakers.handle,
    "flrnc": flrnc.handle,
    "fish": fish.handle,
    "fish_references": fish_references.handle,
    "dlp": dlp.handle,
    "video": video.handle,
    "job": jobs.follow_job,
    "cancel": jobs.cancel_job,
    "rag_index": rag.index,
    "rag_query": rag.query,
    "rag_list": rag.list_videos,
    "rag_delete": rag.delete,
}

# Every type this gateway answers (an unknown type's error lists them).
KNOWN_TYPES = tuple(HANDLERS)
