"""NATS connection and the JetStream stream every event goes to."""

from __future__ import annotations

import logging

import nats
from nats.js.api import RetentionPolicy, StreamConfig
from nats.js.errors import BadRequestError

log = logging.getLogger(__name__)

STREAM = "OPTIVUS"
SUBJECTS = ["optivus.>"]


async def connect(url: str, name: str) -> nats.NATS:
    async def on_error(exc: Exception) -> None:
        log.warning("nats error: %s", exc)

    return await nats.connect(url, name=name, error_cb=on_error, max_reconnect_attempts=-1,
                              connect_timeout=5)


async def ensure_stream(js) -> None:
    """Creates the OPTIVUS stream if it is missing (idempotent)."""
    config = StreamConfig(name=STREAM, subjects=SUBJECTS, retention=RetentionPolicy.LIMITS,
                          max_age=7 * 24 * 3600)
    try:
        await js.add_stream(config)
    except BadRequestError:
        await js.update_stream(config)
