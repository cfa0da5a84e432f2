"""Traces cross the hop from the gateway to the Whisper service and reach
a real OTLP/gRPC collector when OTEL_EXPORTER_OTLP_ENDPOINT is set."""

import time

import pytest
import socketio

from optivus_testing.processes import running_gateway, running_service
from optivus_testing.tracing import Collector

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def collector():
    with Collector() as running:
        yield running, running.endpoint


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
