"""A `video` job through real processes (nats-server, dlp, whisper,
florence, the gateway), every one exporting spans to a collector this test
runs and serving /metrics:

- one trace covers the client's message at the gateway, each stage's NATS
  publish and its worker's consumer span, and the engine work below it,
  with every parent link intact, across every NATS hop;
- every /metrics moved by exactly what the requests did."""

from __future__ import annotations

import contextlib
import time
import urllib.request
from collections.abc import Callable

import pytest
from opentelemetry.proto.trace.v1 import trace_pb2
from prometheus_client.parser import text_string_to_metric_families

from optivus_common import registry
from optivus_testing.dlp_site import MediaSite
from optivus_testing.media import narrated_video
from optivus_testing.processes import running_nats, started_gateway, started_service
from optivus_testing.sockets import SocketClient
from optivus_testing.tracing import Collector

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SLIDES = [("FIRST SLIDE", "Hello and welcome to the talk."), ("SECOND SLIDE", "Thank you and goodbye.")]
PRODUCER, CONSUMER = trace_pb2.Span.SPAN_KIND_PRODUCER, trace_pb2.Span.SPAN_KIND_CONSUMER
# The services running a video job's stages: download, then transcribe and describe side by side.
WORKERS = ["dlp", "whisper", "florence"]
STAGES = ["download", "transcribe", "describe"]


class Stack:
    def __init__(self, gateway, services: dict, collector: Collector, site: MediaSite) -> None:
        self.gateway, self.services, self.collector, self.site = gateway, services, collector, site

    def metrics_urls(self) -> dict[str, str]:
        return {"gateway": self.gateway.metrics_url, **{n: s.metrics_url for n, s in self.services.items()}}


@pytest.fixture(scope="module")
def stack(tmp_path_factory, service_env, piper_voice):
    root = tmp_path_factory.mktemp("observed")
    site_root = root / "site"
    site_root.mkdir()
    narrated_video(site_root / "talk.mp4", piper_voice, SLIDES)
    with Collector() as collector, running_nats(root / "nats") as (nats_url, _), MediaSite(site_root) as site:
        env = {**service_env, "OPTIVUS_NATS_URL": nats_url, "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
               "OTEL_BSP_SCHEDULE_DELAY": "100", "HF_HUB_OFFLINE": "1",
               "OPTIVUS_DLP_ALLOWED_NETWORKS": "127.0.0.1/32"}
        services = {}
        with contextlib.ExitStack() as stack_:
            for name in WORKERS:
                services[name] = stack_.enter_context(started_service(name, env, root / "logs", 180))
            gateway = stack_.enter_context(started_gateway(
                env, {name: s.address for name, s in services.items()}, root / "logs"))
            yield Stack(gateway, services, collector, site)


def attribute(span, key: str):
    for kv in span.attributes:
        if kv.key == key:
            return getattr(kv.value, kv.value.WhichOneof("value"))
    return None


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.1)


async def run_video_job(stack: Stack) -> dict:
    async with SocketClient(stack.gateway.address) as client:
        _, reply = await client.ask_with_progress(
            {"type": "video", "urls": [stack.site.url("talk.mp4")], "transcribe": True}, timeout=300)
    assert reply["status"] == "200", reply
    return reply


async def test_one_trace_from_the_client_through_nats_to_every_worker(stack, wer):
    reply = await run_video_job(stack)
    (item,) = reply["data"]["data"]
    assert [s["text"] for s in item["transcribe_video"]][:1] == ["FIRST SLIDE"]
    assert wer(" ".join(said for _, said in SLIDES), item["transcribe_audio"]["text"]) <= 0.3
    job_id = reply["data"]["job_id"]

    def of_job() -> list:
        return [(service, span) for service, span in stack.collector.spans if attribute(span, "optivus.job_id") == job_id]

    def roots() -> list:
        return [span for _, span in stack.collector.spans
                if span.name == "socket.io message" and attribute(span, "optivus.message_type") == "video"]

    def complete() -> bool:
        consumed = {attribute(s, "optivus.stage") for _, s in of_job() if s.kind == CONSUMER}
        return consumed == set(STAGES) and {"florence.describe_video", "whisper.transcribe"} <= {
            s.name for _, s in stack.collector.spans} and bool(roots())

    # The gateway's message span ends after its reply, so it may be exported after the workers' spans.
    wait_for(complete, "the message's span and every stage's consumer span exported")
    assert len(roots()) == 1
    root = roots()[0]

    def in_trace() -> list:
        return [(service, span) for service, span in stack.collector.spans if span.trace_id == root.trace_id]

    def linked() -> bool:
        ids = {span.span_id for _, span in in_trace()}
        return all(span.span_id == root.span_id or span.parent_span_id in ids for _, span in in_trace())

    # Every span of the job is in the client's trace, and every parent is in it too.
    wait_for(linked, "every parent exported")
    trace = in_trace()
    assert {span.span_id for _, span in of_job()} <= {span.span_id for _, span in trace}
    services = {service for service, _ in trace}
    assert {"optivus-gateway", *(f"optivus-{name}" for name in WORKERS)} <= services

    publish = {attribute(s, "optivus.stage"): (service, s) for service, s in trace if s.kind == PRODUCER}
    process = {attribute(s, "optivus.stage"): (service, s) for service, s in trace if s.kind == CONSUMER}
    assert set(process) == set(publish) == set(STAGES)
    # The gateway publishes the first stage below the client's message ...
    assert publish["download"][0] == "optivus-gateway"
    assert publish["download"][1].parent_span_id == root.span_id
    for stage in STAGES:
        service, consumer = process[stage]
        # ... each stage runs in the service that serves it, as the child of its publish span (the NATS hop) ...
        assert service == f"optivus-{registry.stage_service(stage).name}", stage
        assert consumer.parent_span_id == publish[stage][1].span_id, stage
        assert attribute(consumer, "optivus.redeliveries") == 0
        assert attribute(consumer, "optivus.queue_wait_s") >= 0
    # ... and the download's end publishes the next stages from inside its consumer span.
    for stage in STAGES[1:]:
        assert publish[stage][0] == "optivus-dlp"
        assert publish[stage][1].parent_span_id == process["download"][1].span_id
    download = process["download"][1]
    assert attribute(download, "optivus.download_bytes") == (stack.site.root / "talk.mp4").stat().st_size
    describe = process["describe"][1]
    assert attribute(describe, "optivus.frames_described") == len(SLIDES)
    assert attribute(describe, "optivus.frames_decoded") > attribute(describe, "optivus.frames_sampled") > 0
    # The engines' own spans, below the consumer spans, say what ran.
    (vision,) = [s for service, s in trace if s.name == "florence.describe_video"]
    assert vision.parent_span_id == describe.span_id
    assert attribute(vision, "optivus.engine") == "rapidocr" and attribute(vision, "optivus.task") == "OCR"
    transcribe = process["transcribe"][1]
    heard = attribute(transcribe, "optivus.audio_seconds")
    assert heard > 0
    (speech,) = [s for service, s in trace if s.name == "whisper.transcribe"]
    assert speech.parent_span_id == transcribe.span_id
    assert (attribute(speech, "optivus.engine"), attribute(speech, "optivus.model")) == ("faster-whisper", "base")
    assert attribute(speech, "optivus.decoding") in ("batched", "sequential")
    assert attribute(speech, "optivus.audio_seconds") == pytest.approx(heard)


