"""The JetStream adapter of the media service: the pipeline's download
stage over the same application layer as the gRPC servicer."""

from __future__ import annotations

from optivus.events.v1 import pipeline_events_pb2 as events_pb
from optivus_common.jobs.stage_worker import StageContext

from .app import DlpApp, Downloaded, Failed, Progressed
from .convert import file_to_proto


async def download_stage(app: DlpApp, ctx: StageContext) -> events_pb.ItemResult:
    """Downloads the work's URL; the file goes on as the next stages' media."""
    async for event in app.download([ctx.work.media.url], ctx.work.options.download_format):
        if isinstance(event, Progressed):
            total = event.progress.total_bytes
            if total:
                await ctx.progress(event.progress.downloaded_bytes / total)
        elif isinstance(event, Downloaded):
            return events_pb.ItemResult(download=file_to_proto(event.file))
        elif isinstance(event, Failed):
            raise event.error
    raise RuntimeError("the download ended without a file or an error")
