from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..backends import Backends
from ..config import GatewaySettings
from ..pipeline import Pipeline


@dataclass
class Context:
    """What a handler may use: the client's id, the service channels, the
    settings, `emit` to send extra `message` events (progress) to this
    client before the final reply, and the pipeline (jobs)."""

    sid: str
    backends: Backends
    settings: GatewaySettings
    emit: Callable[[dict], Awaitable[None]]
    pipeline: Pipeline | None = None
