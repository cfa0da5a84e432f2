"""Runs a blocking producer (video decoding and scene detection) in its own
thread, a few items ahead of the consumer (the model), so that decoding
and inference overlap. The queue is bounded, so the producer never runs
far ahead; closing stops and joins it."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
_END = object()


class Prefetcher(Generic[T]):
    def __init__(self, factory: Callable[[threading.Event], Iterator[T]], ahead: int) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, ahead))
        self._stop = threading.Event()
        self.exhausted = False
        self._thread = threading.Thread(target=self._run, args=(factory,), name="video-decode", daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, factory) -> None:
        try:
            for item in factory(self._stop):
                if not self._put((item, None)):
                    return
            self._put((_END, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            self._put((_END, exc))

    def get(self, block: bool = True, stop: threading.Event | None = None) -> T | None:
        """The next item; None at the end (then `exhausted` is set), when
        not blocking and none is ready yet, or once `stop` is set."""
        if self.exhausted:
            return None
        while True:
            try:
                item, exc = self._queue.get(block=block, timeout=0.1 if block else None)
                break
            except queue.Empty:
                if not block or (stop is not None and stop.is_set()):
                    return None
        if item is _END:
            self.exhausted = True
            if exc is not None:
                raise exc
            return None
        return item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> Prefetcher[T]:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
