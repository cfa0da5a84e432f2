"""Creates (idempotently) the streams and buckets the pipeline uses. Every
process that touches jobs calls ensure() at start; the first creates, the
others find them."""

from __future__ import annotations

from dataclasses import dataclass

from nats.js.api import (
    KeyValueConfig,
    ObjectStoreConfig,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import BadRequestError, BucketNotFoundError, NotFoundError

from . import names

DAY = 24 * 3600


@dataclass(frozen=True)
class Retention:
    """How long job records, events and stage results are kept."""

    keep_s: float = 7 * DAY
    # Work not taken within this time is dropped (a job that waits that
    # long has its stages fail by the dead-letter path instead).
    work_max_age_s: float = DAY
    # Publishes with the same Nats-Msg-Id inside this window are stored once.
    dedupe_window_s: float = 20 * 60


class StreamConflict(RuntimeError):
    pass


async def _stream(js, config: StreamConfig) -> None:
    try:
        await js.add_stream(config)
    except BadRequestError as refused:
        try:  # it exists with other settings: bring it to ours
            await js.update_stream(config)
        except NotFoundError:  # it does not exist: something else holds its subjects
            raise StreamConflict(f"cannot create the JetStream stream {config.name} ({', '.join(config.subjects)}): "
                                 f"{refused.description}") from None


async def ensure(js, retention: Retention = Retention()):
    """Returns (jobs key-value bucket, results object store)."""
    await _stream(js, StreamConfig(
        name=names.WORK_STREAM, subjects=[names.WORK_SUBJECTS], retention=RetentionPolicy.WORK_QUEUE,
        storage=StorageType.FILE, max_age=retention.work_max_age_s,
        duplicate_window=min(retention.dedupe_window_s, retention.work_max_age_s)))
    await _stream(js, StreamConfig(
        name=names.EVENTS_STREAM, subjects=[names.EVENTS_SUBJECTS], retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE, max_age=retention.keep_s,
        duplicate_window=min(retention.dedupe_window_s, retention.keep_s)))
    try:
        jobs = await js.key_value(names.JOBS_BUCKET)
    except BucketNotFoundError:
        jobs = await js.create_key_value(KeyValueConfig(bucket=names.JOBS_BUCKET, history=1, ttl=retention.keep_s))
    try:
        results = await js.object_store(names.RESULTS_BUCKET)
    except BucketNotFoundError:
        results = await js.create_object_store(names.RESULTS_BUCKET, config=ObjectStoreConfig(
            bucket=names.RESULTS_BUCKET, ttl=retention.keep_s))
    return jobs, results
