"""Per-key limits, over every door together: requests in flight at once,
and requests started per minute (a token bucket that holds a minute's
worth and refills continuously). A request over either limit is refused
at once ("429" / RESOURCE_EXHAUSTED), never queued."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from .keys import Principal


class LimitReached(Exception):
    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after_s = retry_after_s


@dataclass
class _State:
    active: int = 0
    tokens: float = 0.0
    stamp: float = field(default_factory=time.monotonic)


class Limits:
    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._states: dict[str, _State] = {}

    def active(self, principal: Principal) -> int:
        state = self._states.get(principal.id)
        return state.active if state else 0

    def _state(self, principal: Principal) -> _State:
        state = self._states.get(principal.id)
        if state is None:
            state = self._states[principal.id] = _State(tokens=float(principal.rate_per_minute), stamp=self._clock())
        return state

    @contextlib.contextmanager
    def hold(self, principal: Principal) -> Iterator[None]:
        """One request of `principal` for the block; raises LimitReached."""
        state = self._state(principal)
        if state.active >= principal.max_concurrent:
            raise LimitReached(f"this API key already has {principal.max_concurrent} requests in flight "
                               "(OPTIVUS_GATEWAY_KEY_MAX_CONCURRENT): wait for one to finish", 1)
        rate = principal.rate_per_minute
        if rate:
            now = self._clock()
            state.tokens = min(float(rate), state.tokens + (now - state.stamp) * rate / 60.0)
            state.stamp = now
            if state.tokens < 1.0:
                wait = math.ceil((1.0 - state.tokens) * 60.0 / rate)
                raise LimitReached(f"this API key may start {rate} requests a minute "
                                   f"(OPTIVUS_GATEWAY_KEY_RATE_PER_MINUTE): try again in {wait} s", wait)
            state.tokens -= 1.0
        state.active += 1
        try:
            yield
        finally:
            state.active -= 1
