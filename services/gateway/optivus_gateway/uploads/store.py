"""Uploads: bytes a client sends (POST /v1/media, UploadService, the
OpenAI API's files) become media the services can read, named by a media
id. With NATS the bytes go to the blob store (a blob key); without it, to
the gateway's own folder under the data folder (a path the services may
read). The size limit is checked on every chunk as it arrives, so an
upload over it is cut there and its partial file removed: the disk never
holds more than the limit for it. Uploads belong to the key that sent
them (another key gets 404, as for an id that does not exist) and expire
after OPTIVUS_GATEWAY_UPLOAD_TTL_HOURS."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

from optivus.media.v1 import media_ref_pb2
from optivus_common.blobs import BlobStore
from optivus_common.errors import InvalidArgument, NotFound, ResourceExhausted
from optivus_common.retention import Retention, sweeping

from ..access import Principal
from ..config import GatewaySettings
from .index import FolderIndex, KvIndex
from .records import UploadRecord, new_id, parse_media_id

log = logging.getLogger(__name__)

MB = 1024 * 1024
# What the sweep may remove in the upload folder: uploads, their records,
# and partial files a crash left behind. Nothing else is ever touched.
_OWNED = re.compile(r"\.?[0-9a-f]{32}(\.[a-z0-9]{1,8})?(\.json)?(\.part)?")


def owned_by_uploads(name: str) -> bool:
    return _OWNED.fullmatch(name) is not None


def _usage(folder: Path) -> int:
    total = 0
    with contextlib.suppress(FileNotFoundError), os.scandir(folder) as it:
        for entry in it:
            with contextlib.suppress(FileNotFoundError):
                if entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
    return total


class Receiver:
    """One upload arriving: `write` each chunk (raises ResourceExhausted
    past the limit), then `finish`; `abort` removes what was written."""

    def __init__(self, uploads: Uploads, principal: Principal, filename: str, mime_type: str,
                 limit: int, spool: Path, hex_id: str, extension: str) -> None:
        self._uploads = uploads
        self._principal = principal
        self._filename = os.path.basename(filename or "")[:200]
        self._mime = (mime_type or "")[:100]
        self._limit = limit
        self._spool = spool
        self._hex, self._ext = hex_id, extension
        self._hash = hashlib.sha256()
        self.size = 0
        self._file = open(spool, "xb")  # noqa: SIM115 - closed by finish/abort

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self._limit:
            self.abort()
            raise ResourceExhausted(self._uploads.too_large_message(self._limit), reason="UPLOAD_TOO_LARGE")
        self._hash.update(chunk)
        self._file.write(chunk)

    def abort(self) -> None:
        if not self._file.closed:
            self._file.close()
        self._spool.unlink(missing_ok=True)

    async def finish(self) -> UploadRecord:
        self._file.close()
        try:
            if self.size == 0:
                raise InvalidArgument("the upload is empty", reason="EMPTY_FILE")
            record = UploadRecord(self._hex, self._ext, self._principal.id, self.size, self._hash.hexdigest(),
                                  self._filename, self._mime, time.time())
            await self._uploads.keep(record, self._spool)
            return record
        finally:
            self._spool.unlink(missing_ok=True)


class Uploads:
    def __init__(self, settings: GatewaySettings, blobs: BlobStore | None, index) -> None:
        self._settings = settings
        self.blobs = blobs
        self._index = index
        self.folder = settings.uploads_dir
        self.limit = int(settings.upload_max_mb * MB)
        self.ttl_s = settings.upload_ttl_hours * 3600
        self._folder_max = int(settings.uploads_max_mb * MB)

    @classmethod
    async def open(cls, settings: GatewaySettings, js=None) -> Uploads:
        """With a JetStream context: blobs and a key-value index; else the folder."""
        settings.uploads_dir.mkdir(parents=True, exist_ok=True)
        if js is None:
            return cls(settings, None, FolderIndex(settings.uploads_dir))
        blobs = BlobStore(js, settings.blob_bucket, ttl_s=settings.blob_ttl_hours * 3600,
                          max_bytes=int(settings.blob_max_mb * MB))
        return cls(settings, blobs, await KvIndex.open(js, settings.upload_ttl_hours * 3600))

    def too_large_message(self, limit: int) -> str:
        return f"the upload is larger than this server's {limit / MB:g} MB limit (OPTIVUS_GATEWAY_UPLOAD_MAX_MB)"

    async def receiver(self, principal: Principal, filename: str = "", mime_type: str = "",
                       declared_size: int | None = None) -> Receiver:
        """A Receiver for a new upload; a declared size over the limit, or
        a full upload folder, is refused before any byte is read."""
        limit = self.limit
        if declared_size is not None and declared_size > limit:
            raise ResourceExhausted(self.too_large_message(limit), reason="UPLOAD_TOO_LARGE")
        hex_id, extension = new_id(filename)
        if self.blobs is None:
            used = await asyncio.to_thread(_usage, self.folder)
            room = self._folder_max - used
            if room <= 0:
                raise ResourceExhausted("the upload folder is full (OPTIVUS_GATEWAY_UPLOADS_MAX_MB); "
                                        "try again when older uploads have expired", reason="UPLOADS_FULL")
            if room < limit:
                limit = room
            spool = self.folder / f".{hex_id}{extension}.part"
        else:
            tmp = self._settings.data_dir / "tmp"
            tmp.mkdir(parents=True, exist_ok=True)
            spool = tmp / f"upload-{hex_id}.part"
        return Receiver(self, principal, filename, mime_type, limit, spool, hex_id, extension)

    async def receive(self, principal: Principal, chunks: AsyncIterator[bytes], filename: str = "",
                      mime_type: str = "", declared_size: int | None = None) -> UploadRecord:
        receiver = await self.receiver(principal, filename, mime_type, declared_size)
        try:
            async for chunk in chunks:
                receiver.write(chunk)
        except BaseException:
            receiver.abort()
            raise
        return await receiver.finish()

    async def keep(self, record: UploadRecord, spool: Path) -> None:
        if self.blobs is None:
            spool.replace(self.folder / record.key)
        else:
            await self.blobs.put_file(spool, record.key)
        await self._index.put(record)
        log.info("upload stored", extra={"media_id": record.media_id, "owner": record.owner,
                                         "size_bytes": record.size_bytes})

    async def get(self, media_id: str, principal: Principal) -> UploadRecord:
        """The caller's own, unexpired upload; NotFound otherwise."""
        hex_id, extension = parse_media_id(media_id)
        record = await self._index.get(hex_id)
        if (record is None or record.owner != principal.id or record.extension != extension
                or time.time() - record.created > self.ttl_s
                or (self.blobs is None and not (self.folder / record.key).is_file())):
            raise NotFound(f"no upload {media_id} (uploads expire after "
                           f"{self._settings.upload_ttl_hours:g} h, and only the key that sent one may use it)",
                           reason="UPLOAD_NOT_FOUND")
        return record

    def ref(self, record: UploadRecord) -> media_ref_pb2.MediaRef:
        """The MediaRef the services read the upload by."""
        if self.blobs is None:
            return media_ref_pb2.MediaRef(path=str(self.folder / record.key), filename=record.filename,
                                          mime_type=record.mime_type)
        return media_ref_pb2.MediaRef(blob_key=record.key, filename=record.filename, mime_type=record.mime_type)

    async def delete(self, record: UploadRecord) -> None:
        await self._index.delete(record.hex)
        if self.blobs is None:
            (self.folder / record.key).unlink(missing_ok=True)
        else:
            await self.blobs.delete(record.key)

    def sweeping(self):
        """The folder's sweep by age (a context manager); with NATS the
        key-value bucket and the blob bucket expire entries themselves."""
        return sweeping(self.folder, Retention(max_age_s=self.ttl_s, max_bytes=0), owned_by_uploads,
                        interval_s=min(300.0, max(1.0, self.ttl_s / 4)))
