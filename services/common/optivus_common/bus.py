"""The NATS connection every process makes (the pipeline's streams and
buckets are optivus_common.jobs.infra's)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import nats
import nats.errors

from .errors import Unavailable

log = logging.getLogger(__name__)

# Attempts of the first connection: a server that is not there (or that
# refuses the credentials) fails the start clearly instead of hanging it;
# once connected, reconnection never gives up.
FIRST_CONNECT_ATTEMPTS = 5


# The server's answer to a write whose expected last revision is stale.
WRONG_LAST_SEQUENCE = (10071, 10164)


class NatsUnavailable(RuntimeError):
    pass


async def connect(url: str, name: str, user: str = "", password: str = "") -> nats.NATS:
    """A connection that reconnects forever once made. `user` / `password`
    (OPTIVUS_NATS_USER / OPTIVUS_NATS_PASSWORD) are never logged."""
    last: list[str] = []

    async def on_error(exc: Exception) -> None:
        last[:] = [str(exc)]
        log.warning("nats error: %s", exc)

    credentials = {"user": user, "password": password} if user else {}
    try:
        nc = await nats.connect(url, name=name, error_cb=on_error, max_reconnect_attempts=FIRST_CONNECT_ATTEMPTS,
                                reconnect_time_wait=1, connect_timeout=5, **credentials)
    except Exception as exc:  # noqa: BLE001 - every failure to connect means the same to the caller
        why = last[0] if last else str(exc) or type(exc).__name__
        raise NatsUnavailable(f"cannot connect to NATS at {url}: {why}") from None
    nc.options["max_reconnect_attempts"] = -1
    return nc


async def connect_as(settings, suffix: str = "") -> nats.NATS:
    """connect() with a service's settings (OPTIVUS_NATS_URL, the service's
    name plus `suffix`, OPTIVUS_NATS_USER / OPTIVUS_NATS_PASSWORD)."""
    return await connect(settings.nats_url, settings.service_name + suffix, settings.nats_user,
                         settings.nats_password.get_secret_value())


# How long a stopping process waits for its NATS messages to be flushed.
DRAIN_TIMEOUT_S = 5.0


async def close(nc: nats.NATS, timeout: float = DRAIN_TIMEOUT_S) -> None:
    """Drains `nc` when the server is there, else (or when draining takes
    longer than `timeout`) just closes it: a stopping process never waits
    on a NATS server that is gone, where reconnecting would go on forever."""
    if nc.is_closed:
        return
    if nc.is_connected:
        try:
            await asyncio.wait_for(nc.drain(), timeout)
            return
        except Exception as exc:  # noqa: BLE001 - any failure to drain ends in a plain close
            log.warning("nats drain did not finish: %s", exc or type(exc).__name__)
    try:
        await nc.close()
    except Exception as exc:  # noqa: BLE001 - closing what is already broken
        log.warning("nats close: %s", exc or type(exc).__name__)


@contextlib.contextmanager
def store_errors(store: str, reason: str) -> Iterator[None]:
    """A NATS that does not answer, as UNAVAILABLE with `reason`, naming
    `store` (a store kept in NATS: shared references, known speakers)."""
    try:
        yield
    except (nats.errors.Error, asyncio.TimeoutError) as exc:
        raise Unavailable(f"the {store} (NATS) did not answer: {type(exc).__name__}", reason=reason) from exc
