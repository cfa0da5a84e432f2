"""`video` (and any request with "v_conv": true): a pipeline job. Each
input (`urls`, then `file`, then `files`) is downloaded when it is a URL,
then transcribed and described in parallel, on the services' JetStream
workers.

Replies: "202" at once with the job's `job_id`; "102" progress events
(stage started / progress / finished, item finished); then the result in
the first server's shape, data.data one item per input in order:
{"transcribe_audio": {...}, "transcribe_video": [...], "info": {...}} or
{"error": ..., "url" | "file": ...} for an input that failed. A cancelled
job ends with "410". Options: language, word_timestamps, vad_filter,
beam_size, initial_prompt, translate (true: English text), task /
sample_fps / ocr for the description, format (yt-dlp), transcribe and
describe (false to skip one), request_id (a repeat returns the first job)
and query: questions about these videos. With VideoRAG deployed the job
also indexes each input into `library` ("default" when absent), and the
reply's data.query holds one {"result", "citations"} (or {"error"}) per
question, answered from the job's videos only; without it, each question
gets an error.
A client that reconnects sends {"type": "job", "job_id": ...}."""

from __future__ import annotations

from optivus.events.v1 import pipeline_events_pb2 as events_pb
from optivus.gateway.v1 import job_service_pb2 as jobs_pb
from optivus.media.v1 import media_ref_pb2
from optivus.speech.v1 import speech_service_pb2 as speech_pb
from optivus_common.jobs.results import job_result
from optivus_common.jobs.submit import submit

from ..envelope import RequestError, describe_failure, echo_of, envelope
from ..uploads import file_ref
from .context import Context
from .flrnc import parse_task
from .job_replies import follow
from .options import option
from .rag import ask
from .whisp import recognition_config

QUERY_UNAVAILABLE = "VideoRAG is not deployed on this server: this question was not answered"
MAX_QUERIES = 20


def _strings(request: dict, key: str) -> list[str]:
    value = request.get(key)
    if value is None:
        return []
    if isinstance(value, str) and key == "file":
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        what = "a string" if key == "file" else "a list of strings"
        raise RequestError(f"`{key}` must be {what}")
    return value


def build_spec(request: dict) -> jobs_pb.JobSpec:
    urls, files = _strings(request, "urls"), _strings(request, "file") + _strings(request, "files")
    if not urls and not files:
        raise RequestError("a video request needs `urls`, `file` or `files`")
    inputs = [media_ref_pb2.MediaRef(url=u) for u in urls] + [file_ref(f) for f in files]
    config = recognition_config(request, {})
    if option(request, {}, "translate", bool):
        config.task = speech_pb.TASK_TRANSLATE
    describe = events_pb.DescribeOptions(include_ocr=bool(option(request, {}, "ocr", bool)))
    if (task := option(request, {}, "task", str)) is not None:
        describe.task = parse_task(task)
    if (fps := option(request, {}, "sample_fps", (int, float))) is not None:
        if not 0 < fps <= 30:
            raise RequestError("`sample_fps` must be above 0 and at most 30")
        describe.sample_fps = float(fps)
    fmt = option(request, {}, "format", str) or ""
    if request.get("format") is not None and config.output_format:
        raise RequestError("`format` of a video request is the yt-dlp format selector")
    transcribe = option(request, {}, "transcribe", bool)
    describe_too = option(request, {}, "describe", bool)
    return jobs_pb.JobSpec(pipeline=jobs_pb.PipelineJob(
        inputs=inputs, transcribe=transcribe is not False, describe=describe_too is not False,
        options=events_pb.StageOptions(recognition=config, describe=describe, download_format=fmt)))


def _queries(request: dict) -> list[str] | None:
    queries = request.get("query")
    if queries is None:
        return None
    if not isinstance(queries, list) or not all(isinstance(q, str) for q in queries):
        raise RequestError("`query` must be a list of questions")
    if len(queries) > MAX_QUERIES:
        raise RequestError(f"at most {MAX_QUERIES} questions per request")
    return queries


async def _answers(ctx: Context, queries: list[str], library: str, job_id: str) -> list[dict]:
    """Each question answered from the videos this job indexed."""
    record = await ctx.pipeline.store.get(job_id)
    result = await job_result(ctx.pipeline.store, record)
    video_ids = [item.indexed.video_id for item in result.items if item.indexed.video_id]
    if not video_ids:
        return [{"error": "none of the videos could be indexed, so no question was answered"} for _ in queries]
    out = []
    for question in queries:
        try:
            found = await ask(ctx, question, library, video_ids=video_ids)
            out.append({"result": found["result"], "citations": found["citations"]})
        except Exception as exc:  # noqa: BLE001 - each question gets its own answer or error
            out.append({"error": describe_failure(exc, "videorag")[1]})
    return out


async def handle(request: dict, ctx: Context) -> dict:
    echo = echo_of(request)
    if ctx.pipeline is None or not ctx.pipeline.available:
        return envelope("503", {**echo, "error": "video jobs need NATS JetStream, which this gateway is not "
                                                 "connected to (OPTIVUS_NATS_URL)"})
    spec = build_spec(request)
    queries = _queries(request)
    library = option(request, {}, "library", str, "a library name") or ""
    indexing = bool(queries) and ctx.backends.configured("videorag")
    if indexing:
        spec.pipeline.index = True
        spec.pipeline.options.index.collection = library
        spec.pipeline.options.recognition.word_timestamps = True
        spec.pipeline.options.describe.include_ocr = True
    request_id = option(request, {}, "request_id", str) or ""
    record = await submit(ctx.pipeline.js, ctx.pipeline.store, spec, request_id, ctx.settings.max_job_inputs)
    await ctx.emit(envelope("202", {**echo, "job_id": record.job_id}))
    reply = await follow(ctx, record.job_id, echo)
    if queries is not None:
        if indexing and reply["status"] == "200":
            reply["data"]["query"] = await _answers(ctx, queries, library, record.job_id)
        elif indexing:
            reply["data"]["query"] = [{"error": "the job did not succeed, so no question was answered"}
                                      for _ in queries]
        else:
            reply["data"]["query"] = [{"error": QUERY_UNAVAILABLE} for _ in queries]
    return reply
