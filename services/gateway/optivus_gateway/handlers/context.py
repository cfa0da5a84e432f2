from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..backends import Backends
from ..config import GatewaySettings


@dataclass
class Context:
    """What a handler may use: the client's id, the service channels, the
    settings, and `emit` to send extra `message` events (progress) to this
    client before the final reply."""

    sid: str
    backends: Backends
    settings: GatewaySettings
    emit: Callable[[dict], Awaitable[None]]
