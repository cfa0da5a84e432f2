"""Turns a MediaSource (the plain form of a MediaRef) into something a
model can read: a local file (a server path under the media roots, or a
blob fetched into a private temp file) or bytes. Only temp files this
module created are ever deleted."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from .blobs import BlobStore, validate_key
from .errors import FailedPrecondition, InvalidArgument
from .paths import resolve_under_roots
from .settings import CommonSettings


@dataclass(frozen=True)
class MediaSource:
    """A piece of media as a client names it: at most one of path,
    blob_key, url or content (optivus.media.v1.MediaRef without protobuf)."""

    path: str | None = None
    blob_key: str | None = None
    url: str | None = None
    content: bytes | None = None
    filename: str = ""
    mime_type: str = ""

    @property
    def kind(self) -> str | None:
        for name in ("path", "blob_key", "url", "content"):
            if getattr(self, name) is not None:
                return name
        return None


@dataclass(frozen=True)
class LocalMedia:
    """Either `path` or `content` is set. `name` is safe to log."""

    path: Path | None
    content: bytes | None
    name: str

    @property
    def source(self):
        """What a decoder can open: the path as a string, or the bytes."""
        return str(self.path) if self.path is not None else self.content


class MediaResolver:
    def __init__(self, settings: CommonSettings, blobs: BlobStore | None = None) -> None:
        self._settings = settings
        self._roots = settings.allowed_roots
        self._blobs = blobs

    def local_path(self, raw: str) -> Path:
        return resolve_under_roots(raw, self._roots)

    @contextlib.asynccontextmanager
    async def open(self, source: MediaSource, what: str = "media") -> AsyncIterator[LocalMedia]:
        kind = source.kind
        if kind is None:
            raise InvalidArgument(f"no {what} was given", reason="MEDIA_MISSING")
        if kind == "path":
            path = self.local_path(source.path)
            yield LocalMedia(path=path, content=None, name=path.name)
        elif kind == "content":
            if not source.content:
                raise InvalidArgument(f"the {what} is empty", reason="EMPTY_FILE")
            yield LocalMedia(path=None, content=source.content, name=source.filename or "inline")
        elif kind == "blob_key":
            async with self._fetch_blob(source.blob_key) as path:
                yield LocalMedia(path=path, content=None, name=source.blob_key)
        else:
            raise InvalidArgument(
                "this service does not fetch URLs; download them with the media service first",
                reason="URL_NOT_SUPPORTED",
            )

    @contextlib.asynccontextmanager
    async def _fetch_blob(self, key: str) -> AsyncIterator[Path]:
        validate_key(key)
        if self._blobs is None:
            raise FailedPrecondition("blob keys need the object store (set OPTIVUS_NATS_URL)",
                                     reason="BLOB_STORE_NOT_CONFIGURED")
        tmp_dir = self._settings.data_dir / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=tmp_dir, suffix=Path(key).suffix[:9])
        path = Path(name)
        os.close(fd)
        try:
            await self._blobs.get_to_file(key, path)
            yield path
        finally:
            path.unlink(missing_ok=True)
