"""The cancellable handle of one URL's fetch (its metadata or its
download), shared by the thread running yt-dlp and the event loop that
may cancel it.

cancel() sets the stop flag (checked in every progress hook and before
every connection) and shuts down the fetch's open sockets, so that a read
blocked on a stalled server returns at once instead of after the socket
timeout. The handle also records why the service stopped the fetch, and
throttles its progress reports."""

from __future__ import annotations

import os
import socket
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from optivus_common.errors import OptivusError

from .redaction import Redactor

MAX_WARNINGS = 20


@dataclass(frozen=True)
class Progress:
    downloaded_bytes: int
    total_bytes: int | None
    speed: float | None
    eta: float | None


class FetchHandle:
    def __init__(self, on_progress: Callable[[Progress], None] | None = None,
                 progress_interval_s: float = 0.5) -> None:
        self.cancelled = threading.Event()
        # Why the fetch stopped, when the service stopped it on purpose (the
        # guard refused an address, a limit was hit, the call was cancelled).
        # Recorded here because yt-dlp wraps exceptions in its own.
        self.refusal: OptivusError | None = None
        # True while a media downloader runs: the chunks it reads (and
        # writes to disk under the file size limit) are not capped like
        # pages are. Set by GuardedYoutubeDL.dl().
        self.reading_media = False
        # yt-dlp's warnings during this fetch (the last few, redacted): some
        # explain the error that follows (a JavaScript challenge that failed).
        self.warnings: list[str] = []
        # What hides the cookies file's secrets from logs and errors (set by
        # the engine for each fetch).
        self.redact = Redactor()
        self._on_progress = on_progress
        self._interval = progress_interval_s
        self._last_emit = 0.0
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._lock = threading.Lock()

    def refuse(self, error: OptivusError) -> OptivusError:
        if self.refusal is None:
            self.refusal = error
        return error

    def warn(self, message: str) -> None:
        if len(self.warnings) >= MAX_WARNINGS:
            del self.warnings[0]
        self.warnings.append(message[:500])

    def cancel(self) -> None:
        self.cancelled.set()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)

    def release(self) -> None:
        """Closes the fetch's connections; call it once yt-dlp has returned.
        yt-dlp leaves a response open when a hook stops it mid-transfer,
        referenced from the exception until a garbage collection, and a
        shutdown alone does not free a server blocked on a full window:
        the descriptor is detached from its socket object and closed, so
        the server gets a reset and nothing closes that number twice."""
        with self._lock:
            sockets = list(self._sockets)
            self._sockets.clear()
        for sock in sockets:
            _shutdown(sock)
            try:
                fd = sock.detach()
            except OSError:
                continue
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass

    def track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)
        if self.cancelled.is_set():
            _shutdown(sock)

    def progress(self, progress: Progress, final: bool = False) -> None:
        if self._on_progress is None:
            return
        now = time.monotonic()
        if final or now - self._last_emit >= self._interval:
            self._last_emit = now
            self._on_progress(progress)


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
