"""The gateway's metrics and spans, in process against fake backends:
socket.io messages counted by type and reply status (an unknown type is
"other", never the client's string), HTTP requests by route template,
clients connected; one trace from the socket.io message through the gRPC
client to the service; an HTTP request continues its caller's trace, and
probes make no spans."""

from __future__ import annotations

import aiohttp
import pytest
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY

from optivus_testing.fake_backends import fake_backends
from optivus_testing.gateway_harness import gateway_in_process
from optivus_testing.sockets import SocketClient, eventually


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def gateway():
    async with fake_backends() as fakes:
        async with gateway_in_process(fakes.addresses) as (url, _):
            yield url


async def test_messages_are_counted_by_type_and_status(gateway, span_exporter):
    before = {
        "whisp": value("optivus_gateway_messages_total", type="whisp", status="200"),
        "other": value("optivus_gateway_messages_total", type="other", status="400"),
        "seconds": value("optivus_gateway_message_seconds_count", type="whisp"),
        "connections": value("optivus_gateway_socketio_connections"),
    }
    async with SocketClient(gateway) as client:
        assert value("optivus_gateway_socketio_connections") - before["connections"] == 1
        assert (await client.ask({"type": "whisp", "file": "/data/a.mp3"}))["status"] == "200"
        assert (await client.ask({"type": "whisp", "file": "/data/b.mp3"}))["status"] == "200"
        assert (await client.ask({"type": "no such type <script>"}))["status"] == "400"
    assert value("optivus_gateway_messages_total", type="whisp", status="200") - before["whisp"] == 2
    assert value("optivus_gateway_messages_total", type="other", status="400") - before["other"] == 1
    assert value("optivus_gateway_message_seconds_count", type="whisp") - before["seconds"] == 2
    assert value("optivus_gateway_messages_in_flight", type="whisp") == 0
    assert not [s for s in REGISTRY.collect() for sample in s.samples if "<script>" in str(sample.labels)]
    await eventually(lambda: value("optivus_gateway_socketio_connections") == before["connections"],
                     what="the disconnect counted")

    # socket.io message -> gRPC client -> the service's server span: one trace, parent links intact.
    spans = span_exporter.get_finished_spans()
    roots = [s for s in spans if s.name == "socket.io message" and s.attributes["optivus.message_type"] == "whisp"]
    assert len(roots) == 2
    for root in roots:
        client = [s for s in spans if s.kind == SpanKind.CLIENT and s.parent
                  and s.parent.span_id == root.context.span_id]
        assert [s.name for s in client] == ["/optivus.speech.v1.SpeechService/Transcribe"]
        server = [s for s in spans if s.kind == SpanKind.SERVER and s.parent
                  and s.parent.span_id == client[0].context.span_id]
        assert len(server) == 1 and server[0].context.trace_id == root.context.trace_id


async def test_http_requests_are_counted_by_route(gateway):
    def count(route: str, method: str, status: str) -> float:
        return value("optivus_gateway_http_requests_total", route=route, method=method, status=status)

    cases = [("GET", "/healthz", "/healthz", "200"), ("POST", "/healthz", "/healthz", "405"),
             ("GET", "/v1/media/not-an-id", "/v1/media/{media_id}", "400"),
             ("GET", "/no/such/place", "other", "404"), ("BREW", "/status", "/status", "405")]
    before = [count(route, method if method != "BREW" else "other", status) for method, _, route, status in cases]
    async with aiohttp.ClientSession() as session:
        for method, path, _, status in cases:
            async with session.request(method, gateway + path) as reply:
                assert str(reply.status) == status, (method, path)
    for (method, _, route, status), was in zip(cases, before):
        assert count(route, method if method != "BREW" else "other", status) - was == 1, (method, route)
    assert value("optivus_gateway_http_in_flight", route="/healthz") == 0


async def test_http_requests_continue_the_callers_trace_and_probes_make_no_spans(gateway, span_exporter):
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    async with aiohttp.ClientSession() as session:
        async with session.get(gateway + "/status", headers={"traceparent": f"00-{trace_id}-{parent_id}-01"}) as r:
            assert r.status == 200
        async with session.get(gateway + "/healthz") as r:
            assert r.status == 200
    spans = [s for s in span_exporter.get_finished_spans() if s.kind == SpanKind.SERVER]
    (status,) = [s for s in spans if s.name == "GET /status"]
    assert format(status.context.trace_id, "032x") == trace_id
    assert format(status.parent.span_id, "016x") == parent_id
    assert status.attributes["http.response.status_code"] == 200
    assert not [s for s in spans if "healthz" in s.name]
