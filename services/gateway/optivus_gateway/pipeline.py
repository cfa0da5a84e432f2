"""The gateway's side of the pipeline: its NATS connection, the job store,
and the dead-letter watch. Started with the gateway when OPTIVUS_NATS_URL
is set; without it, job requests answer 503."""

from __future__ import annotations

import asyncio
import json
import logging
import re

from optivus.events.v1 import pipeline_events_pb2 as events_pb
from optivus_common.bus import close, connect_as
from optivus_common.errors import InvalidArgument, Unavailable
from optivus_common.jobs import events, infra, names, progression
from optivus_common.jobs.store import JobStore

from .config import GatewaySettings

log = logging.getLogger(__name__)

JOB_ID = re.compile(r"[0-9a-f]{32}")
DEAD_LETTERS = f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{names.WORK_STREAM}.>"


def check_job_id(raw: object) -> str:
    """A client's job id, checked before it comes near a key."""
    if not isinstance(raw, str) or not JOB_ID.fullmatch(raw):
        raise InvalidArgument("a job id is the 32 hex characters the job was given", reason="INVALID_JOB_ID")
    return raw


class Pipeline:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.nc = None
        self.js = None
        self.store: JobStore | None = None
        self._dead = None

    @property
    def available(self) -> bool:
        return self.store is not None

    def require(self) -> JobStore:
        if self.store is None:
            raise Unavailable("jobs need NATS JetStream, which this gateway is not connected to "
                              "(set OPTIVUS_NATS_URL)", reason="PIPELINE_UNAVAILABLE")
        return self.store

    async def start(self) -> None:
        s = self.settings
        if not s.nats_url:
            log.info("no OPTIVUS_NATS_URL: jobs are off")
            return
        self.nc = await connect_as(s)
        self.js = self.nc.jetstream()
        kv, results = await infra.ensure(self.js)
        self.store = JobStore(kv, results)
        self._dead = await self.nc.subscribe(DEAD_LETTERS, queue="optivus-gateway", cb=self._dead_letter)
        log.info("jobs on", extra={"work_stream": names.WORK_STREAM, "events_stream": names.EVENTS_STREAM})

    async def stop(self) -> None:
        if self.nc is not None:
            await close(self.nc)

    async def _dead_letter(self, msg) -> None:
        """A stage's work was delivered max_deliver times without an end (its
        workers died each time): the stage fails, so the job never hangs."""
        try:
            advisory = json.loads(msg.data)
            seq = int(advisory["stream_seq"])
            stored = await self.js.get_msg(names.WORK_STREAM, seq)
            work = events_pb.StageWork.FromString(stored.data)
            stage = names.stage_name(work.stage)
            error = {"code": 4, "reason": "STAGE_ABANDONED",  # DEADLINE_EXCEEDED
                     "message": f"the {stage} stage did not finish after {advisory.get('deliveries')} tries "
                                "(its worker stopped each time)"}
            await progression.finish_stage(self.js, self.store, work.job_id, work.item_index, stage, error=error)
            await self.js.delete_msg(names.WORK_STREAM, seq)
            log.warning("stage abandoned", extra={"job_id": work.job_id, "stage": stage, "stream_seq": seq})
        except Exception:  # noqa: BLE001 - an advisory we cannot act on: the job ends by its other stages
            log.exception("dead letter not handled")


async def relay(pipeline: "Pipeline", job_id: str, after_sequence: int = 0):
    """The job's events from after_sequence to its end. Should the events
    have expired (a job older than the events stream keeps), the stored
    record ends the watch instead of waiting forever."""
    stream = events.watch(pipeline.js, job_id, after_sequence, idle_timeout=pipeline.settings.job_idle_check_s)
    try:
        while True:
            try:
                event = await anext(stream)
            except StopAsyncIteration:
                return
            except asyncio.TimeoutError:
                if (await pipeline.store.get(job_id)).ended:
                    return
                stream = events.watch(pipeline.js, job_id, after_sequence,
                                      idle_timeout=pipeline.settings.job_idle_check_s)
                continue
            after_sequence = event.sequence
            yield event
    finally:
        await stream.aclose()
