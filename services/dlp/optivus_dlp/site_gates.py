"""Per-site concurrency and backoff. A site is a URL's host (and port when
it is not the default; "www." aside). At most `concurrency` fetches of
one site run at once; after a 429 (RATE_LIMITED) or a bot check
(BOT_CHECK) from a site, its next fetches wait: for the site's
Retry-After when it sent one, else for a delay that doubles with each
such answer in a row, up to `max_backoff_s`. A success ends the doubling.

The wait happens before a fetch takes one of the service's own slots, so
a site that is backed off holds up its own URLs only."""

from __future__ import annotations

import asyncio
import contextlib
import time
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from optivus_common.errors import OptivusError

BACKOFF_REASONS = ("RATE_LIMITED", "BOT_CHECK")


class Clock(Protocol):
    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class MonotonicClock:
    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def site_of(url: str) -> str:
    try:
        parts = urllib.parse.urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        return url[:200]
    if host.startswith("www."):
        host = host[4:]
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}" if port and port != default else host or url[:200]


@dataclass
class _Site:
    slots: asyncio.Semaphore
    not_before: float = 0.0
    strikes: int = 0  # backoff answers in a row
    users: int = 0


class SiteGates:
    def __init__(self, concurrency: int, backoff_s: float, max_backoff_s: float, clock: Clock | None = None) -> None:
        self._concurrency = concurrency
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self.clock = clock or MonotonicClock()
        self._sites: dict[str, _Site] = {}

    @contextlib.asynccontextmanager
    async def entry(self, site: str) -> AsyncIterator[None]:
        """Held while one fetch of `site` runs: waits for a slot of the
        site, then for its backoff to end."""
        state = self._sites.get(site)
        if state is None:
            state = self._sites[site] = _Site(asyncio.Semaphore(self._concurrency))
        state.users += 1
        try:
            async with state.slots:
                while (wait := state.not_before - self.clock.now()) > 0:
                    await self.clock.sleep(wait)
                yield
        finally:
            state.users -= 1
            self._prune()

    def succeeded(self, site: str) -> None:
        if (state := self._sites.get(site)) is not None:
            state.strikes = 0

    def failed(self, site: str, error: BaseException) -> None:
        """Backs `site` off when `error` says the site wants that."""
        if not isinstance(error, OptivusError) or error.reason not in BACKOFF_REASONS:
            return
        state = self._sites.get(site)
        if state is None:
            state = self._sites[site] = _Site(asyncio.Semaphore(self._concurrency))
        try:
            delay = float(error.metadata["retry_after_s"])
        except (KeyError, ValueError):
            delay = self._backoff_s * 2 ** min(state.strikes, 30)
        delay = min(delay, self._max_backoff_s)
        state.strikes += 1
        state.not_before = max(state.not_before, self.clock.now() + delay)

    def backed_off(self) -> dict[str, float]:
        """Sites whose fetches wait now, with the seconds left."""
        now = self.clock.now()
        return {site: s.not_before - now for site, s in self._sites.items() if s.not_before > now}

    def _prune(self) -> None:
        """Forgets idle sites: at once when they were never backed off, and
        a backoff's length after it ended otherwise (their strikes go)."""
        now = self.clock.now()
        for site in [k for k, s in self._sites.items()
                     if s.users == 0 and now >= s.not_before + (self._max_backoff_s if s.strikes else 0)]:
            del self._sites[site]
