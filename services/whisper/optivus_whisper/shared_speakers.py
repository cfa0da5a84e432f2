"""The known speakers shared by every replica (used when OPTIVUS_NATS_URL is
set): a NATS JetStream key-value bucket holds each speaker's record (name
and voice print, a few KB) under `id.<speaker id>`, and claims each name
under `name.<hash of the casefolded name>` with an atomic create, so two
replicas can never enrol the same name. Every read asks the bucket, so a
speaker enrolled or deleted on one replica is so on all of them. NATS
requests are bounded (the JetStream context's timeout); a NATS that does
not answer is UNAVAILABLE, SPEAKER_STORE_UNAVAILABLE."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timezone

import numpy as np
from nats.js.errors import APIError, BucketNotFoundError, KeyNotFoundError, KeyWrongLastSequenceError, NotFoundError

from optivus_common import kv_listing
from optivus_common.bus import WRONG_LAST_SEQUENCE, close, connect_as, store_errors
from optivus_common.errors import InvalidArgument

from .known_speakers import (FolderSpeakers, KnownSpeaker, by_age, check_id, folder_speakers, name_taken,
                             new_speaker, not_found, too_many)

log = logging.getLogger(__name__)

# How long a listing may take.
_LIST_TIMEOUT_S = 5.0
# A name claimed this long ago whose speaker record does not exist was left
# by a replica that died mid-enrolment: the name may be claimed again. (An
# enrolment writes its record right after its claim, well within this.)
ORPHAN_CLAIM_S = 60.0
# How long one NATS request may take (the JetStream context's timeout).
REQUEST_TIMEOUT_S = 5.0


def _store_errors():
    return store_errors("shared speaker store", "SPEAKER_STORE_UNAVAILABLE")


def _record_key(speaker_id: str) -> str:
    return f"id.{check_id(speaker_id)}"


def _name_key(name: str) -> str:
    # Names hold spaces, which keys may not: a hash of the name stands for it.
    return "name." + hashlib.sha256(name.casefold().encode()).hexdigest()[:40]


class SharedSpeakers:
    def __init__(self, js, kv, bucket: str, limit: int, orphan_claim_s: float | None = None) -> None:
        self._js = js
        self._kv = kv
        self._bucket = bucket
        self.limit = limit
        self._orphan_claim_s = ORPHAN_CLAIM_S if orphan_claim_s is None else orphan_claim_s

    @classmethod
    async def open(cls, js, bucket: str, limit: int) -> SharedSpeakers:
        """The store on `bucket` (created when missing)."""
        with _store_errors():
            try:
                kv = await js.key_value(bucket)
            except BucketNotFoundError:
                kv = await js.create_key_value(bucket=bucket, history=1,
                                               description="optivus whisper: enrolled known speakers")
        return cls(js, kv, bucket, limit)

    async def _records(self) -> list[tuple[KnownSpeaker, int]]:
        """Every speaker with its revision (the bucket's order of writes)."""
        found = []
        for entry in await kv_listing.entries(self._js, self._bucket, "id.>", _LIST_TIMEOUT_S):
            try:
                found.append((KnownSpeaker.from_json(entry.value), entry.revision))
            except (ValueError, KeyError, TypeError, InvalidArgument):
                log.warning("unreadable speaker record in the bucket", extra={"key": entry.key})
        return found

    async def list(self) -> list[KnownSpeaker]:
        with _store_errors():
            return by_age([speaker for speaker, _ in await self._records()])

    async def add(self, name: str, duration_s: float, encoder: str, vector: np.ndarray) -> KnownSpeaker:
        """Saves a new speaker; the name must be new and the store not full.
        Shielded: a client that goes away mid-way must not leave a name
        claimed without its speaker."""
        return await asyncio.shield(self._add(new_speaker(name, duration_s, encoder, vector)))

    async def _add(self, speaker: KnownSpeaker) -> KnownSpeaker:
        with _store_errors():
            if len(await self._records()) >= self.limit:
                raise too_many(self.limit)
            name_key = _name_key(speaker.name)
            try:
                name_revision = await self._kv.create(name_key, speaker.speaker_id.encode())
            except KeyWrongLastSequenceError:
                name_revision = await self._reclaim(name_key, speaker)
            try:
                revision = await self._kv.create(_record_key(speaker.speaker_id), speaker.to_json().encode())
                # Replicas that enrol at once may each have counted one free
                # place: the speakers written first keep the places, later ones go.
                ranks = sorted(r for _, r in await self._records())
                if revision not in ranks[:self.limit]:
                    await self._remove(_record_key(speaker.speaker_id), revision)
                    raise too_many(self.limit)
            except BaseException:
                await self._remove(name_key, name_revision)
                raise
        return speaker

    async def _reclaim(self, name_key: str, speaker: KnownSpeaker) -> int:
        """Takes over a name whose claim was orphaned (its speaker record
        never written, the claim older than orphan_claim_s); else the name
        is taken. Returns the claim's new revision."""
        try:
            claim = await self._js.get_msg(f"KV_{self._bucket}", subject=f"$KV.{self._bucket}.{name_key}")
        except NotFoundError:  # released meanwhile: claim it as usual
            try:
                return await self._kv.create(name_key, speaker.speaker_id.encode())
            except KeyWrongLastSequenceError:
                raise name_taken(speaker.name) from None
        owner = (claim.data or b"").decode(errors="replace")
        try:
            await self._kv.get(_record_key(owner))
            owned = True
        except (KeyNotFoundError, InvalidArgument):
            owned = False  # no speaker behind the claim
        if owned:
            raise name_taken(speaker.name)
        age_s = (datetime.now(timezone.utc) - claim.time).total_seconds() if claim.time else 0.0
        if age_s < self._orphan_claim_s:
            raise name_taken(speaker.name)  # its enrolment may still be writing the record
        try:
            revision = await self._kv.update(name_key, speaker.speaker_id.encode(), last=claim.seq)
        except KeyWrongLastSequenceError:
            raise name_taken(speaker.name) from None
        log.warning("orphaned speaker name claimed again", extra={"orphan_id": owner, "age_s": round(age_s)})
        return revision

    async def delete(self, speaker_id: str) -> None:
        await asyncio.shield(self._delete(check_id(speaker_id)))

    async def _delete(self, speaker_id: str) -> None:
        key = _record_key(speaker_id)
        with _store_errors():
            try:
                entry = await self._kv.get(key)
            except KeyNotFoundError:
                raise not_found(speaker_id) from None
            # Only the revision we saw: of two replicas deleting at once, one gets NOT_FOUND.
            if not await self._remove(key, entry.revision):
                raise not_found(speaker_id)
            try:
                name = KnownSpeaker.from_json(entry.value).name
            except (ValueError, KeyError, TypeError, InvalidArgument):
                log.warning("unreadable speaker record deleted", extra={"speaker_id": speaker_id})
                return
            name_key = _name_key(name)
            with contextlib.suppress(KeyNotFoundError):
                claim = await self._kv.get(name_key)
                if claim.value == speaker_id.encode():
                    await self._remove(name_key, claim.revision)

    async def _remove(self, key: str, revision: int) -> bool:
        """Deletes `key` if it is still at `revision`, leaving no delete
        marker behind (ids are never reused, and a name is claimed again by
        a plain create). False when it changed or went meanwhile."""
        try:
            await self._kv.delete(key, last=revision)
        except APIError as exc:
            if exc.err_code in WRONG_LAST_SEQUENCE:
                return False
            raise
        await self._js.purge_stream(f"KV_{self._bucket}", subject=f"$KV.{self._bucket}.{key}")
        return True


@contextlib.asynccontextmanager
async def speaker_store(settings) -> AsyncIterator[FolderSpeakers | SharedSpeakers]:
    """The shared store when OPTIVUS_NATS_URL is set (its own NATS
    connection, closed at the end), else the folder store."""
    if not settings.nats_url:
        yield folder_speakers(settings)
        return
    nc = await connect_as(settings)
    try:
        yield await SharedSpeakers.open(nc.jetstream(timeout=REQUEST_TIMEOUT_S), settings.speaker_bucket,
                                        settings.max_known_speakers)
    finally:
        await close(nc)
