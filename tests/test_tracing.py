"""Traces cross the hop from the gateway to the Whisper service and reach
a real OTLP/gRPC collector when OTEL_EXPORTER_OTLP_ENDPOINT is set."""

import time

import grpc
import pytest
import socketio
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from conftest import running_gateway, running_service

pytestmark = [pytest.mark.integration, pytest.mark.slow]


class Collector(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self):
        self.spans = []  # (service.name, span)

    def Export(self, request, context):
        for resource_spans in request.resource_spans:
            attrs = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope in resource_spans.scope_spans:
                self.spans += [(attrs.get("service.name"), span) for span in scope.spans]
        return trace_service_pb2.ExportTraceServiceResponse()


@pytest.fixture
def collector():
    from concurrent import futures

    server = grpc.server(futures.ThreadPoolExecutor(2))
    servicer = Collector()
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield servicer, f"http://127.0.0.1:{port}"
    server.stop(None)


def test_one_trace_from_gateway_to_whisper(collector, service_env, tmp_path, speech):
    servicer, endpoint = collector
    env = {**service_env, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"}
    with running_service("whisper", env, tmp_path, 120) as address, \
            running_gateway(env, {"whisper": address}, tmp_path) as url:
        sio = socketio.Client()
        replies = []
        sio.on("message", replies.append)
        sio.connect(url)
        sio.emit("message", {"type": "whisp", "file": str(speech[0][0])})
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (replies and len(servicer.spans) >= 3):
            time.sleep(0.1)
        sio.disconnect()
    assert replies[0]["status"] == "200"
    by_service = {}
    for service, span in servicer.spans:
        by_service.setdefault(service, []).append(span)
    root = next(s for s in by_service["optivus-gateway"] if s.name == "socket.io message")
    client = next(s for s in by_service["optivus-gateway"] if s.name.endswith("SpeechService/Transcribe"))
    server = next(s for s in by_service["optivus-whisper"] if s.name.endswith("SpeechService/Transcribe"))
    assert root.trace_id == client.trace_id == server.trace_id
    assert client.parent_span_id == root.span_id
    assert server.parent_span_id == client.span_id
    # health checks are filtered out of the traces
    assert not any("Health" in span.name for _, span in servicer.spans)
