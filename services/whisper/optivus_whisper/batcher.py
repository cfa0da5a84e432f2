"""A dynamic batcher, as Triton's: items submitted from any number of
threads are gathered into batches of at most max_batch items that share a
key, waiting at most max_wait_s after the oldest item for more to come;
one worker thread runs the batches one after another. Model-agnostic."""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _Queued(Generic[T]):
    item: T
    key: Hashable
    future: Future
    arrived: float = field(default_factory=time.monotonic)


@dataclass
class BatchStats:
    batches: int = 0
    items: int = 0
    largest: int = 0


class DynamicBatcher(Generic[T, R]):
    """run(items) -> results (one per item, in order) is called on the
    worker thread; an exception fails every item of that batch."""

    def __init__(self, run: Callable[[Sequence[T]], Sequence[R]], max_batch: int, max_wait_s: float,
                 name: str = "batcher") -> None:
        self._run = run
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self._queue: collections.deque[_Queued[T]] = collections.deque()
        self._cond = threading.Condition()
        self._closed = False
        self.stats = BatchStats()
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    def submit(self, item: T, key: Hashable = None) -> Future:
        future: Future = Future()
        with self._cond:
            if self._closed:
                raise RuntimeError("the batcher is closed")
            self._queue.append(_Queued(item, key, future))
            self._cond.notify()
        return future

    def submit_many(self, items: Sequence[T], key: Hashable = None) -> list[Future]:
        """Queues items together, so that no batch starts with only some of them."""
        futures = [Future() for _ in items]
        with self._cond:
            if self._closed:
                raise RuntimeError("the batcher is closed")
            self._queue.extend(_Queued(item, key, future) for item, future in zip(items, futures))
            self._cond.notify()
        return futures

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join()

    def _ready(self, key: Hashable) -> int:
        return sum(1 for q in self._queue if q.key == key)

    def _next_batch(self) -> list[_Queued[T]] | None:
        with self._cond:
            while True:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return None
                oldest = self._queue[0]
                deadline = oldest.arrived + self.max_wait_s
                while self._ready(oldest.key) < self.max_batch and not self._closed:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                batch, rest = [], collections.deque()
                for queued in self._queue:
                    if queued.key == oldest.key and len(batch) < self.max_batch:
                        # A cancelled item (its caller gave up) is dropped here.
                        if queued.future.set_running_or_notify_cancel():
                            batch.append(queued)
                    else:
                        rest.append(queued)
                self._queue = rest
                if batch:
                    return batch

    def _work(self) -> None:
        while (batch := self._next_batch()) is not None:
            self.stats.batches += 1
            self.stats.items += len(batch)
            self.stats.largest = max(self.stats.largest, len(batch))
            try:
                results = list(self._run([q.item for q in batch]))
                if len(results) != len(batch):
                    raise RuntimeError(f"a batch of {len(batch)} gave {len(results)} results")
            except BaseException as exc:  # noqa: BLE001 - handed to each caller
                for queued in batch:
                    queued.future.set_exception(exc)
                continue
            for queued, result in zip(batch, results):
                queued.future.set_result(result)
