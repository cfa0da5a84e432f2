"""Message handlers, one module per message type. A handler takes the
client's message and a Context and returns the reply envelope; it never
raises for a bad request (it answers with an error status instead)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from .context import Context
from . import dlp, fish, flrnc, whisp

Handler = Callable[[dict, Context], Awaitable[dict]]

HANDLERS: dict[str, Handler] = {
    "whisp": whisp.handle,
    "flrnc": flrnc.handle,
    "fish": fish.handle,
    "dlp": dlp.handle,
}

# Types the first server knew whose service this gateway does not run yet:
# they answer 503 with a message that says so, never silence.
KNOWN_TYPES = ("whisp", "flrnc", "fish", "dlp", "video")
