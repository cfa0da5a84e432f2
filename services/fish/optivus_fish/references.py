"""Saved voice references: the Reference record, the id check, and the
folder store FS_PATH/references/<id>/{audio.wav,meta.json}. Without NATS
the folder is the store; with NATS it is the local cache of the shared
store (shared_references.py). Ids are generated here (32 lowercase hex
characters); a client's id must match that form exactly before it comes
near a path."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import shutil
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from optivus_common.errors import InvalidArgument, NotFound

log = logging.getLogger(__name__)

ID_PATTERN = re.compile(r"[0-9a-f]{32}")
# Leftovers of writes and fetches a crash interrupted; removed once this
# old (another process sharing the folder may be writing a younger one).
_STAGING = re.compile(r"\.(staging|fetch)-.*")
_STAGING_MAX_AGE_S = 3600


def check_id(raw: object) -> str:
    if not isinstance(raw, str) or not ID_PATTERN.fullmatch(raw):
        shown = raw[:40] + "..." if isinstance(raw, str) and len(raw) > 40 else raw
        raise InvalidArgument(f"invalid reference id {shown!r}: ids are the 32 hex characters AddReference returned",
                              reason="INVALID_REFERENCE_ID")
    return raw


def new_id() -> str:
    return secrets.token_hex(16)


def not_found(reference_id: str) -> NotFound:
    return NotFound(f"no reference with id {reference_id}", reason="REFERENCE_NOT_FOUND")


@dataclass(frozen=True)
class Reference:
    reference_id: str
    display_name: str
    text: str
    duration_s: float
    create_time: datetime  # UTC
    # Bytes of its audio (mono PCM16 WAV), counted against the store's cap.
    size_bytes: int = 0

    @property
    def order(self) -> tuple[datetime, str]:
        """Oldest first; the id breaks ties."""
        return self.create_time, self.reference_id

    def to_json(self) -> bytes:
        return json.dumps({"reference_id": self.reference_id, "display_name": self.display_name, "text": self.text,
                           "duration_s": self.duration_s, "create_time": self.create_time.isoformat(),
                           "size_bytes": self.size_bytes}).encode()

    @classmethod
    def from_json(cls, data: bytes | str) -> Reference:
        """Raises ValueError (or KeyError/TypeError) for a record that is not one."""
        raw = json.loads(data)
        created = datetime.fromisoformat(raw["create_time"])
        if created.tzinfo is None:
            created = created.replace(tzinfo=timezone.utc)
        return cls(check_id(raw["reference_id"]), str(raw["display_name"]), str(raw["text"]),
                   float(raw["duration_s"]), created, int(raw.get("size_bytes", 0)))


class ReferenceStore(Protocol):
    """Where saved references live. All methods are async and keep file
    and network work off the event loop."""

    async def add(self, ref: Reference, wav: bytes) -> None: ...

    async def get(self, reference_id: str) -> tuple[Reference, bytes]:
        """Raises NotFound."""
        ...

    async def list_all(self) -> list[Reference]:
        """Every reference, oldest first (the store's caps bound how many)."""
        ...

    async def delete(self, reference_id: str) -> None:
        """Raises NotFound."""
        ...

    async def tidy(self) -> None:
        """Removes leftovers (interrupted writes, stale cache entries)."""
        ...


class FolderReferences:
    """The folder store. Blocking file work runs in worker threads."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _folder(self, reference_id: str) -> Path:
        return self.root / check_id(reference_id)

    async def add(self, ref: Reference, wav: bytes) -> None:
        await asyncio.to_thread(self._write, ref, wav)

    async def get(self, reference_id: str) -> tuple[Reference, bytes]:
        found = await asyncio.to_thread(self._read, reference_id)
        if found is None:
            raise not_found(reference_id)
        return found

    async def list_all(self) -> list[Reference]:
        return await asyncio.to_thread(self._list)

    async def delete(self, reference_id: str) -> None:
        if not await asyncio.to_thread(self._remove, reference_id):
            raise not_found(reference_id)

    async def discard(self, reference_id: str) -> None:
        """Removes the folder if there is one."""
        await asyncio.to_thread(self._remove, reference_id)

    async def tidy(self) -> None:
        await asyncio.to_thread(self._remove_staging)

    async def ids(self) -> list[str]:
        return await asyncio.to_thread(self._ids)

    async def audio(self, reference_id: str) -> bytes | None:
        """The cached audio, or None."""
        path = self._folder(reference_id) / "audio.wav"
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    # Blocking file work, run in a thread by the async methods.
    def _write(self, ref: Reference, wav: bytes) -> None:
        """Writes the folder in one rename; a folder already there (the same
        reference fetched at the same time) is kept."""
        self.root.mkdir(parents=True, exist_ok=True)
        staging = self.root / f".staging-{ref.reference_id}-{secrets.token_hex(4)}"
        staging.mkdir()
        try:
            (staging / "audio.wav").write_bytes(wav)
            (staging / "meta.json").write_bytes(ref.to_json())
            try:
                staging.rename(self._folder(ref.reference_id))
            except OSError:
                if not self._folder(ref.reference_id).is_dir():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _read(self, reference_id: str) -> tuple[Reference, bytes] | None:
        folder = self._folder(reference_id)
        try:
            ref = Reference.from_json((folder / "meta.json").read_text())
            return ref, (folder / "audio.wav").read_bytes()
        except FileNotFoundError:  # never saved here, or deleted meanwhile
            return None
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable reference record", extra={"reference_id": reference_id})
            return None

    def _ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return [p.name for p in self.root.iterdir() if ID_PATTERN.fullmatch(p.name)]

    def _list(self) -> list[Reference]:
        refs = []
        for reference_id in self._ids():
            folder = self.root / reference_id
            try:
                ref = Reference.from_json((folder / "meta.json").read_text())
                if not ref.size_bytes:  # saved before sizes were recorded
                    ref = replace(ref, size_bytes=(folder / "audio.wav").stat().st_size)
                refs.append(ref)
            except FileNotFoundError:  # a folder being deleted
                continue
            except (ValueError, KeyError, TypeError):
                log.warning("unreadable reference record", extra={"reference_id": reference_id})
        return sorted(refs, key=lambda r: r.order)

    def _remove(self, reference_id: str) -> bool:
        folder = self._folder(reference_id)
        if not folder.is_dir():
            return False
        shutil.rmtree(folder, ignore_errors=True)
        return True

    def _remove_staging(self) -> None:
        if not self.root.is_dir():
            return
        now = time.time()
        for path in self.root.iterdir():
            if _STAGING.fullmatch(path.name):
                try:
                    if now - path.lstat().st_mtime < _STAGING_MAX_AGE_S:
                        continue
                except FileNotFoundError:
                    continue
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