def scrape(url: str) -> dict[tuple[str, frozenset], float]:
    with urllib.request.urlopen(url, timeout=10) as reply:
        text = reply.read().decode()
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def sample(scraped: dict, name: str, **labels) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


async def test_every_metrics_endpoint_counts_what_happened(stack):
    urls = stack.metrics_urls()
    before = {name: scrape(url) for name, url in urls.items()}
    reply = await run_video_job(stack)
    async with SocketClient(stack.gateway.address) as client:
        refused = await client.ask({"type": "flrnc", "file": "/etc/outside.png"})
    assert refused["status"] == "403"
    job_id = reply["data"]["job_id"]

    def consumer_span(stage: str):
        for _, span in stack.collector.spans:
            if (span.kind == CONSUMER and attribute(span, "optivus.job_id") == job_id
                    and attribute(span, "optivus.stage") == stage):
                return span
        return None

    # Each stage counts itself once its work is acknowledged, just after the job's result is out.
    wait_for(lambda: all(consumer_span(stage) is not None for stage in STAGES), "every stage acknowledged")
    after = {name: scrape(url) for name, url in urls.items()}

    def moved(process: str, name: str, **labels) -> float:
        return sample(after[process], name, **labels) - sample(before[process], name, **labels)

    def moved_anywhere(name: str, **labels) -> float:
        return sum(moved(process, name, **labels) for process in urls)

    assert moved("gateway", "optivus_gateway_messages_total", type="video", status="200") == 1
    assert moved("gateway", "optivus_gateway_messages_total", type="flrnc", status="403") == 1
    assert moved("gateway", "optivus_gateway_message_seconds_count", type="video") == 1
    assert moved("gateway", "optivus_jobs_submitted_total") == 1
    # The job ends in whichever worker finishes its last stage.
    assert moved_anywhere("optivus_jobs_finished_total", state="succeeded") == 1
    for stage in STAGES:
        service = registry.stage_service(stage).name
        assert moved(service, "optivus_stage_deliveries_total", stage=stage) == 1, stage
        assert moved(service, "optivus_stage_outcomes_total", stage=stage, outcome="succeeded") == 1, stage
        assert moved(service, "optivus_stage_queue_wait_seconds_count", stage=stage) == 1, stage
        assert moved(service, "optivus_stage_seconds_count", stage=stage) == 1, stage
        assert moved(service, "optivus_stage_redeliveries_total", stage=stage) == 0, stage
        assert sample(after[service], "optivus_stage_in_flight", stage=stage) == 0
    # Florence counted the frames its span reports, and refused the path outside the media folders.
    describe = consumer_span("describe")
    for kind in ("decoded", "sampled", "described"):
        assert moved("florence", "optivus_frames_total", operation="describe_video", kind=kind) == \
            attribute(describe, f"optivus.frames_{kind}"), kind
    vision = {"grpc_service": "optivus.vision.v1.VisionService", "grpc_method": "DescribeImage"}
    assert moved("florence", "optivus_grpc_server_errors_total", **vision, grpc_code="PERMISSION_DENIED",
                 reason="PATH_OUTSIDE_MEDIA_ROOTS") == 1
    assert moved("florence", "optivus_grpc_server_handled_total", **vision, grpc_code="PERMISSION_DENIED") == 1
    assert sample(after["florence"], "optivus_grpc_server_in_flight", **vision) == 0
    assert moved("florence", "optivus_media_seconds_total", operation="describe_video") > 0
    # Whisper counted the seconds of audio its stage heard, once (its real-time factor's request).
    transcribe = consumer_span("transcribe")
    assert moved("whisper", "optivus_media_seconds_total", operation="transcribe") == pytest.approx(
        attribute(transcribe, "optivus.audio_seconds"))
    assert moved("whisper", "optivus_realtime_factor_count", operation="transcribe") == 1
    assert moved("whisper", "optivus_processing_seconds_total", operation="transcribe") > 0
    # Every service told how long loading took at its start.
    for name in WORKERS:
        assert sample(after[name], "optivus_model_load_seconds") > 0, name
