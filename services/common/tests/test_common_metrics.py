"""The gRPC metrics on a real grpc.aio server (what every service gets from
start_server): calls counted by code, errors by code and ErrorInfo reason,
durations observed, in flight back to zero, health checks not counted;
and the metrics server every process runs (GET /metrics)."""

from __future__ import annotations

import asyncio
import logging
import socket
import urllib.request

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import REGISTRY

from optivus.tts.v1 import tts_service_pb2 as pb
from optivus.tts.v1 import tts_service_pb2_grpc as pb_grpc
from optivus_common import errors
from optivus_common.metrics import observe_media, serve_metrics
from optivus_common.server import Registration, start_server
from optivus_common.settings import CommonSettings

SERVICE = "optivus.tts.v1.TtsService"


class Tts(pb_grpc.TtsServiceServicer):
    def __init__(self) -> None:
        self.streaming = asyncio.Event()

    async def ListReferences(self, request, context):
        if request.page_token == "missing":
            raise errors.NotFound("no such page", reason="PAGE_NOT_FOUND")
        if request.page_token == "bug":
            raise ZeroDivisionError("a bug")
        return pb.ListReferencesResponse()

    async def DeleteReference(self, request, context):
        await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "aborted by the handler itself")

    async def Synthesize(self, request, context):
        yield pb.SynthesizeResponse()
        if request.text == "forever":
            self.streaming.set()
            await asyncio.Event().wait()
        raise errors.ResourceExhausted("too long", reason="TEXT_TOO_LONG")


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Counts:
    """Samples of one method's metrics, read before and after."""

    def __init__(self, method: str) -> None:
        self.labels = {"grpc_service": SERVICE, "grpc_method": method}

    def handled(self, code: str) -> float:
        return value("optivus_grpc_server_handled_total", **self.labels, grpc_code=code)

    def errors(self, code: str, reason: str) -> float:
        return value("optivus_grpc_server_errors_total", **self.labels, grpc_code=code, reason=reason)

    def started(self) -> float:
        return value("optivus_grpc_server_started_total", **self.labels)

    def durations(self) -> float:
        return value("optivus_grpc_server_handling_seconds_count", **self.labels)

    def in_flight(self) -> float:
        return value("optivus_grpc_server_in_flight", **self.labels)


@pytest.fixture
async def served():
    servicer = Tts()
    running = await start_server(CommonSettings(), [Registration(pb_grpc.add_TtsServiceServicer_to_server,
                                                                 servicer, SERVICE)],
                                 domain="test.optivus", address="127.0.0.1:0")
    await running.set_serving(True)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        yield pb_grpc.TtsServiceStub(channel), channel, servicer
    await running.stop(None)


async def test_unary_calls_are_counted_by_code_and_reason(served):
    stub, _, _ = served
    counts = Counts("ListReferences")
    before = {"ok": counts.handled("OK"), "nf": counts.errors("NOT_FOUND", "PAGE_NOT_FOUND"),
              "bug": counts.errors("INTERNAL", "INTERNAL"), "started": counts.started(),
              "durations": counts.durations()}
    await stub.ListReferences(pb.ListReferencesRequest())
    await stub.ListReferences(pb.ListReferencesRequest())
    for token, code in (("missing", grpc.StatusCode.NOT_FOUND), ("bug", grpc.StatusCode.INTERNAL)):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.ListReferences(pb.ListReferencesRequest(page_token=token))
        assert err.value.code() == code  # the client still gets the error interceptor's status
    assert counts.handled("OK") - before["ok"] == 2
    assert counts.errors("NOT_FOUND", "PAGE_NOT_FOUND") - before["nf"] == 1
    assert counts.errors("INTERNAL", "INTERNAL") - before["bug"] == 1
    assert counts.started() - before["started"] == 4
    assert counts.durations() - before["durations"] == 4
    assert counts.in_flight() == 0


async def test_a_handlers_own_abort_is_counted_with_its_code(served):
    stub, _, _ = served
    counts = Counts("DeleteReference")
    before = counts.errors("FAILED_PRECONDITION", "")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.DeleteReference(pb.DeleteReferenceRequest(reference_id="0" * 32))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert counts.errors("FAILED_PRECONDITION", "") - before == 1


async def test_a_stream_is_counted_when_it_ends(served):
    stub, _, servicer = served
    counts = Counts("Synthesize")
    before = counts.errors("RESOURCE_EXHAUSTED", "TEXT_TOO_LONG")
    call = stub.Synthesize(pb.SynthesizeRequest(text="hello"))
    await call.read()
    with pytest.raises(grpc.aio.AioRpcError):
        await call.read()
    assert counts.errors("RESOURCE_EXHAUSTED", "TEXT_TOO_LONG") - before == 1

    # A client that goes away mid-stream: CANCELLED, and nothing stays in flight.
    cancelled = counts.handled("CANCELLED")
    call = stub.Synthesize(pb.SynthesizeRequest(text="forever"))
    await call.read()
    await servicer.streaming.wait()
    assert counts.in_flight() == 1
    call.cancel()
    for _ in range(500):
        if counts.in_flight() == 0:
            break
        await asyncio.sleep(0.01)
    assert counts.in_flight() == 0
    assert counts.handled("CANCELLED") - cancelled == 1


async def test_health_checks_are_not_counted(served):
    _, channel, _ = served
    before = value("optivus_grpc_server_started_total", grpc_service="grpc.health.v1.Health", grpc_method="Check")
    reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    assert value("optivus_grpc_server_started_total", grpc_service="grpc.health.v1.Health",
                 grpc_method="Check") == before == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_metrics_server_serves_the_registry(caplog):
    port = free_port()
    server = serve_metrics("127.0.0.1", port)
    try:
        observe_media("test_op", media_seconds=10.0, wall_seconds=2.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
            text = reply.read().decode()
        assert 'optivus_media_seconds_total{operation="test_op"} 10.0' in text
        assert 'optivus_realtime_factor_count{operation="test_op"} 1.0' in text
        assert 'optivus_realtime_factor_sum{operation="test_op"} 0.25' in text
        # GPU memory is declared; it has samples only where an NVIDIA driver answers.
        assert "# TYPE optivus_gpu_memory_used_bytes gauge" in text
        assert "optivus_model_load_seconds" in text and "optivus_grpc_server_handled_total" in text

        # A port already taken: said in the log, and the service runs without metrics.
        with caplog.at_level(logging.ERROR):
            assert serve_metrics("127.0.0.1", port) is None
        assert "OPTIVUS_METRICS_PORT" in caplog.text
    finally:
        server.stop()
    assert serve_metrics("127.0.0.1", 0) is None  # 0: no metrics server
