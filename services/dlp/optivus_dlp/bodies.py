"""Response bodies read with bounded memory.

yt-dlp's urllib handler decodes gzip and deflate by reading the whole body
and decompressing it in one call, before anything can look at its size: a
250 KB gzip bomb became 256 MB in memory. Here each encoding is undone as
the body is read, never yielding more than the reader asked for, and a body
read whole (pages, playlists, keys, error bodies: read() without a size)
stops at a byte cap. Only reads in chunks of a given size may go past the
cap, and only while the caller says so (the media downloaders, which write
each chunk to disk and enforce the file size limit themselves)."""

from __future__ import annotations

import http.client
import io
import zlib
from collections.abc import Callable
from typing import Protocol

CHUNK = 64 * 1024
# Compressed input that may produce no output at all before decoding gives
# up: real streams yield output every few bytes, while an endless run of
# empty deflate blocks would keep a reader busy forever.
MAX_IDLE_INPUT = 1024 * 1024
DECODABLE = ("gzip", "deflate")
_ALIASES = {"x-gzip": "gzip"}


class Readable(Protocol):
    def read(self, amt: int) -> bytes: ...


class Inflater:
    """One gzip or deflate layer, decoded as it is read. Like yt-dlp, only
    the first gzip member is decoded, deflate may come with or without its
    zlib header, and bytes after the end of the stream are ignored."""

    def __init__(self, source: Readable, encoding: str) -> None:
        self._source = source
        self._gzip = encoding == "gzip"
        self._decoder = None
        self._pending = b""  # input the decoder has not taken yet
        self._source_done = False
        self._finished = False

    def read(self, amt: int) -> bytes:
        idle = 0
        while not self._finished:
            if self._decoder is not None:
                out = self._decoder.decompress(self._pending, amt)
                self._pending = self._decoder.unconsumed_tail
                self._finished = self._decoder.eof
                if out:
                    return out
                if self._source_done and not self._pending:
                    self._finished = True  # truncated: what there was has been returned
                    break
            if self._source_done:
                self._start()  # a body too short to tell its deflate flavour
                continue
            chunk = self._source.read(CHUNK)
            if not chunk:
                self._source_done = True
                continue
            idle += len(chunk)
            if idle > MAX_IDLE_INPUT:
                raise zlib.error(f"{MAX_IDLE_INPUT} compressed bytes decoded to nothing")
            self._pending += chunk
            if self._decoder is None and (self._gzip or len(self._pending) >= 2):
                self._start()
        return b""

    def _start(self) -> None:
        if self._decoder is not None:
            return
        if self._gzip:
            wbits = zlib.MAX_WBITS | 16
        else:
            head = self._pending[:2]
            zlib_header = len(head) == 2 and head[0] & 0x0F == 8 and int.from_bytes(head, "big") % 31 == 0
            wbits = zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS
        self._decoder = zlib.decompressobj(wbits)


def decoding(source: Readable, content_encoding: str) -> Readable:
    """`source` with its content codings undone, last applied first.
    Codings not decoded here pass through as they are, as yt-dlp passes
    them (br without the brotli module, unknown ones)."""
    layer = source
    for name in reversed([e.strip().lower() for e in content_encoding.split(",")]):
        name = _ALIASES.get(name, name)
        if name in DECODABLE:
            layer = Inflater(layer, name)
    return layer


class BoundedBody(io.IOBase):
    """A response body for urllib's addinfourl: decoded as it is read, at
    most `limit` bytes in all (None: no cap) unless `lifted()` is true and
    the reader asks for a chunk of a given size. `too_large(limit)` makes
    the exception raised past the cap."""

    def __init__(self, response: http.client.HTTPResponse, content_encoding: str, limit: int | None,
                 lifted: Callable[[], bool], too_large: Callable[[int], Exception]) -> None:
        self._response = response
        self._body = decoding(response, content_encoding)
        self._limit = limit
        self._lifted = lifted
        self._too_large = too_large
        self._count = 0

    def readable(self) -> bool:
        return True

    def read(self, amt: int | None = None) -> bytes:
        if self.closed:
            return b""
        if amt is not None and amt >= 0:
            if amt == 0:
                return b""
            capped = self._limit is not None and not self._lifted()
            return self._counted(self._body.read(min(amt, self._limit - self._count + 1) if capped else amt),
                                 capped)
        parts = []
        while data := self._body.read(CHUNK if self._limit is None
                                      else max(1, min(CHUNK, self._limit - self._count + 1))):
            parts.append(self._counted(data, self._limit is not None))
        if self._body is self._response and self._response.length:
            # http.client's read() reports a short body; keep that (yt-dlp retries pages on it).
            raise http.client.IncompleteRead(b"".join(parts), self._response.length)
        return b"".join(parts)

    def _counted(self, data: bytes, capped: bool) -> bytes:
        self._count += len(data)
        if capped and self._count > self._limit:
            self.close()
            raise self._too_large(self._limit)
        return data

    def close(self) -> None:
        if not self.closed:
            try:
                self._response.close()
            finally:
                super().close()
