"""Saved voice references: FS_PATH/references/<id>/{audio.wav,meta.json},
mirrored to the blob store when one is configured. Ids are generated here
(32 lowercase hex characters); a client's id must match that form exactly
before it comes near a path."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import shutil
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from optivus_common.blobs import BlobStore
from optivus_common.errors import InvalidArgument, NotFound

from . import audio

ID_PATTERN = re.compile(r"[0-9a-f]{32}")
MAX_TEXT_CHARS = 2000
MAX_NAME_CHARS = 200


def check_id(raw: object) -> str:
    if not isinstance(raw, str) or not ID_PATTERN.fullmatch(raw):
        shown = raw[:40] + "..." if isinstance(raw, str) and len(raw) > 40 else raw
        raise InvalidArgument(f"invalid reference id {shown!r}: ids are the 32 hex characters AddReference returned",
                              reason="INVALID_REFERENCE_ID")
    return raw


@dataclass(frozen=True)
class Reference:
    reference_id: str
    display_name: str
    text: str
    duration_s: float
    create_time: str  # ISO 8601, UTC


class ReferenceStore:
    def __init__(self, root: Path, blobs: BlobStore | None = None) -> None:
        self.root = root
        self._blobs = blobs

    def _folder(self, reference_id: str) -> Path:
        return self.root / check_id(reference_id)

    @staticmethod
    def _blob_keys(reference_id: str) -> tuple[str, str]:
        return f"tts-reference-{reference_id}.wav", f"tts-reference-{reference_id}.json"

    async def add(self, data: bytes, text: str, display_name: str, max_seconds: float) -> Reference:
        text = text.strip()
        if not text:
            raise InvalidArgument("the reference needs the text spoken in it", reason="REFERENCE_TEXT_MISSING")
        if len(text) > MAX_TEXT_CHARS:
            raise InvalidArgument(f"the reference text is longer than {MAX_TEXT_CHARS} characters",
                                  reason="REFERENCE_TEXT_TOO_LONG")
        if len(display_name) > MAX_NAME_CHARS:
            raise InvalidArgument(f"display_name is longer than {MAX_NAME_CHARS} characters",
                                  reason="DISPLAY_NAME_TOO_LONG")
        wav, duration = await asyncio.to_thread(audio.reference_clip, data, max_seconds)
        ref = Reference(secrets.token_hex(16), display_name, text, round(duration, 3),
                        datetime.now(timezone.utc).isoformat())
        meta = json.dumps(asdict(ref)).encode()
        await asyncio.to_thread(self._write, ref.reference_id, wav, meta)
        if self._blobs is not None:
            wav_key, meta_key = self._blob_keys(ref.reference_id)
            await self._blobs.put_bytes(wav, wav_key)
            await self._blobs.put_bytes(meta, meta_key)
        return ref

    # Blocking file work, run in a thread by the async methods.
    def _write(self, reference_id: str, wav: bytes, meta: bytes) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        staging = self.root / f".staging-{reference_id}"
        staging.mkdir()
        (staging / "audio.wav").write_bytes(wav)
        (staging / "meta.json").write_bytes(meta)
        staging.rename(self._folder(reference_id))

    def _read(self, reference_id: str) -> tuple[Reference, bytes] | None:
        folder = self._folder(reference_id)
        try:
            meta = json.loads((folder / "meta.json").read_text())
            return Reference(**meta), (folder / "audio.wav").read_bytes()
        except FileNotFoundError:  # never saved here, or deleted meanwhile
            return None

    def _remove(self, reference_id: str) -> bool:
        folder = self._folder(reference_id)
        if not folder.is_dir():
            return False
        shutil.rmtree(folder, ignore_errors=True)
        return True

    async def _fetch_from_blobs(self, reference_id: str) -> bool:
        if self._blobs is None:
            return False
        wav_key, meta_key = self._blob_keys(reference_id)
        staging = self.root / f".fetch-{reference_id}-{secrets.token_hex(4)}"
        await asyncio.to_thread(staging.mkdir, parents=True)
        try:
            await self._blobs.get_to_file(wav_key, staging / "audio.wav")
            await self._blobs.get_to_file(meta_key, staging / "meta.json")
            try:
                await asyncio.to_thread(staging.rename, self._folder(reference_id))
            except OSError:  # fetched at the same time by another request
                pass
            return True
        except NotFound:
            return False
        finally:
            await asyncio.to_thread(shutil.rmtree, staging, ignore_errors=True)

    async def get(self, reference_id: str) -> tuple[Reference, bytes]:
        found = await asyncio.to_thread(self._read, reference_id)
        if found is None and await self._fetch_from_blobs(reference_id):
            found = await asyncio.to_thread(self._read, reference_id)
        if found is None:
            raise NotFound(f"no reference with id {reference_id}", reason="REFERENCE_NOT_FOUND")
        return found

    def list(self) -> list[Reference]:
        if not self.root.is_dir():
            return []
        refs = []
        for folder in self.root.iterdir():
            meta = folder / "meta.json"
            if ID_PATTERN.fullmatch(folder.name) and meta.is_file():
                refs.append(Reference(**json.loads(meta.read_text())))
        return sorted(refs, key=lambda r: r.create_time)

    async def delete(self, reference_id: str) -> None:
        if not await asyncio.to_thread(self._remove, reference_id):
            if not await self._fetch_from_blobs(reference_id):
                raise NotFound(f"no reference with id {reference_id}", reason="REFERENCE_NOT_FOUND")
            await asyncio.to_thread(self._remove, reference_id)
        if self._blobs is not None:
            for key in self._blob_keys(reference_id):
                await self._blobs.delete(key)
