"""JobService (optivus.gateway.v1): jobs over gRPC, beside socket.io."""

from __future__ import annotations

from optivus.gateway.v1 import job_service_pb2 as pb
from optivus.gateway.v1 import job_service_pb2_grpc as pb_grpc
from optivus_common.errors import InvalidArgument
from optivus_common.jobs import progression
from optivus_common.jobs.submit import submit

from .job_views import job_message
from .pipeline import Pipeline, check_job_id, relay

MAX_PAGE = 100
DEFAULT_PAGE = 20


class JobServicer(pb_grpc.JobServiceServicer):
    def __init__(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline

    async def SubmitJob(self, request: pb.SubmitJobRequest, context):
        store = self._pipeline.require()
        record = await submit(self._pipeline.js, store, request.spec, request.request_id,
                              self._pipeline.settings.max_job_inputs)
        return pb.SubmitJobResponse(job=await job_message(store, record))

    async def GetJob(self, request: pb.GetJobRequest, context):
        store = self._pipeline.require()
        record = await store.get(check_job_id(request.job_id))
        return pb.GetJobResponse(job=await job_message(store, record))

    async def ListJobs(self, request: pb.ListJobsRequest, context):
        store = self._pipeline.require()
        if request.page_size < 0:
            raise InvalidArgument("page_size must not be negative", reason="INVALID_PAGE_SIZE")
        size = min(request.page_size or DEFAULT_PAGE, MAX_PAGE)
        ids = await store.job_ids()
        if request.page_token:
            after = check_job_id(request.page_token)
            ids = [i for i in ids if i < after]
        page = ids[:size]
        jobs = [await job_message(store, await store.get(i), with_result=False) for i in page]
        return pb.ListJobsResponse(jobs=jobs, next_page_token=page[-1] if len(ids) > size else "")

    async def WatchJob(self, request: pb.WatchJobRequest, context):
        store = self._pipeline.require()
        job_id = check_job_id(request.job_id)
        if request.after_sequence < 0:
            raise InvalidArgument("after_sequence must not be negative", reason="INVALID_SEQUENCE")
        await store.get(job_id)  # NOT_FOUND for an unknown job
        async for event in relay(self._pipeline, job_id, request.after_sequence):
            yield pb.WatchJobResponse(event=event)

    async def CancelJob(self, request: pb.CancelJobRequest, context):
        store = self._pipeline.require()
        record = await progression.cancel(self._pipeline.nc, store, check_job_id(request.job_id))
        return pb.CancelJobResponse(job=await job_message(store, record))
