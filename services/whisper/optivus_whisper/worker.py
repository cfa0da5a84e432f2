"""The JetStream adapter of the speech service: the pipeline's transcribe
stage over the same application layer as the gRPC servicer."""

from __future__ import annotations

import contextlib

from optivus.events.v1 import pipeline_events_pb2 as events_pb
from optivus_common.convert import media_source
from optivus_common.jobs.stage_worker import StageContext

from .app import WhisperApp
from .convert import options_from_proto, output_format, segment_to_proto, transcript_to_proto
from .transcript import Transcript


async def transcribe_stage(app: WhisperApp, ctx: StageContext) -> events_pb.ItemResult:
    """Transcribes the work's media: every segment, then the whole transcript."""
    config = ctx.work.options.recognition
    result = events_pb.ItemResult()
    async with contextlib.aclosing(app.transcribe(media_source(ctx.work.media), options_from_proto(config),
                                                  output_format(config), progress=ctx.progress)) as items:
        async for item in items:
            if isinstance(item, Transcript):
                result.transcript.CopyFrom(transcript_to_proto(item))
            else:
                result.segments.append(segment_to_proto(item))
    return result
