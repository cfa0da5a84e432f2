"""The reference store shared by every replica (used when OPTIVUS_NATS_URL
is set): a NATS JetStream key-value bucket is the index and the truth (a
reference exists while its key does), its audio is an object in the object
store of the same name, and the local folder store is only a cache: every
read asks the index first, so a reference deleted on one replica is gone
on all of them, and a cached copy of a deleted one is dropped."""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets

from nats.js.errors import APIError, BucketNotFoundError, KeyNotFoundError

from optivus_common import kv_listing
from optivus_common.blobs import BlobStore
from optivus_common.bus import WRONG_LAST_SEQUENCE, store_errors
from optivus_common.errors import NotFound

from .references import FolderReferences, Reference, check_id, not_found

log = logging.getLogger(__name__)

_LIST_TIMEOUT_S = 10.0


def _store_errors():
    return store_errors("shared reference store", "REFERENCE_STORE_UNAVAILABLE")


class SharedReferences:
    def __init__(self, js, kv, bucket: str, objects: BlobStore, cache: FolderReferences) -> None:
        self._js = js
        self._kv = kv
        self._bucket = bucket
        self._objects = objects
        self.cache = cache

    @classmethod
    async def open(cls, js, bucket: str, cache: FolderReferences) -> SharedReferences:
        """The store on `bucket` (a key-value bucket and an object store of
        that name, created when missing)."""
        try:
            kv = await js.key_value(bucket)
        except BucketNotFoundError:
            kv = await js.create_key_value(bucket=bucket, history=1,
                                           description="optivus fish: saved voice references")
        return cls(js, kv, bucket, BlobStore(js, bucket), cache)

    @staticmethod
    def _audio_key(reference_id: str) -> str:
        return f"{check_id(reference_id)}.wav"

    async def _indexed(self, reference_id: str) -> tuple[Reference, int] | None:
        try:
            entry = await self._kv.get(check_id(reference_id))
        except KeyNotFoundError:
            return None
        try:
            return Reference.from_json(entry.value), entry.revision
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable reference record in the index", extra={"reference_id": reference_id})
            return None

    async def add(self, ref: Reference, wav: bytes) -> None:
        # Shielded: a client that goes away mid-way must not leave audio
        # that no index entry counts against the caps.
        await asyncio.shield(self._add(ref, wav))

    async def _add(self, ref: Reference, wav: bytes) -> None:
        key = self._audio_key(ref.reference_id)
        with _store_errors():
            await self._objects.put_bytes(wav, key)
            try:
                await self._kv.create(ref.reference_id, ref.to_json())
            except Exception:
                await self._objects.delete(key)
                await self._purge_object_record(key)
                raise
        await self.cache.add(ref, wav)

    async def get(self, reference_id: str) -> tuple[Reference, bytes]:
        with _store_errors():
            indexed = await self._indexed(reference_id)
            if indexed is None:
                await self.cache.discard(reference_id)
                raise not_found(reference_id)
            ref = indexed[0]
            wav = await self.cache.audio(reference_id)
            if wav is None:
                wav = await self._fetch(reference_id)
                await self.cache.add(ref, wav)
        return ref, wav

    async def _fetch(self, reference_id: str) -> bytes:
        await asyncio.to_thread(self.cache.root.mkdir, parents=True, exist_ok=True)
        staging = self.cache.root / f".fetch-{reference_id}-{secrets.token_hex(4)}.wav"
        try:
            await self._objects.get_to_file(self._audio_key(reference_id), staging)
            return await asyncio.to_thread(staging.read_bytes)
        except NotFound:
            log.warning("an indexed reference has no audio", extra={"reference_id": reference_id})
            raise not_found(reference_id) from None
        finally:
            await asyncio.to_thread(staging.unlink, missing_ok=True)

    async def list_all(self) -> list[Reference]:
        refs = []
        with _store_errors():
            for entry in await kv_listing.entries(self._js, self._bucket, ">", _LIST_TIMEOUT_S):
                try:
                    refs.append(Reference.from_json(entry.value))
                except (ValueError, KeyError, TypeError):
                    log.warning("unreadable reference record in the index", extra={"key": entry.key})
        return sorted(refs, key=lambda r: r.order)

    async def delete(self, reference_id: str) -> None:
        # Shielded like add: once the index entry is gone, the audio must go too.
        await asyncio.shield(self._delete(reference_id))

    async def _delete(self, reference_id: str) -> None:
        with _store_errors():
            indexed = await self._indexed(reference_id)
            if indexed is None:
                await self.cache.discard(reference_id)
                raise not_found(reference_id)
            try:
                # Only the revision we saw: of two replicas deleting at once, one gets NOT_FOUND.
                await self._kv.delete(reference_id, last=indexed[1])
            except APIError as exc:
                if exc.err_code in WRONG_LAST_SEQUENCE:
                    raise not_found(reference_id) from None
                raise
            # Ids are never reused: the delete marker goes too, or markers would pile up.
            await self._js.purge_stream(f"KV_{self._bucket}", subject=f"$KV.{self._bucket}.{reference_id}")
            key = self._audio_key(reference_id)
            await self._objects.delete(key)
            await self._purge_object_record(key)
        await self.cache.discard(reference_id)

    async def _purge_object_record(self, key: str) -> None:
        """Removes the "deleted" record an object store keeps for a deleted
        object (its meta subject, named as NATS object stores name them)."""
        name = base64.urlsafe_b64encode(key.encode()).decode()
        await self._js.purge_stream(f"OBJ_{self._bucket}", subject=f"$O.{self._bucket}.M.{name}")

    async def tidy(self) -> None:
        """Drops cached copies of references the index no longer has, and
        interrupted writes."""
        await self.cache.tidy()
        live = {ref.reference_id for ref in await self.list_all()}
        for reference_id in await self.cache.ids():
            if reference_id not in live:
                await self.cache.discard(reference_id)
