"""Job records in the key-value bucket, changed only by compare-and-set:
update(job_id, change) re-reads and retries when another worker changed the
record first, so a join fires exactly once however the deliveries race.
Stage results (protobuf ItemResult parts) in the results object store."""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Callable

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError, ObjectNotFoundError

from ..errors import NotFound
from . import names
from .records import JobRecord

MAX_CAS_TRIES = 50


class JobStore:
    def __init__(self, kv, results) -> None:
        self._kv = kv
        self._results = results

    async def create(self, record: JobRecord) -> None:
        await self._kv.create(record.job_id, record.to_json())

    async def get(self, job_id: str) -> JobRecord:
        try:
            entry = await self._kv.get(job_id)
        except KeyNotFoundError:
            raise NotFound(f"no job with id {job_id}", reason="JOB_NOT_FOUND") from None
        return JobRecord.from_json(entry.value)

    async def update(self, job_id: str, change: Callable[[JobRecord], bool]) -> tuple[JobRecord, bool]:
        """Applies change(record) (which returns whether it changed anything)
        with compare-and-set; returns the record as stored and whether this
        call changed it."""
        for _ in range(MAX_CAS_TRIES):
            try:
                entry = await self._kv.get(job_id)
            except KeyNotFoundError:
                raise NotFound(f"no job with id {job_id}", reason="JOB_NOT_FOUND") from None
            record = JobRecord.from_json(entry.value)
            if not change(record):
                return record, False
            record.update_time = time.time()
            try:
                await self._kv.update(job_id, record.to_json(), last=entry.revision)
                return record, True
            except KeyWrongLastSequenceError:
                continue  # someone else changed it first: look again
        raise RuntimeError(f"job {job_id}: the record kept changing under {MAX_CAS_TRIES} updates")

    async def job_ids(self) -> list[str]:
        try:
            keys = await self._kv.keys()
        except Exception:  # noqa: BLE001 - nats-py raises NoKeysError on an empty bucket
            return []
        return sorted((k for k in keys if not k.startswith("req-")), reverse=True)

    async def claim_request(self, request_id: str, job_id: str) -> str:
        """The job id a client's request_id stands for: `job_id` when this
        call claims it first, else the job that claimed it before."""
        key = "req-" + hashlib.sha256(request_id.encode()).hexdigest()[:40]
        try:
            await self._kv.create(key, job_id.encode())
            return job_id
        except KeyWrongLastSequenceError:
            return (await self._kv.get(key)).value.decode()

    async def put_result(self, job_id: str, item: int, stage: int, data: bytes) -> None:
        await self._results.put(names.result_key(job_id, item, stage), data)

    async def get_result(self, job_id: str, item: int, stage: int) -> bytes | None:
        buffer = io.BytesIO()
        try:
            await self._results.get(names.result_key(job_id, item, stage), writeinto=buffer)
        except ObjectNotFoundError:
            return None
        return buffer.getvalue()
